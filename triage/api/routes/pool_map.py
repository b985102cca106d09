"""The pool map of a call-out: a thin wrapper over triage.service.pool_map (same JSON as `triage map --json`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from triage.api.deps import Curator, StateDep
from triage.api.public_map import PoolMapPublic
from triage.jobs.handlers import queue_pool_map

router = APIRouter(tags=["triage"])
RETRY_AFTER_S = 5  # while a layout job works: how soon a client (the map page) asks again


@router.get("/callouts/{callout_id}/map", response_model=PoolMapPublic)
def pool_map(callout_id: str, state: StateDep, who: Curator, response: Response) -> dict[str, Any]:
    """Every ready piece of the call-out as a point in 2-D, with its sub-theme, score, decision and duplicate
    group, and each sub-theme's label placed at the centre of its points. The layout is kept per pool and rebuilt
    when a piece arrives, leaves or is reprocessed: at once for a small pool, by a background job for a large one
    (minutes for 10,000 pieces), while this answers at once with the last layout (`status`)."""
    from triage.service.pool_map import READY
    from triage.service.pool_map import pool_map as answer

    def later() -> None:
        queue_pool_map(state.store.db, callout_id)
        state.wake_workers()

    found = answer(state.store, state.models(), callout_id, cache=state.cache, later=later)
    if found["status"] != READY:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return found
