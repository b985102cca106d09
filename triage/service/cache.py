"""One call-out's pool as of one cheap signature, and what is computed from it, remembered between requests.

The signature reads no vectors, nor any submission row: the count and newest update time of the ready
submissions, the content rows' newest update time, the vector table's size and the vector and artifact tables'
newest ids (reprocessing deletes and re-inserts rows), the curators' duplicate verdicts on the pool's
submissions and the pieces they chose to keep, every call-out's words (the others give contrast) and the model
names. Anything that changes a result changes the signature, so a remembered result is always the one a fresh
computation would give. It comes in layers (`Signature`): what depends on the pool alone outlives a duplicate
verdict or a call-out's new words, so those recompute only what depends on them.
Decisions and votes do not change scores: they have their own cheap marks, read on every request.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import bindparam, func, or_, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import BindParameter

from triage.domain import Status
from triage.encoders.base import Encoders
from triage.errors import ConfigError
from triage.scoring.cluster import Cluster, cluster_pool
from triage.scoring.dedup import DuplicateGroup
from triage.scoring.modality import MODALITIES, PoolFeatures
from triage.scoring.relevance import Graph, PoolScores, pool_scores, smoothing_graph
from triage.scoring.shortlist import PoolTable, group_decisions
from triage.scoring.tally import Tally, group_tallies
from triage.scoring.types import CalloutQuery, Scored
from triage.service import kept_clusters, votes
from triage.service.decisions import latest_with_ids
from triage.service.duplicates import pool_groups
from triage.service.ledger import DecisionLedger
from triage.service.memo import Embeddings, Memo
from triage.service.pool import Pool, load_pool, model_names
from triage.service.pool_delta import PoolMarks, refreshed
from triage.service.queries import callout_query, prompt_query
from triage.service.rescore import load_snapshot, snapshot_path
from triage.service.rescore import signature as snapshot_signature
from triage.store.callouts import get_callout
from triage.store.schema import (
    POOL_ARTIFACTS,
    Artifact,
    Callout,
    Content,
    Decision,
    DuplicateKeep,
    DuplicateOverride,
    Submission,
    Vector,
)
from triage.store.store import Store

T = TypeVar("T")
_LAYERS = ("whole", "pool", "groups")  # Signature's layers, each its own scope in the memo
_LOADINGS = itertools.count()  # each loading of a pool gets its own number (View.of_pool)
Ranked = tuple[list[Scored], list[DuplicateGroup], list[Cluster]]
Scores = tuple[PoolScores, list[DuplicateGroup], list[Cluster]]


class PoolCache:
    """Loaded pools and their scores, per call-out, shared by the requests of one process (the app owns it)."""

    def __init__(self, max_entries: int = 1024, max_scopes: int = 4, workers: int = 2,
                 embedding_bytes: int = 64 << 20) -> None:
        # The big entries (a pool, its features, its scores) are bounded by `max_scopes`; the count bounds the small
        # ones (a page of results): a curator cycling through dozens of searches finds each one still here.
        self.memo = Memo(max_entries, max_scopes * len(_LAYERS))
        self.embeddings = Embeddings(embedding_bytes)
        # The FAISS indexes a big pool's search is narrowed with: archive-wide, so one copy whatever the call-out,
        # kept while the vectors table stays as it was (service.search).
        self.indexes = Memo(max_entries=4, max_scopes=1)
        # Scoring a big pool is CPU- and memory-heavy: more at once than there are cores only multiplies the
        # memory (about 170 MB per search of 10,000 submissions) without finishing any sooner.
        self.gate = threading.BoundedSemaphore(workers)
        # Each call-out's last pool map (service.pool_map): a changed pool starts from it, so points keep their place.
        self.layouts: dict[str, object] = {}
        # Each call-out's last loaded pool: the marks it was up to date with and its key in the memo, so a changed
        # pool reads only what changed. The pool itself stays in the memo alone: one the memo let go is not kept.
        self.last_pools: dict[str, tuple[PoolMarks, str]] = {}


@dataclass(frozen=True)
class Signature:
    """What a pool's cached results depend on, in layers: a duplicate verdict changes `groups` and `whole` but
    not `pool`; a call-out's words change `whole` only. Each layer keys what depends on it and nothing more."""

    whole: str  # everything: scores, rankings, pages
    pool: str  # the pool's pieces, vectors, words and fingerprints, and the models: features, graph, clusters
    groups: str  # the pool and the curators' verdicts and kept copies: duplicate groups
    count: int  # the pool's size
    vectors_mark: tuple[object, ...]  # the vectors table's count and newest id (what FAISS indexes are made from)
    marks: PoolMarks  # what the pool layer was read from: what a pool loaded now is up to date with


