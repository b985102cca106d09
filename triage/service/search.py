"""Search by a text prompt, or by a piece ("more like this"), over one call-out or the whole archive,
with the moment that matched."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

from triage.domain import MediaType
from triage.encoders.base import Encoders
from triage.errors import BadRequest
from triage.scoring.dedup import DuplicateGroup
from triage.scoring.floor import floor_for, match
from triage.scoring.modality import PoolFeatures
from triage.scoring.relevance import Graph, PoolScores, like_query, pool_scores
from triage.scoring.shortlist import Filters, PoolTable, Ranking, Shortlist, decision_filter, rank
from triage.scoring.types import CalloutQuery, Explanation
from triage.service.cache import PoolCache, View
from triage.service.duplicates import pool_groups
from triage.service.index import nearest_contents, synced_indexes
from triage.service.pool import Pool, load_pool, model_names
from triage.store.store import Store
from triage.store.submissions import lookup_near
from triage.vectors import VectorIndex

log = logging.getLogger(__name__)

CALIBRATION = "floor_calibration.json"  # in triage/scoring, written by benchmarks/calibrate_floor.py
_SPARE = 16  # extra index candidates for `similar`, whose nearest ones are the piece and its copies


def moment(why: Explanation) -> dict[str, float] | None:
    if why.start is not None and why.end is not None:
        return {"start": round(why.start, 2), "end": round(why.end, 2)}
    if why.frame_time is not None:
        return {"start": round(why.frame_time, 2), "end": round(why.frame_time, 2)}
    return None


def why_dict(why: Explanation) -> dict[str, Any]:
    return {"modality": why.modality, "score": round(why.score, 4), "snippet": why.snippet,
            "start": why.start, "end": why.end, "frame_time": why.frame_time}


def search(store: Store, models: Encoders, text: str, *, callout_id: str | None = None, limit: int = 20,
           offset: int = 0, index_dir: Path | None = None, narrow_above: int = 20_000,
           exact_max: int = 50_000, cache: PoolCache | None = None, media_type: str | None = None,
           decision: str | None = None, only: frozenset[str] | None = None,
           view: View | None = None) -> dict[str, Any]:
    """Ranked submissions for `text`; each duplicate group appears once, its other members attached.

    Pools up to `narrow_above` submissions are scored whole. Larger ones are first narrowed to the contents
    whose chunks the FAISS index (exact up to `exact_max` vectors, IVF above) ranks highest, then scored the
    same way. With a `cache`, the pool is reused while unchanged and identical concurrent searches run once.
    `media_type`, `decision` and `only` narrow the results as they narrow the shortlist (a duplicate group as one).
    """
    view = view if view is not None and view.callout_id == callout_id else View(store, models, callout_id, cache)
    narrow = index_dir is not None and view.count > narrow_above
    filters = Filters(media_types=[MediaType(media_type)] if media_type else None,
                      decisions=decision_filter(decision), submission_ids=only)
    key = ("search", text, limit, offset, str(index_dir) if narrow else None, exact_max if narrow else None,
           media_type, decision, only, view.decisions_mark if decision else None)
    remember = view.get if narrow else view.of_pool  # a narrowed search scores a pool of its own
    found = remember(key, lambda: _search(view, text, limit, offset, index_dir if narrow else None, exact_max,
                                          filters))
    return copy.deepcopy(found)


def floor_calibration() -> dict[str, Any]:
    """The floors benchmarks/calibrate_floor.py measured, by text model name (shipped beside triage.scoring.floor).

    Unreadable, it is no calibration: search then claims nothing either way, as for a model nobody calibrated.
    """
    try:
        data = json.loads(resources.files("triage.scoring").joinpath(CALIBRATION).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("no search floor: cannot read %s (%s)", CALIBRATION, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _search(view: View, text: str, limit: int, offset: int, index_dir: Path | None, exact_max: int,
            filters: Filters) -> dict[str, Any]:
    pool, ranking, scores = _ranked(view, view.prompt_query(text), limit, offset, index_dir, exact_max,
                                    filters=filters)
    floor = floor_for(view.models.text.name, floor_calibration()) if view.models is not None else None
    closest = _closest(ranking, scores.words_similarity)
    page = _page(ranking, scores, offset, limit)
    matches = {e.item_id: match(float(closest[int(ranking.order[offset + k])]), floor)
               for k, e in enumerate(page.entries)}
    # "good" counts the whole ranking, not the page: "no good match" is a claim about the pool. (This is `count_good`
    # of every entry's `match`, over arrays: the ranking can hold the whole pool.)
    good = None if floor is None else int(np.count_nonzero(closest[ranking.order] >= floor))
    return {"query": text, "callout": view.callout_id, "total": page.total, "good": good, "floor": floor,
            "items": _items(pool, page, matches)}


def _closest(ranking: Ranking, similarity: np.ndarray) -> np.ndarray:
    """Each head's raw words similarity (nan: unknown): a duplicate group is as close as its closest member
    (`floor.best_similarity`)."""
    out = similarity.copy()
    pos = ranking.table.pos
    for head, others in ranking.others.items():
        known = [v for m in others if (k := pos.get(m)) is not None and not np.isnan(v := similarity[k])]
        if known:
            out[head] = np.nanmax([out[head], *known])
    return out


def similar(store: Store, models: Encoders, ref: str, *, callout_id: str | None = None, limit: int = 20,
            offset: int = 0, index_dir: Path | None = None, narrow_above: int = 20_000, exact_max: int = 50_000,
            cache: PoolCache | None = None) -> dict[str, Any]:
    """Pieces like one submission (by id or external id), over one call-out or the whole archive.

    The piece's own words and frames are the query, ranked as `search` ranks (big pools narrowed the same
    way). The piece, its copies and other uploads of its bytes are left out: they are the piece, not more like it.
    """
    view = View(store, models, callout_id, cache)
    with store.db.session() as session:
        row = lookup_near(session, ref, callout_id)
        piece = load_pool(session, None, with_fingerprints=False, shas={row.sha256 or ""},
                          models=model_names(models)).items.get(row.id)
        like = {"submission_id": row.id, "external_id": row.external_id or row.id}
    query = like_query(piece) if piece is not None else None
    if query is None:
        raise BadRequest(f"submission {ref!r} has no words or frames to compare with (is it ready?)")
    narrow = index_dir is not None and view.count > narrow_above
    key = ("similar", row.id, limit, offset, str(index_dir) if narrow else None, exact_max if narrow else None)

    def itself(pool: Pool, groups: list[DuplicateGroup]) -> set[str]:
        copies = {m for g in groups if row.id in g.members for m in g.members}
        return {row.id} | copies | {i for i, r in pool.submissions.items() if r.sha256 == row.sha256}

    def compute() -> dict[str, Any]:
        pool, ranking, scores = _ranked(view, query, limit, offset, index_dir if narrow else None, exact_max,
                                        leave_out=itself)
        page = _page(ranking, scores, offset, limit)
        # No floor: it is calibrated for prompts, and a piece's own words are no prompt. The keys are search's.
        return {"like": like, "callout": view.callout_id, "total": page.total, "good": None, "floor": None,
                "items": _items(pool, page, {})}

    remember = view.get if narrow else view.of_pool  # a narrowed search scores a pool of its own
    return copy.deepcopy(remember(key, compute))


def _ranked(view: View, query: CalloutQuery, limit: int, offset: int, index_dir: Path | None, exact_max: int,
            leave_out: Callable[[Pool, list[DuplicateGroup]], set[str]] | None = None,
            filters: Filters | None = None) -> tuple[Pool, Ranking, PoolScores]:
    """Score the pool against `query` and rank all of it on the scores alone (`_page` explains the page); with an
    index, only the candidates it finds (enough for the page). The scores are in the ranking's table order."""
    graph: Graph | None | Literal["auto"]
    features: PoolFeatures | None = None
    if index_dir is None:
        pool, groups, graph, features, table = view.pool(), view.groups(), view.graph(), view.features(), view.table()
    else:  # a big pool: score only the candidates the index finds (a pool of its own, not remembered)
        spare = _SPARE if leave_out else 0  # the piece and its copies are the nearest candidates, and dropped
        shas = _candidates(view, index_dir, {"text": query.text, "clip": query.clip}, want=offset + limit + spare,
                           exact_max=exact_max)
        with view.store.db.session() as session:
            pool = load_pool(session, view.callout_id, shas=shas, models=model_names(view.models))
            groups = pool_groups(session, pool)
        graph = "auto"  # the candidates' pool is new each time: its graph is made while scoring
        table = PoolTable(list(pool.items.values()))
    # before the gate: reading decisions may compute the groups, which take the gate themselves
    decided = view.decisions() if filters is not None and filters.decisions is not None else None
    with view.gate:  # the whole pool is scored, so a cached neighbour graph applies; pieces are dropped after
        scores = pool_scores(list(pool.items.values()), query, graph=graph, features=features)
        score = scores.score
        if leave_out is not None:
            dropped = [k for i in leave_out(pool, groups) if (k := table.pos.get(i)) is not None]
            score = score.copy()
            score[dropped] = np.nan  # not ranked
        # Without variety the ranking is plain score order, so a page of the whole is the page a shortlist would cut.
        ranking = rank(table, score, groups=groups, diversity=0.0, filters=filters, decisions=decided)
    return pool, ranking, scores


