"""Programmes over HTTP (issue 20): a thin wrapper over triage.service.programmes and the render jobs, with the
same shapes as `triage programme ... --json`; the rendered files and the payout sheet to download."""

from __future__ import annotations

import mimetypes
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from triage.api.deps import Curator, StateDep
from triage.api.public_jobs import QueuedPublic
from triage.api.public_programmes import (
    ContributorListPublic,
    CreditsPublic,
    MergeRequest,
    MergesPublic,
    OrderChange,
    PieceAdd,
    PieceChange,
    ProgrammeCreate,
    ProgrammeListPublic,
    ProgrammePublic,
    RenderPublic,
    SuggestionPublic,
    UnmergeRequest,
)
from triage.api.schemas import errors
from triage.jobs.renders import queue_render, render_status
from triage.service import contributors, programmes
from triage.service.programme_credits import payout_csv
from triage.service.programme_order import suggestion
from triage.service.programme_render import credits, output_file, settings_of

router = APIRouter(tags=["programmes"])
# A change writes to the database (503 while it cannot); a JSON body also answers 400 (unparsable) and 413 (too big).
WRITE = errors(409, 422, 503)
WITH_BODY = errors(400, 409, 413, 422, 503)


@router.get("/programmes", response_model=ProgrammeListPublic)
def list_(state: StateDep, who: Curator, callout: str | None = None) -> dict[str, Any]:
    """Every programme (or one call-out's), with its running total against its target."""
    return {"items": [asdict(p) for p in programmes.listing(state.store, callout)]}


@router.post("/programmes", status_code=201, response_model=ProgrammePublic, responses=WITH_BODY)
def create(body: ProgrammeCreate, state: StateDep, who: Curator) -> dict[str, Any]:
    """A new programme; its id is its name as a slug ("Episode 1" -> "episode-1")."""
    return asdict(programmes.create(state.store, body.name, body.kind, callout_id=body.callout_id,
                                    target=body.target, by=who.name))


@router.get("/programmes/{programme_id}", response_model=ProgrammePublic)
def show(programme_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    return asdict(programmes.view(state.store, programme_id, settings_of(state.settings)))


@router.post("/programmes/{programme_id}/pieces", status_code=201, response_model=ProgrammePublic, responses=WITH_BODY)
def add_piece(programme_id: str, body: PieceAdd, state: StateDep, who: Curator) -> dict[str, Any]:
    """Place a piece; without in/out points an episode takes its matched moment with handles."""
    wants_moment = body.start is None and body.end is None and not body.whole
    return asdict(programmes.add(state.store, programme_id, body.submission_id, start=body.start, end=body.end,
                                 heading=body.heading, at=body.at, models=state.models() if wants_moment else None,
                                 cache=state.cache, by=who.name))


@router.patch("/programmes/{programme_id}/pieces/{ref}", response_model=ProgrammePublic, responses=WITH_BODY)
def change_piece(programme_id: str, ref: str, body: PieceChange, state: StateDep, who: Curator) -> dict[str, Any]:
    """Trim a piece (in/out points; `whole` for all of it), open or close a section at it, or move it."""
    store = state.store
    found = programmes.view(store, programme_id)
    if body.whole:
        found = programmes.whole(store, programme_id, ref)
    elif body.start is not None or body.end is not None:
        found = programmes.trim(store, programme_id, ref, body.start, body.end)
    if body.heading is not None:
        found = programmes.set_heading(store, programme_id, ref, body.heading)
    if body.position is not None:
        found = programmes.move(store, programme_id, ref, body.position)
    return asdict(found)


@router.delete("/programmes/{programme_id}/pieces/{ref}", response_model=ProgrammePublic, responses=WRITE)
def remove_piece(programme_id: str, ref: str, state: StateDep, who: Curator) -> dict[str, Any]:
    return asdict(programmes.remove(state.store, programme_id, ref))


@router.put("/programmes/{programme_id}/order", response_model=ProgrammePublic, responses=WITH_BODY)
def reorder(programme_id: str, body: OrderChange, state: StateDep, who: Curator) -> dict[str, Any]:
    """Put every piece in this order (a drag, or an accepted suggestion); 409 if the pieces changed meanwhile."""
    return asdict(programmes.reorder(state.store, programme_id, body.order))


@router.get("/programmes/{programme_id}/suggestion", response_model=SuggestionPublic, responses=errors(503))
def suggest(programme_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """A running order to accept or change: sub-themes together, the strongest first and last, no contributor
    twice in a row where it can be helped."""
    return asdict(suggestion(state.store, state.models(), programme_id, state.cache))


@router.get("/programmes/{programme_id}/credits", response_model=CreditsPublic)
def programme_credits(programme_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Everyone credited, and what the pieces build on, with their share of the programme."""
    return asdict(credits(state.store, programme_id, settings_of(state.settings)))


@router.get("/programmes/{programme_id}/payouts.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "the payout sheet"}})
def payouts(programme_id: str, state: StateDep, who: Curator) -> Response:
    """The payout sheet: name, role, share (summing to 1), basis, pieces."""
    sheet = payout_csv(credits(state.store, programme_id, settings_of(state.settings)))
    return Response(sheet, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{programme_id}-payouts.csv"'})


@router.post("/programmes/{programme_id}/render", status_code=202, response_model=QueuedPublic, responses=WRITE)
def render(programme_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Queue the programme's render; 422 naming every piece that stops it, 409 while one is running."""
    return {"job": queue_render(state.store, programme_id, state.settings)}


@router.get("/programmes/{programme_id}/render", response_model=RenderPublic)
def render_state(programme_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    return render_status(state.store, programme_id)


@router.get("/programmes/{programme_id}/files/{name}", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "a rendered file"}})
def download(programme_id: str, name: str, state: StateDep, who: Curator) -> FileResponse:
    """A file of the last finished render, by its name in the render's manifest."""
    path = output_file(state.store, programme_id, name)
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=kind, filename=name)


@router.get("/contributors", response_model=ContributorListPublic)
def contributor_names(state: StateDep, who: Curator, like: str | None = None) -> dict[str, Any]:
    """Contributor names as submitted; `like` lists those differing from it only in case and spacing."""
    return {"items": contributors.names(state.store, like)}


@router.post("/contributors/merge", response_model=MergesPublic, responses=WITH_BODY)
def merge(body: MergeRequest, state: StateDep, who: Curator) -> dict[str, Any]:
    """Say these names are one person: credits and payouts count them once, as `person`."""
    return {"merged": contributors.merge(state.store, body.names, body.person, who.name)}


@router.post("/contributors/unmerge", response_model=MergesPublic, responses=WITH_BODY)
def unmerge(body: UnmergeRequest, state: StateDep, who: Curator) -> dict[str, Any]:
    return {"merged": contributors.unmerge(state.store, body.names)}