def pool_signature(session: Session, callout_id: str | None, models: Encoders | None) -> tuple[str, int]:
    """A hash of everything a call-out's pool, scores, groups and clusters depend on, and the pool's size."""
    sig = _signature(session, callout_id, models)
    return sig.whole, sig.count


# The signature's statements, built once: every request runs them, and building an ORM statement (the aliased
# joins most) cost more Python time than SQLite took to answer it (a quarter of a warm page's request).
_CALLOUT: BindParameter[str] = bindparam("callout_id")
_READY = Submission.status == Status.READY.value
_NEWEST_IN_CALLOUT = select(func.max(Submission.updated_at)).where(_READY, Submission.callout_id == _CALLOUT)
_NEWEST_IN_ARCHIVE = select(func.max(
    select(func.max(Submission.updated_at)).where(_READY, Submission.callout_id == Callout.id).scalar_subquery()
)).select_from(Callout)
_COUNT_IN_CALLOUT = select(func.count()).select_from(Submission).where(_READY, Submission.callout_id == _CALLOUT)
_COUNT_IN_ARCHIVE = select(func.count()).select_from(Submission).where(_READY)
_VECTORS_COUNT = select(func.count()).select_from(Vector)
_VECTORS_NEWEST = select(func.max(Vector.id))
_POOL_ARTIFACTS_NEWEST = select(func.max(Artifact.id)).where(text(POOL_ARTIFACTS))
_CONTENTS_NEWEST = select(func.max(Content.updated_at))
_VERDICTS = select(DuplicateOverride.submission_a, DuplicateOverride.submission_b, DuplicateOverride.verdict)
_A, _B = aliased(Submission), aliased(Submission)
# each verdict's two submissions looked up by id: `IN (the call-out's ids)` would list the whole pool first
_VERDICTS_IN_CALLOUT = (_VERDICTS.outerjoin(_A, _A.id == DuplicateOverride.submission_a)
                        .outerjoin(_B, _B.id == DuplicateOverride.submission_b)
                        .where(or_(_A.callout_id == _CALLOUT, _B.callout_id == _CALLOUT)))
_KEPT = select(DuplicateKeep.submission_id, DuplicateKeep.id).order_by(DuplicateKeep.id)
_DECISIONS_MARK = select(func.count(), func.max(Decision.id), func.max(Decision.created_at))
_CALLOUTS = select(Callout.id, Callout.title, Callout.brief, Callout.prompts, Callout.negative_prompts,
                   Callout.exemplars, Callout.updated_at).order_by(Callout.id)


