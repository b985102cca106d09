"""Remix lineage over HTTP: a thin wrapper over triage.service.lineage (the same JSON as `triage lineage --json`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from triage.api.deps import Curator, StateDep
from triage.api.public_lineage import AssetMarkPublic, LineagePublic
from triage.service.lineage import lineage, mark_asset

router = APIRouter(tags=["triage"])


@router.get("/submissions/{submission_id}/lineage", response_model=LineagePublic)
def submission_lineage(submission_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """What the piece (id or external id) contains part of, with the moments on both sides; what contains part of
    it; and its credits, reaching back through the sources' own sources."""
    return lineage(state.store, submission_id)


@router.put("/submissions/{submission_id}/platform-asset", response_model=AssetMarkPublic)
def mark_platform_asset(submission_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Mark the piece's bytes as a platform asset (a theme song the call-out gave everyone, the studio's intro):
    it and what it matches make no lineage edges."""
    return mark_asset(state.store, submission_id, who.name)


@router.delete("/submissions/{submission_id}/platform-asset", response_model=AssetMarkPublic)
def unmark_platform_asset(submission_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Take a platform-asset mark back."""
    return mark_asset(state.store, submission_id, who.name, marked=False)
