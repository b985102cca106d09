"""A call-out's pool map: every ready piece as a point in 2-D, with its sub-theme, score, decision and copies.

The layout is derived data: computed from the pool's vectors (scoring.projection), remembered under the pool's
signature, so a new, removed or reprocessed piece makes a new one. With a cache the last layout of each call-out
is kept too, and a changed pool starts from it: the points a curator has seen keep their place. Decisions do
not move points; they are read on every request.
"""

from __future__ import annotations

from typing import Any

from triage.encoders.base import Encoders
from triage.scoring.projection import Layout, pool_layout
from triage.service.cache import PoolCache, View
from triage.store.store import Store

KEEP_LAYOUTS = 16  # call-outs whose last layout a cache keeps


def layout(view: View) -> Layout:
    """The view's pool laid out in 2-D, computed once per pool signature."""
    def compute() -> Layout:
        items = list(view.pool().items.values())
        previous = view.layouts.get(str(view.callout_id))
        with view.gate:
            found = pool_layout(items, previous if isinstance(previous, Layout) else None)
        view.layouts.pop(str(view.callout_id), None)
        view.layouts[str(view.callout_id)] = found
        for old in list(view.layouts)[:-KEEP_LAYOUTS]:
            view.layouts.pop(old, None)
        return found
    return view.get(("map",), compute)


def pool_map(store: Store, models: Encoders, callout_id: str, *, cache: PoolCache | None = None,
             view: View | None = None) -> dict[str, Any]:
    """`GET /api/callouts/{id}/map` and `triage map`: each ready piece with x, y, cluster (id and label), score,
    current decision and duplicate group (its representative's id; null for a piece without copies), and each
    cluster's centre on the map."""
    view = view if view is not None and view.callout_id == callout_id else View(store, models, callout_id, cache)
    pool = view.pool()
    scored, groups, clusters = view.ranked()
    where = layout(view).position()
    decided = view.decisions()
    score = {s.item_id: s.score for s in scored}
    cluster_of = {m: c for c in clusters for m in c.members}
    group_of = {m: g.representative for g in groups if len(g.members) > 1 for m in g.members}
    points = []
    for sid, item in pool.items.items():
        row, cluster = pool.submissions[sid], cluster_of.get(sid)
        x, y = where.get(sid, (0.0, 0.0))
        points.append({
            "submission_id": sid, "external_id": pool.external(sid), "title": row.title,
            "contributor": row.contributor, "media_type": item.media_type.value, "x": round(x, 4), "y": round(y, 4),
            "cluster": cluster.id if cluster is not None else None,
            "cluster_label": cluster.label if cluster is not None else None,
            "score": round(score[sid], 4) if sid in score else None, "decision": decided.get(sid),
            "group": group_of.get(sid)})
    centres = []
    for c in clusters:
        at = [where[m] for m in c.members if m in where]
        if at:
            centres.append({"id": c.id, "label": c.label, "size": c.size,
                            "x": round(sum(p[0] for p in at) / len(at), 4),
                            "y": round(sum(p[1] for p in at) / len(at), 4)})
    return {"callout": callout_id, "count": len(points), "clusters": centres, "points": points}
