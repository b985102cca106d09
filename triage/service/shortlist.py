"""A call-out's shortlist, computed from the stored pool."""

from __future__ import annotations

import copy
from typing import Any

from triage.domain import MediaType
from triage.encoders.base import Encoders
from triage.scoring.shortlist import Filters, Ranking, decision_filter, rank
from triage.scoring.tally import Tally
from triage.service.cache import PoolCache, View
from triage.service.search import moment, why_dict
from triage.store.store import Store

Params = tuple[int, int, float, str | None, int | None, str | None, float | None, float | None, int | None, str,
               frozenset[str] | None]


def shortlist(store: Store, models: Encoders, callout_id: str, *, limit: int = 20, offset: int = 0,
              diversity: float = 0.3, media_type: str | None = None, cluster: int | None = None,
              decision: str | None = None, min_duration: float | None = None,
              max_duration: float | None = None, k: int | None = None, sort: str = "rank",
              only: frozenset[str] | None = None, cache: PoolCache | None = None,
              view: View | None = None) -> dict[str, Any]:
    """Ranked, de-duplicated, diversified entries of one call-out's pool, each with its reason.

    `only` keeps the duplicate groups with a member among these submission ids (a curator's assigned pieces,
    the pieces the team disagrees on). With a `cache`, the pool and its scores are reused while nothing they
    depend on changed, and identical concurrent requests are computed once. A request that holds a `view` of the
    call-out already passes it (its signature is read once).
    """
    view = view if view is not None and view.callout_id == callout_id else View(store, models, callout_id, cache)
    params: Params = (limit, offset, diversity, media_type, cluster, decision, min_duration, max_duration, k, sort,
                      only)
    marks = (view.decisions_mark, view.votes_mark)
    found = view.of_pool(("shortlist", marks, params), lambda: _shortlist(view, params))
    return copy.deepcopy(found)  # callers may change their copy; the remembered one stays as computed


def ranking(view: View, params: Params) -> Ranking:
    """The whole ranking the page is cut from, kept while what orders it holds. A decision changes the order only
    under a decision filter, and votes only the "rating" sort: otherwise the ranking stands, and the page after
    a decision is re-made from it (its decisions and votes read again) without ranking anything."""
    limit, offset, diversity, media_type, cluster, decision, min_duration, max_duration, k, sort, only = params
    key = ("ranking", params, view.decisions_mark if decision else None, view.votes_mark if sort == "rating" else None)

    def compute() -> Ranking:
        scores, groups, _ = view.scores(k)
        table = view.table()
        decided = view.decisions() if decision else None
        ratings = {i: t.mean for i, t in view.tallies().items() if t.mean is not None} if sort == "rating" else None
        filters = Filters(
            media_types=[MediaType(media_type)] if media_type else None, min_duration=min_duration,
            max_duration=max_duration, clusters=[cluster] if cluster is not None else None,
            decisions=decision_filter(decision), submission_ids=only,
        )
        score, _ = scores.aligned(table.ids)
        with view.gate:
            return rank(table, score, groups=groups, diversity=diversity, filters=filters,
                        clusters=view.cluster_of(k), decisions=decided, want=offset + limit, sort=sort,
                        ratings=ratings)
    return view.of_pool(key, compute)


def _shortlist(view: View, params: Params) -> dict[str, Any]:
    limit, offset, sort, k = params[0], params[1], params[9], params[8]
    pool = view.pool()
    decided = view.decisions()
    tallies = view.tallies()
    scores, _, clusters = view.scores(k)
    _, at = scores.aligned(view.table().ids)
    page = ranking(view, params).page(offset, limit, lambda i: scores.scored(int(at[i])).why)
    labels = {c.id: c.label for c in clusters}
    return {"callout": view.callout_id, "total": page.total, "offset": offset, "limit": limit, "sort": sort,
            "cluster_counts": {str(c): n for c, n in sorted(page.cluster_counts.items())}, "items": [
        {"rank": e.rank, "by_score": e.by_score, "submission_id": e.item_id, "external_id": pool.external(e.item_id),
         "media_type": pool.items[e.item_id].media_type.value, "score": round(e.score, 4),
         "duplicates": pool.copies(e.item_id, e.duplicates), "duplicate_ids": list(e.duplicates),
         "cluster": e.cluster, "cluster_label": labels.get(e.cluster) if e.cluster is not None else None,
         "moment": moment(e.why), "decision": decided.get(e.item_id), "why": why_dict(e.why),
         "team": _team(tallies.get(e.item_id))}
        for e in page.entries]}


def _team(tally: Tally | None) -> dict[str, Any]:
    if tally is None:
        return {"votes": {}, "mean": None, "split": False}
    mean = tally.mean
    return {"votes": dict(tally.votes), "mean": round(mean, 2) if mean is not None else None, "split": tally.split}
