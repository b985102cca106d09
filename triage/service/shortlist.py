"""A call-out's shortlist, computed from the stored pool."""

from __future__ import annotations

from typing import Any

from triage.domain import MediaType
from triage.pipeline import Encoders
from triage.scoring.cluster import cluster_pool
from triage.scoring.relevance import score_pool
from triage.scoring.shortlist import Filters
from triage.scoring.shortlist import shortlist as rank
from triage.service import decisions as dec
from triage.service.duplicates import pool_groups
from triage.service.pool import load_pool
from triage.service.queries import callout_query
from triage.service.rescore import load_snapshot, signature
from triage.service.search import moment, why_dict
from triage.store.callouts import get_callout
from triage.store.store import Store


def shortlist(store: Store, models: Encoders, callout_id: str, *, limit: int = 20, offset: int = 0,
              diversity: float = 0.3, media_type: str | None = None, cluster: int | None = None,
              decision: str | None = None, min_duration: float | None = None,
              max_duration: float | None = None, k: int | None = None) -> dict[str, Any]:
    """Ranked, de-duplicated, diversified entries of one call-out's pool, each with its reason."""
    with store.db.session() as session:
        callout = get_callout(session, callout_id)
        pool = load_pool(session, callout_id)
        decided = dec.current(session, list(pool.items))
        kept = None if k is not None else load_snapshot(store, callout_id, signature(session, callout, pool, models))
        if kept is None:
            query = callout_query(session, models, callout)
            groups = pool_groups(session, pool)
    if kept is not None:  # `triage score` computed exactly this pool against exactly this call-out
        scored, groups, clusters = kept
    else:
        scored = score_pool(list(pool.items.values()), query)
        clusters = cluster_pool(list(pool.items.values()), k=k)
    cluster_of = {m: c.id for c in clusters for m in c.members}
    filters = Filters(
        media_types=[MediaType(media_type)] if media_type else None, min_duration=min_duration,
        max_duration=max_duration, clusters=[cluster] if cluster is not None else None,
        decisions=[decision] if decision else None,
    )
    page = rank(scored, pool.items, groups=groups, diversity=diversity, filters=filters, clusters=cluster_of,
                decisions=decided, offset=offset, limit=limit)
    labels = {c.id: c.label for c in clusters}
    return {"callout": callout_id, "total": page.total, "offset": offset, "limit": limit, "items": [
        {"rank": e.rank, "submission_id": e.item_id, "external_id": pool.external(e.item_id),
         "media_type": pool.items[e.item_id].media_type.value, "score": round(e.score, 4),
         "duplicates": [pool.external(d) for d in e.duplicates], "cluster": e.cluster,
         "cluster_label": labels.get(e.cluster) if e.cluster is not None else None,
         "moment": moment(e.why), "decision": decided.get(e.item_id), "why": why_dict(e.why)}
        for e in page.entries]}

