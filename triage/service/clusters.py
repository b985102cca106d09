"""Sub-themes of a call-out's pool."""

from __future__ import annotations

from typing import Any

from triage.pipeline import Encoders
from triage.scoring.cluster import cluster_pool
from triage.service.pool import load_pool
from triage.store.callouts import get_callout
from triage.store.store import Store


def clusters(store: Store, models: Encoders | None, callout_id: str, *, k: int | None = None) -> dict[str, Any]:
    """`triage clusters ID --json`: id, readable label, size and members (external ids), largest first."""
    with store.db.session() as session:
        get_callout(session, callout_id)
        pool = load_pool(session, callout_id, with_fingerprints=False)
    found = cluster_pool(list(pool.items.values()), k=k)
    return {"callout": callout_id, "clusters": [
        {"id": c.id, "label": c.label, "size": c.size, "members": [pool.external(m) for m in c.members]}
        for c in found]}
