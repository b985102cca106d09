"""A call-out's shortlist, computed from the stored pool."""

from __future__ import annotations

import copy
from typing import Any

from triage.domain import UNDECIDED, MediaType
from triage.pipeline import Encoders
from triage.scoring.shortlist import Filters
from triage.scoring.shortlist import shortlist as rank
from triage.service.cache import PoolCache, View
from triage.service.search import moment, why_dict
from triage.store.store import Store


def shortlist(store: Store, models: Encoders, callout_id: str, *, limit: int = 20, offset: int = 0,
              diversity: float = 0.3, media_type: str | None = None, cluster: int | None = None,
              decision: str | None = None, min_duration: float | None = None,
              max_duration: float | None = None, k: int | None = None,
              cache: PoolCache | None = None) -> dict[str, Any]:
    """Ranked, de-duplicated, diversified entries of one call-out's pool, each with its reason.

    With a `cache`, the pool and its scores are reused while nothing they depend on changed, and identical
    concurrent requests are computed once.
    """
    view = View(store, models, callout_id, cache)
    params = (limit, offset, diversity, media_type, cluster, decision, min_duration, max_duration, k)
    found = view.get(("shortlist", view.decisions_mark, params), lambda: _shortlist(view, *params))
    return copy.deepcopy(found)  # callers may change their copy; the remembered one stays as computed


def _shortlist(view: View, limit: int, offset: int, diversity: float, media_type: str | None, cluster: int | None,
               decision: str | None, min_duration: float | None, max_duration: float | None,
               k: int | None) -> dict[str, Any]:
    pool = view.pool()
    decided = view.decisions()
    scored, groups, clusters = view.ranked(k)
    cluster_of = {m: c.id for c in clusters for m in c.members}
    filters = Filters(
        media_types=[MediaType(media_type)] if media_type else None, min_duration=min_duration,
        max_duration=max_duration, clusters=[cluster] if cluster is not None else None,
        decisions=_decision_filter(decision),
    )
    with view.gate:
        page = rank(scored, pool.items, groups=groups, diversity=diversity, filters=filters, clusters=cluster_of,
                    decisions=decided, offset=offset, limit=limit)
    labels = {c.id: c.label for c in clusters}
    return {"callout": view.callout_id, "total": page.total, "offset": offset, "limit": limit, "items": [
        {"rank": e.rank, "submission_id": e.item_id, "external_id": pool.external(e.item_id),
         "media_type": pool.items[e.item_id].media_type.value, "score": round(e.score, 4),
         "duplicates": pool.copies(e.item_id, e.duplicates), "cluster": e.cluster,
         "cluster_label": labels.get(e.cluster) if e.cluster is not None else None,
         "moment": moment(e.why), "decision": decided.get(e.item_id), "why": why_dict(e.why)}
        for e in page.entries]}


def _decision_filter(decision: str | None) -> list[str] | None:
    """"unrated" is what a card shows for a piece nobody has rated, so it matches those too; "undecided" matches
    only pieces nobody has ever decided on."""
    if not decision:
        return None
    return [decision, UNDECIDED] if decision == "unrated" else [decision]
