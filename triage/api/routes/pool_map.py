"""The pool map of a call-out: a thin wrapper over triage.service.pool_map (same JSON as `triage map --json`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from triage.api.deps import Curator, StateDep
from triage.api.public_map import PoolMapPublic

router = APIRouter(tags=["triage"])


@router.get("/callouts/{callout_id}/map", response_model=PoolMapPublic)
def pool_map(callout_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Every ready piece of the call-out as a point in 2-D, with its sub-theme, score, decision and duplicate
    group, and each sub-theme's label placed at the centre of its points. Computed once per pool (seconds for
    thousands of pieces) and rebuilt when a piece arrives, leaves or is reprocessed."""
    from triage.service.pool_map import pool_map as run

    return run(state.store, state.models(), callout_id, cache=state.cache)
