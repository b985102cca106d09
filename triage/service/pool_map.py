"""A call-out's pool map: every ready piece as a point in 2-D, with its sub-theme, score, decision and copies.

The layout is derived data, kept per call-out (service.map_layout) and rebuilt when the pool changes, starting from
the last one: the points a curator has seen keep their place. A large pool's layout is computed by a background
job; meanwhile the answer is the last layout at once, with `status` "updating" and the pieces it lacks placed near
their sub-theme (`placed` false), or "computing" with no points when there is none yet. Decisions do not move
points; they are read on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from triage.encoders.base import Encoders
from triage.scoring.cluster import Cluster
from triage.scoring.projection import Layout, pool_layout
from triage.service import map_layout
from triage.service.cache import PoolCache, View
from triage.store.store import Store

READY, UPDATING, COMPUTING = "ready", "updating", "computing"
Later = Callable[[], None]  # queues the background job that lays the pool out


def layout(view: View, later: Later | None = None) -> tuple[Layout | None, str, int]:
    """The kept layout of the view's pool, its status and the pool's size. A missing or stale one is computed here
    for a small pool (or when there is no `later`, as for `triage map`), else handed to `later` while the last one
    is shown."""
    callout_id = str(view.callout_id)
    with view.store.db.session() as session:  # before the pool: a piece landing meanwhile makes it stale
        sig, count = map_layout.signature(session, callout_id, view.models)
    kept = map_layout.load(view.store, callout_id, view.layouts)
    if kept is not None and kept.signature == sig and set(view.pool().items) <= set(kept.layout.ids):
        return kept.layout, READY, count
    if later is None or count <= map_layout.INLINE_MAX:
        def compute() -> Layout:
            with view.gate:
                found = pool_layout(list(view.pool().items.values()), kept.layout if kept is not None else None)
            map_layout.save(view.store, callout_id, map_layout.KeptLayout(sig, found, time.time()))
            return found
        return view.of_pool(("map",), compute), READY, count
    later()
    return (kept.layout, UPDATING, count) if kept is not None else (None, COMPUTING, count)


def provisional(where: dict[str, tuple[float, float]], missing: list[str],
                clusters: list[Cluster]) -> dict[str, tuple[float, float]]:
    """Places for pieces the kept layout lacks: the centre of their sub-theme's placed pieces (of all placed pieces
    without one), each a little apart on a spiral so they do not hide each other."""
    if not where or not missing:
        return {}
    every = np.array(list(where.values()))
    step = 0.01 * max(float(np.ptp(every, axis=0).max()), 1.0)
    cluster_of = {m: c for c in clusters for m in c.members}
    centres: dict[int | None, np.ndarray] = {None: every.mean(axis=0)}
    for c in clusters:
        at = [where[m] for m in c.members if m in where]
        centres[c.id] = np.mean(at, axis=0) if at else centres[None]
    out, seen = {}, dict.fromkeys(centres, 0)
    for sid in sorted(missing):
        key = cluster_of[sid].id if sid in cluster_of else None
        n = seen[key] = seen[key] + 1
        angle = n * 2.399963  # the golden angle: an even spread
        x, y = centres[key] + step * np.sqrt(n) * np.array([np.cos(angle), np.sin(angle)])
        out[sid] = (float(x), float(y))
    return out


def pool_map(store: Store, models: Encoders, callout_id: str, *, cache: PoolCache | None = None,
             view: View | None = None, later: Later | None = None) -> dict[str, Any]:
    """`GET /api/callouts/{id}/map` and `triage map`: each ready piece with x, y, cluster (id and label), score,
    current decision and duplicate group (its representative's id; null for a piece without copies), each
    cluster's centre on the map, and the layout's status (see the module's note)."""
    view = view if view is not None and view.callout_id == callout_id else View(store, models, callout_id, cache)
    found, status, count = layout(view, later)
    if found is None:  # nothing to show yet: the pool need not even be loaded
        return {"callout": callout_id, "status": COMPUTING, "count": count, "pending": count, "clusters": [],
                "points": []}
    pool = view.pool()
    where = {sid: xy for sid, xy in found.position().items() if sid in pool.items}
    if not where and pool.items:  # nothing placed yet (or none of the pieces the kept layout placed is left)
        return {"callout": callout_id, "status": COMPUTING, "count": len(pool.items), "pending": len(pool.items),
                "clusters": [], "points": []}
    scored, groups, clusters = view.ranked()
    guessed = provisional(where, [sid for sid in pool.items if sid not in where], clusters)
    decided = view.decisions()
    score = {s.item_id: s.score for s in scored}
    cluster_of = {m: c for c in clusters for m in c.members}
    group_of = {m: g.representative for g in groups if len(g.members) > 1 for m in g.members}
    points = []
    for sid, item in pool.items.items():
        row, cluster = pool.submissions[sid], cluster_of.get(sid)
        x, y = where.get(sid) or guessed.get(sid, (0.0, 0.0))
        points.append({
            "submission_id": sid, "external_id": pool.external(sid), "title": row.title,
            "contributor": row.contributor, "media_type": item.media_type.value, "x": round(x, 4), "y": round(y, 4),
            "placed": sid in where, "cluster": cluster.id if cluster is not None else None,
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
    return {"callout": callout_id, "status": status, "count": len(points), "pending": len(guessed),
            "clusters": centres, "points": points}