def _signature(session: Session, callout_id: str | None, models: Encoders | None) -> Signature:
    """`pool_signature` in its layers, and the vectors table's count and newest id.

    Every request reads it, so each part is one index lookup or a range of one index, never a table's rows (at
    1,000,000 pieces three scans made it 0.7-0.9 s; see benchmarks/RESULTS.md, issue 21). An unknown call-out is
    a NotFound, found from the call-outs read here anyway."""
    # Every insert or update stamps updated_at with the current time, so count + newest stamp change with any
    # added, removed, moved or re-processed submission, without reading 10,000 rows into Python. Both are read from
    # ix_submissions_ready_mark (status, call-out, updated_at) alone, no submission row, and asked apart: the
    # newest is then one lookup per call-out, the count a walk along the index (together, 200 ms at 1,000,000
    # pieces; the archive's newest as one max over the index, 110 ms).
    callouts = session.execute(_CALLOUTS).all()
    if callout_id:
        if callout_id not in {row.id for row in callouts}:
            get_callout(session, callout_id)  # its NotFound, with the hint how to create one
        params = {"callout_id": callout_id}
        newest = session.scalar(_NEWEST_IN_CALLOUT, params)
        count = session.scalar(_COUNT_IN_CALLOUT, params) or 0
    else:
        newest = session.scalar(_NEWEST_IN_ARCHIVE)
        count = session.scalar(_COUNT_IN_ARCHIVE) or 0
    # The vectors' count and newest id, asked apart: together SQLite scans the table for both, apart the newest id
    # is one lookup and the count reads the narrowest index, ix_vectors_ordinal (9 ms at 2,000,000 vectors, 135 ms
    # from the index of shas). The count stays: a re-processed content that gets fewer vectors than it had (none,
    # for a stage that found no words) removes rows without adding any above the newest id, and nothing else read
    # here need change then.
    vectors = (session.scalar(_VECTORS_COUNT), session.scalar(_VECTORS_NEWEST))
    # The artifacts' newest id without their count (a scan of a row per content): artifacts are removed in two
    # places only, and both change something else read here. `store.artifacts.put_artifact` replaces the one
    # artifact of a kind of a content: the count is the same after it whatever it did, and the new row takes an id
    # above every other (the newest id changes) or, when it replaced the newest row itself, that row's id again
    # (which the count did not see either). Erasure (`service.erase_rows.tombstone`) deletes a content's artifacts
    # only when every submission holding those bytes is erased, and makes each of those submissions a tombstone
    # (status erased, updated_at now): every pool that held one loses a ready piece, so its count above changes.
    # Lineage's fingerprint files are left out (ix_artifacts_pool_newest, one lookup): their job writes them after a
    # piece is ready, no pool reads them, and counting them would throw every pool's cache away once more.
    artifacts_newest, contents_newest = session.scalar(_POOL_ARTIFACTS_NEWEST), session.scalar(_CONTENTS_NEWEST)
    marks: list[tuple[object, ...]] = [vectors, (artifacts_newest,), (contents_newest,)]  # ix_contents_updated
    # a verdict on other call-outs' submissions changes nothing here
    verdicts_q = _VERDICTS_IN_CALLOUT if callout_id else _VERDICTS
    verdicts: list[object] = list(session.execute(verdicts_q.order_by(DuplicateOverride.id),
                                                  {"callout_id": callout_id} if callout_id else {}).all())
    verdicts += session.execute(_KEPT).all()
    models_ = (models.text.name, models.clip.name if models.clip else None) if models is not None else None
    pool = _hash((count, newest, marks, models_))
    groups = _hash((pool, verdicts))
    pool_marks = PoolMarks(int(count), newest, (int(vectors[0] or 0), vectors[1]), artifacts_newest, contents_newest,
                           models_)
    return Signature(_hash((groups, callouts)), pool, groups, int(count), vectors, pool_marks)


