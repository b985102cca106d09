"""One call-out's pool as of one cheap signature, and what is computed from it, remembered between requests.

The signature reads no vectors, nor any submission row: the count and newest update time of the ready
submissions, the content rows' newest update time, the vector table's size and the vector and artifact tables'
newest ids (reprocessing deletes and re-inserts rows), the curators' duplicate verdicts on the pool's
submissions and the pieces they chose to keep, every call-out's words (the others give contrast) and the model
names. Anything that changes a result changes the signature, so a remembered result is always the one a fresh
computation would give.
Decisions and votes do not change scores: they have their own cheap marks, read on every request.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, aliased

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
from triage.service import votes
from triage.service.decisions import latest_with_ids
from triage.service.duplicates import pool_groups
from triage.service.ledger import DecisionLedger
from triage.service.memo import Embeddings, Memo
from triage.service.pool import Pool, load_pool, model_names
from triage.service.queries import callout_query, prompt_query
from triage.service.rescore import load_snapshot
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
Ranked = tuple[list[Scored], list[DuplicateGroup], list[Cluster]]
Scores = tuple[PoolScores, list[DuplicateGroup], list[Cluster]]


class PoolCache:
    """Loaded pools and their scores, per call-out, shared by the requests of one process (the app owns it)."""

    def __init__(self, max_entries: int = 1024, max_scopes: int = 4, workers: int = 2,
                 embedding_bytes: int = 64 << 20) -> None:
        # The big entries (a pool, its features, its scores) are bounded by `max_scopes`; the count bounds the small
        # ones (a page of results): a curator cycling through dozens of searches finds each one still here.
        self.memo = Memo(max_entries, max_scopes)
        self.embeddings = Embeddings(embedding_bytes)
        # The FAISS indexes a big pool's search is narrowed with: archive-wide, so one copy whatever the call-out,
        # kept while the vectors table stays as it was (service.search).
        self.indexes = Memo(max_entries=4, max_scopes=1)
        # Scoring a big pool is CPU- and memory-heavy: more at once than there are cores only multiplies the
        # memory (about 170 MB per search of 10,000 submissions) without finishing any sooner.
        self.gate = threading.BoundedSemaphore(workers)
        # Each call-out's last pool map (service.pool_map): a changed pool starts from it, so points keep their place.
        self.layouts: dict[str, object] = {}


def pool_signature(session: Session, callout_id: str | None, models: Encoders | None) -> tuple[str, int]:
    """A hash of everything a call-out's pool, scores, groups and clusters depend on, and the pool's size."""
    sig, count, _ = _signature(session, callout_id, models)
    return sig, count


def _signature(session: Session, callout_id: str | None,
               models: Encoders | None) -> tuple[str, int, tuple[object, ...]]:
    """`pool_signature`, and the vectors table's count and newest id (what the FAISS indexes are made from).

    Every request reads it, so each part is one index lookup or a range of one index, never a table's rows (at
    1,000,000 pieces three scans made it 0.7-0.9 s; see benchmarks/RESULTS.md, issue 21)."""
    # Every insert or update stamps updated_at with the current time, so count + newest stamp change with any
    # added, removed, moved or re-processed submission, without reading 10,000 rows into Python. Both are read from
    # ix_submissions_ready_mark (status, call-out, updated_at) alone, no submission row, and asked apart: the
    # newest is then one lookup per call-out, the count a walk along the index (together, 200 ms at 1,000,000
    # pieces; the archive's newest as one max over the index, 110 ms).
    ready = Submission.status == Status.READY.value
    if callout_id:
        ready = ready & (Submission.callout_id == callout_id)
        newest = session.scalar(select(func.max(Submission.updated_at)).where(ready))
    else:
        each = select(func.max(Submission.updated_at)).where(ready, Submission.callout_id == Callout.id)
        newest = session.scalar(select(func.max(each.scalar_subquery())).select_from(Callout))
    count = session.scalar(select(func.count()).select_from(Submission).where(ready)) or 0
    # The vectors' count and newest id, asked apart: together SQLite scans the table for both, apart the newest id
    # is one lookup and the count reads the narrowest index, ix_vectors_ordinal (9 ms at 2,000,000 vectors, 135 ms
    # from the index of shas). The count stays: a re-processed content that gets fewer vectors than it had (none,
    # for a stage that found no words) removes rows without adding any above the newest id, and nothing else read
    # here need change then.
    vectors = (session.scalar(select(func.count()).select_from(Vector)), session.scalar(select(func.max(Vector.id))))
    # The artifacts' newest id without their count (a scan of a row per content): artifacts are removed in two
    # places only, and both change something else read here. `store.artifacts.put_artifact` replaces the one
    # artifact of a kind of a content: the count is the same after it whatever it did, and the new row takes an id
    # above every other (the newest id changes) or, when it replaced the newest row itself, that row's id again
    # (which the count did not see either). Erasure (`service.erase_rows.tombstone`) deletes a content's artifacts
    # only when every submission holding those bytes is erased, and makes each of those submissions a tombstone
    # (status erased, updated_at now): every pool that held one loses a ready piece, so its count above changes.
    # Lineage's fingerprint files are left out (ix_artifacts_pool_newest, one lookup): their job writes them after a
    # piece is ready, no pool reads them, and counting them would throw every pool's cache away once more.
    pool_artifacts = select(func.max(Artifact.id)).where(text(POOL_ARTIFACTS))
    marks: list[tuple[object, ...]] = [vectors, (session.scalar(pool_artifacts),)]
    marks.append((session.scalar(select(func.max(Content.updated_at))),))  # ix_contents_updated: one lookup
    verdicts_q = select(DuplicateOverride.submission_a, DuplicateOverride.submission_b, DuplicateOverride.verdict)
    if callout_id:  # a verdict on other call-outs' submissions changes nothing here
        # each verdict's two submissions looked up by id: `IN (the call-out's ids)` would list the whole pool first
        a, b = aliased(Submission), aliased(Submission)
        verdicts_q = (verdicts_q.outerjoin(a, a.id == DuplicateOverride.submission_a)
                      .outerjoin(b, b.id == DuplicateOverride.submission_b)
                      .where(or_(a.callout_id == callout_id, b.callout_id == callout_id)))
    verdicts: list[object] = list(session.execute(verdicts_q.order_by(DuplicateOverride.id)).all())
    verdicts += session.execute(select(DuplicateKeep.submission_id, DuplicateKeep.id).order_by(DuplicateKeep.id)).all()
    callouts = session.execute(select(Callout.id, Callout.title, Callout.brief, Callout.prompts,
                                      Callout.negative_prompts, Callout.exemplars,
                                      Callout.updated_at).order_by(Callout.id)).all()
    models_ = (models.text.name, models.clip.name if models.clip else None) if models is not None else None
    parts = (count, newest, marks, verdicts, callouts, models_)
    return hashlib.sha256(repr(parts).encode()).hexdigest(), int(count), marks[0]


def decisions_mark(session: Session) -> tuple[int, int | None, object]:
    """Changes whenever a decision is recorded or undone. An undo removes rows, and SQLite then hands the next row
    the id it freed: the newest time tells that row from the one undone."""
    count, newest, when = session.execute(select(func.count(), func.max(Decision.id),
                                                 func.max(Decision.created_at))).one()
    return int(count), newest, when


class View:
    """A call-out's pool (or the archive's when `callout_id` is None) as of now; each part computed once.

    Without a cache every part is computed afresh for this one request, exactly as with one. Scoring needs
    `models`; pools, groups and clusters do not.
    """

    def __init__(self, store: Store, models: Encoders | None, callout_id: str | None,
                 cache: PoolCache | None) -> None:
        self.store, self.models, self.callout_id = store, models, callout_id
        self.memo = cache.memo if cache is not None else Memo()
        self.embeddings = cache.embeddings if cache is not None else Embeddings()
        self.indexes = cache.indexes if cache is not None else Memo()
        self.gate: AbstractContextManager[object] = cache.gate if cache is not None else nullcontext()
        self.layouts: dict[str, object] = cache.layouts if cache is not None else {}
        with store.db.session() as session:
            if callout_id:
                get_callout(session, callout_id)
            self.sig, self.count, self.vectors_mark = _signature(session, callout_id, models)
        self.marks_changed()

    def marks_changed(self) -> None:
        """Read the decisions' and votes' marks again (after this request recorded some): the pool's signature
        stands, so the request goes on with the same view."""
        with self.store.db.session() as session:
            self.decisions_mark = decisions_mark(session)
            self.votes_mark = votes.mark(session)

    def get(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """A value computed from this pool, remembered under `key` while the signature holds."""
        return self.memo.get((self.callout_id or "*", self.sig, *key), compute)

    def pool(self) -> Pool:
        def load() -> Pool:
            with self.gate, self.store.db.session() as session:
                return load_pool(session, self.callout_id, models=model_names(self.models))
        return self.get(("pool",), load)

    def groups(self) -> list[DuplicateGroup]:
        def compute() -> list[DuplicateGroup]:
            pool = self.pool()
            with self.gate, self.store.db.session() as session:
                return pool_groups(session, pool)
        return self.get(("groups",), compute)

    def decisions(self) -> dict[str, str]:
        """Each piece's current decision, duplicate groups decided as one (the newest decision on a member)."""
        def read() -> dict[str, str]:
            if self.callout_id is None:  # the archive: no ledger, every piece read once
                with self.store.db.session() as session:
                    made = latest_with_ids(session, list(self.pool().items))
            else:
                made = self.get(("decision ledger",), DecisionLedger).current(self.store, self.callout_id,
                                                                               list(self.pool().items))
            return group_decisions(self.groups(), made)
        return self.get(("decisions", self.decisions_mark), read)

    def tallies(self) -> dict[str, Tally]:
        """Each piece's team votes, duplicate groups counted as one piece (pieces nobody rated are absent)."""
        def read() -> dict[str, Tally]:
            with self.store.db.session() as session:
                cast = votes.of(session, list(self.pool().items))
            return group_tallies(self.groups(), cast)
        return self.get(("tallies", self.votes_mark), read)

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
        return self.get(("graph",), compute)

    def features(self) -> PoolFeatures:
        """The pool's vectors stacked for scoring (views into the loaded pool's buffers, plus the pairs' norms): it
        depends on the pool only, so every search and scoring of this pool shares one."""
        def compute() -> PoolFeatures:
            features = PoolFeatures(list(self.pool().items.values()))
            with self.gate:
                for modality in MODALITIES:  # now, not in the first search that needs it
                    features.rows(modality)
            return features
        return self.get(("features",), compute)

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
        def compute() -> list[Cluster]:
            items = list(self.pool().items.values())
            embed = self.models.text.encode if self.models is not None else None  # it helps name them, if given
            with self.gate:
                return cluster_pool(items, k=k, embed=embed)
        return self.get(("clusters", k), compute)

    def table(self) -> PoolTable:
        """The pool's pieces as arrays for ranking (and their vectors for variety, made on first use): it depends on
        the pool only, so a ranking after a decision or a new search costs array work, not a pass per piece."""
        return self.get(("table",), lambda: PoolTable(list(self.pool().items.values())))

    def cluster_of(self, k: int | None = None) -> dict[str, int]:
        """{piece: cluster id} of `clusters(k)`, one mapping per pool (the table keeps its array by its identity)."""
        return self.get(("cluster_of", k), lambda: {m: c.id for c in self.clusters(k) for m in c.members})

    def scores(self, k: int | None = None) -> Scores:
        """Scores (as arrays: a piece is explained when a page shows it), duplicate groups and clusters of the
        call-out: `triage score`'s snapshot when it matches."""
        def compute() -> Scores:
            pool = self.pool()
            if k is None:
                with self.store.db.session() as session:
                    callout = get_callout(session, str(self.callout_id))
                    kept = load_snapshot(self.store, str(self.callout_id),
                                         snapshot_signature(session, callout, pool, self._models()))
                if kept is not None:  # `triage score` computed exactly this pool against exactly this call-out
                    return PoolScores.of(kept[0]), kept[1], kept[2]
            query, groups, clusters, graph = self.callout_query(), self.groups(), self.clusters(k), self.graph()
            features = self.features()
            with self.gate:
                return pool_scores(list(pool.items.values()), query, graph=graph, features=features), groups, clusters
        return self.get(("scores", k), compute)

    def ranked(self, k: int | None = None) -> Ranked:
        """`scores(k)` with every piece's `Scored` built (the pool map and the workbench read them all)."""
        def compute() -> Ranked:
            scores, groups, clusters = self.scores(k)
            return scores.all(), groups, clusters
        return self.get(("ranked", k), compute)
