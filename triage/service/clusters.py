"""Sub-themes of a call-out's pool."""

from __future__ import annotations

from typing import Any

from triage.encoders.base import Encoders
from triage.service.cache import PoolCache, View
from triage.store.store import Store


def clusters(store: Store, models: Encoders | None, callout_id: str, *, k: int | None = None,
             cache: PoolCache | None = None) -> dict[str, Any]:
    """`triage clusters ID --json`: id, readable label, size and members (external ids), largest first.

    With `models`, the text encoder helps choose the labels; without, they come from shared words alone.
    """
    view = View(store, models, callout_id, cache)
    pool, found = view.pool(), view.clusters(k)
    return {"callout": callout_id, "clusters": [
        {"id": c.id, "label": c.label, "size": c.size, "members": [pool.external(m) for m in c.members]}
        for c in found]}