def _hash(parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def decisions_mark(session: Session) -> tuple[int, int | None, object]:
    """Changes whenever a decision is recorded or undone. An undo removes rows, and SQLite then hands the next row
    the id it freed: the newest time tells that row from the one undone."""
    count, newest, when = session.execute(_DECISIONS_MARK).one()
    return int(count), newest, when


class View:
    """A call-out's pool (or the archive's when `callout_id` is None) as of now; each part computed once.

    Without a cache every part is computed afresh for this one request, exactly as with one; with one, clusters are
    also kept on disk for the next process (`kept_clusters`). Scoring needs `models`; pools, groups and clusters do
    not.
    """

    def __init__(self, store: Store, models: Encoders | None, callout_id: str | None,
                 cache: PoolCache | None) -> None:
        self.store, self.models, self.callout_id = store, models, callout_id
        self.memo = cache.memo if cache is not None else Memo()
        self.embeddings = cache.embeddings if cache is not None else Embeddings()
        self.indexes = cache.indexes if cache is not None else Memo()
        self.gate: AbstractContextManager[object] = cache.gate if cache is not None else nullcontext()
        self.layouts: dict[str, object] = cache.layouts if cache is not None else {}
        self._pinned: tuple[int, Pool] | None = None
        self.cache = cache  # with one, clusters are kept on disk too; without, everything is computed afresh
        with store.db.session() as session:  # one session (one pooled connection) for all the marks
            self.signature = sig = _signature(session, callout_id, models)
            self._read_marks(session)
        self.sig, self.count, self.vectors_mark = sig.whole, sig.count, sig.vectors_mark

    def marks_changed(self) -> None:
        """Read the decisions' and votes' marks again (after this request recorded some): the pool's signature
        stands, so the request goes on with the same view."""
        with self.store.db.session() as session:
            self._read_marks(session)

    def _read_marks(self, session: Session) -> None:
        self.decisions_mark = decisions_mark(session)
        self.votes_mark = votes.mark(session)

    def get(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """A value that depends on this signature but not on the whole pool (a query's embedding, a search narrowed
        to an index's candidates), remembered under `key` while the signature holds."""
        return self.memo.get((self.callout_id or "*", self.sig, *key), compute)

    def of_pool(self, key: tuple[Hashable, ...], compute: Callable[[], T], layer: str = "whole") -> T:
        """A value computed from this view's pool, remembered with that very loading of it, while the signature's
        `layer` holds (`Signature`: what depends on the pool alone outlives a verdict or a call-out's new words).

        A newer signature's entries push this one's out of the memo, perhaps while this request runs; loading the
        pool again then finds the pieces as they are now, which may be more. Keyed by the loading, the parts one
        request reads (features, graph, scores, table) always come from one pool, never from two."""
        loading, _ = self._loaded()
        return self._in_layer(layer, (*key, loading), compute)

    def _in_layer(self, layer: str, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        if layer == "whole":
            return self.get(key, compute)
        # a scope of its own per layer: storing a newer `pool` layer's entry drops only the older pool's entries
        return self.memo.get(((self.callout_id or "*", layer), getattr(self.signature, layer), *key), compute)

    def _loaded(self) -> tuple[int, Pool]:
        if self._pinned is None:
            def load() -> tuple[int, Pool]:
                scope, marks, models = self.callout_id or "*", self.signature.marks, model_names(self.models)
                last = self._last_pool(scope)
                with self.gate, self.store.db.session() as session:
                    pool = (refreshed(session, self.callout_id, last[1], last[0], marks.models, models)
                            if last else None)
                    if pool is None:
                        pool = load_pool(session, self.callout_id, models=models)
                if self.cache is not None:
                    self.cache.last_pools[scope] = (marks, self.signature.pool)
                return next(_LOADINGS), pool
            self._pinned = self._in_layer("pool", ("pool",), load)
        return self._pinned

    def _last_pool(self, scope: str) -> tuple[PoolMarks, Pool] | None:
        """The call-out's pool loaded before this one, if the memo still holds it, and what it is up to date with."""
        last = self.cache.last_pools.get(scope) if self.cache is not None else None
        if last is None:
            return None
        held = self.memo.peek(((scope, "pool"), last[1], "pool"))
        return (last[0], held[1]) if held is not None else None

    def pool(self) -> Pool:
        """The pool as this view first loaded it (or found it remembered): the same object for the whole request."""
        return self._loaded()[1]

    def groups(self) -> list[DuplicateGroup]:
        def compute() -> list[DuplicateGroup]:
            pool = self.pool()
            with self.gate, self.store.db.session() as session:
                return pool_groups(session, pool)
        return self.of_pool(("groups",), compute, "groups")

    def decisions(self) -> dict[str, str]:
        """Each piece's current decision, duplicate groups decided as one (the newest decision on a member)."""
        def read() -> dict[str, str]:
            if self.callout_id is None:  # the archive: no ledger, every piece read once
                with self.store.db.session() as session:
                    made = latest_with_ids(session, list(self.pool().items))
            else:
                ledger = self.of_pool(("decision ledger",), DecisionLedger, "pool")
                made = ledger.current(self.store, self.callout_id, list(self.pool().items))
            return group_decisions(self.groups(), made)
        return self.of_pool(("decisions", self.decisions_mark), read, "groups")

    def tallies(self) -> dict[str, Tally]:
        """Each piece's team votes, duplicate groups counted as one piece (pieces nobody rated are absent)."""
        def read() -> dict[str, Tally]:
            with self.store.db.session() as session:
                cast = votes.of(session, list(self.pool().items))
            return group_tallies(self.groups(), cast)
        return self.of_pool(("tallies", self.votes_mark), read, "groups")

    def _models(self) -> Encoders:
        if self.models is None:
            raise ConfigError("scoring needs the text models; none were given")
        return self.models

    def graph(self) -> Graph | None:
        """The pool's neighbour graph for score smoothing: it depends on the pool only, so every search and
        scoring of this pool shares one (seconds for a pool of thousands)."""
        def compute() -> Graph | None:
            items = list(self.pool().items.values())
            with self.gate:
                return smoothing_graph(items)
        return self.of_pool(("graph",), compute, "pool")

    def features(self) -> PoolFeatures:
        """The pool's vectors stacked for scoring (views into the loaded pool's buffers, plus the pairs' norms): it
        depends on the pool only, so every search and scoring of this pool shares one."""
        def compute() -> PoolFeatures:
            features = PoolFeatures(list(self.pool().items.values()))
            with self.gate:
                for modality in MODALITIES:  # now, not in the first search that needs it
                    features.rows(modality)
            return features
        return self.of_pool(("features",), compute, "pool")

    def callout_query(self) -> CalloutQuery:
        def embed() -> CalloutQuery:
            with self.store.db.session() as session:
                return callout_query(session, self._models(), get_callout(session, str(self.callout_id)),
                                     self.embeddings)
        return self.get(("callout_query",), embed)

    def prompt_query(self, text: str) -> CalloutQuery:
        def embed() -> CalloutQuery:
            with self.store.db.session() as session:
                return prompt_query(session, self._models(), text, self.embeddings)
        return self.get(("prompt_query", text), embed)

    def clusters(self, k: int | None = None) -> list[Cluster]:
        """The pool's sub-theme clusters: those of `triage score`'s snapshot when it matches (the default k, with the
        models; clustering 100,000 pieces takes seconds), else computed once per pool (`_clusters`)."""
        if k is None and self.models is not None:
            return self.scores()[2]
        return self._clusters(k)

    def _clusters(self, k: int | None) -> list[Cluster]:
        def compute() -> list[Cluster]:
            items = list(self.pool().items.values())
            embed = self.models.text.encode if self.models is not None else None  # it helps name them, if given
            def cluster() -> list[Cluster]:
                with self.gate:
                    return cluster_pool(items, k=k, embed=embed)
            if self.cache is None:
                return cluster()
            # a restarted process finds those kept by the one before it, while the pool is the same
            stamp = kept_clusters.stamp(self.signature.pool, k, embed is not None)
            return kept_clusters.kept_or_made(self.store, self.callout_id, stamp, cluster)
        return self.of_pool(("clusters", k), compute, "pool")

    def table(self) -> PoolTable:
        """The pool's pieces as arrays for ranking (and their vectors for variety, made on first use): it depends on
        the pool only, so a ranking after a decision or a new search costs array work, not a pass per piece."""
        return self.of_pool(("table",), lambda: PoolTable(list(self.pool().items.values())), "pool")

    def cluster_of(self, k: int | None = None) -> dict[str, int]:
        """{piece: cluster id} of `clusters(k)`, one mapping per signature (the table keeps its array by its
        identity)."""
        return self.of_pool(("cluster_of", k), lambda: {m: c.id for c in self.clusters(k) for m in c.members})

    def scores(self, k: int | None = None) -> Scores:
        """Scores (as arrays: a piece is explained when a page shows it), duplicate groups and clusters of the
        call-out: `triage score`'s snapshot when it matches."""
        def compute() -> Scores:
            pool = self.pool()
            # The snapshot's signature reads the call-out's derived rows (half a second at 100,000 pieces): only
            # when there is a snapshot to compare it with.
            if k is None and snapshot_path(self.store, str(self.callout_id)).exists():
                with self.store.db.session() as session:
                    callout = get_callout(session, str(self.callout_id))
                    kept = load_snapshot(self.store, str(self.callout_id),
                                         snapshot_signature(session, callout, pool, self._models()))
                if kept is not None:  # `triage score` computed exactly this pool against exactly this call-out
                    return PoolScores.of(kept[0]), kept[1], kept[2]
            query, groups, clusters, graph = self.callout_query(), self.groups(), self._clusters(k), self.graph()
            features = self.features()
            with self.gate:
                return pool_scores(list(pool.items.values()), query, graph=graph, features=features), groups, clusters
        return self.of_pool(("scores", k), compute)

    def ranked(self, k: int | None = None) -> Ranked:
        """`scores(k)` with every piece's `Scored` built (the pool map and the workbench read them all)."""
        def compute() -> Ranked:
            scores, groups, clusters = self.scores(k)
            return scores.all(), groups, clusters
        return self.of_pool(("ranked", k), compute)