def _candidates(view: View, index_dir: Path, queries: dict[str, np.ndarray | None], *, want: int,
                exact_max: int) -> set[str] | None:
    """`index.nearest_contents` over each space's index, kept in memory while the vectors table stays as it was:
    syncing reads the id of every vector and the index file with its checksum, seconds per search at 1M pieces."""
    return nearest_contents(view.store, indexes(view, index_dir, exact_max), queries, want=want)


def indexes(view: View, index_dir: Path, exact_max: int) -> dict[str, VectorIndex]:
    """Each space's synced index (`index.synced_indexes`), once per state of the vectors table, kept in the cache."""
    return view.indexes.get(("faiss", view.vectors_mark, str(index_dir), exact_max),
                            lambda: synced_indexes(view.store, index_dir, model_names(view.models),
                                                   exact_max=exact_max))


def _page(ranking: Ranking, scores: PoolScores, offset: int, limit: int) -> Shortlist:
    """The page's entries, only their pieces explained (scores and table share the pool's order)."""
    return ranking.page(offset, limit, lambda i: scores.scored(i).why)


def _items(pool: Pool, page: Shortlist, matches: Mapping[str, str | None]) -> list[dict[str, Any]]:
    return [_entry(pool, e.rank, e.item_id, e.score, e.why, e.duplicates, matches.get(e.item_id))
            for e in page.entries]


def _entry(pool: Pool, rank_: int, sid: str, score: float, why: Explanation, dups: tuple[str, ...],
           match_: str | None) -> dict[str, Any]:
    return {"rank": rank_, "submission_id": sid, "external_id": pool.external(sid),
            "media_type": pool.items[sid].media_type.value, "score": round(score, 4), "moment": moment(why),
            "snippet": why.snippet, "duplicates": pool.copies(sid, dups), "match": match_}
