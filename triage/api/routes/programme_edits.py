"""Changes to a programme's running order from the pages: add a piece from a shortlist card, move, reorder (a drag,
an accepted suggestion), trim, open a section, remove. Each answers as programme_pages.answer() says."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from triage.api.page import NEXT_MAX, PageDep, back_to_card, fragment, in_place
from triage.api.programme_answers import Refusal, change
from triage.api.programme_view import amount
from triage.errors import BadRequest
from triage.service import contributors, programmes
from triage.timefmt import parse_length

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form()]
Point = Annotated[str, Form(max_length=40)]


@router.post("/programmes/add")
def add_from_card(page: PageDep, programme: Annotated[str, Form(min_length=1, max_length=64)],
                  sid: Annotated[str, Form(min_length=1, max_length=64)], start: Point = "", end: Point = "",
                  csrf: Csrf = "", back: Annotated[str, Form(alias="next", max_length=NEXT_MAX)] = "/") -> Response:
    """Place a shortlist card's piece at the end of a programme: an episode takes the card's matched moment with
    handles (the ranking's moment when the card has none), a book or an album the whole piece."""
    page.check(csrf)
    state = page.state
    begin, finish = parse_length(start, "the moment's start"), parse_length(end, "the moment's end")
    moment = (begin, finish) if begin is not None and finish is not None and finish > begin else None
    try:
        found = programmes.add(state.store, programme, sid, moment=moment, models=None if moment else state.models(),
                               cache=state.cache, by=page.who.name)
    except Refusal as exc:
        if not in_place(page.request):
            raise
        response = page.render("_programme_added.html", status_code=exc.http_status, sid=sid, error=str(exc))
        response.headers["HX-Trigger-After-Settle"] = json.dumps(
            {"triage:added": {"sid": sid, "say": f"Not added: {exc}"}})
        return fragment(response)
    if not in_place(page.request):
        return back_to_card(back, sid)
    placed = next((p for p in found.pieces if p.submission_id == sid), None)
    said = (f"Added to {found.name} as piece {placed.position if placed else len(found.pieces)}: "
            f"{amount(found.used, found.unit)} of {amount(found.target, found.unit)}")
    response = page.render("_programme_added.html", sid=sid, error=None, said=said, p=found)
    response.headers["HX-Trigger-After-Settle"] = json.dumps({"triage:added": {"sid": sid, "say": said}})
    return fragment(response)


@router.post("/programmes/{programme_id}/pieces/{sid}/move")
def move(programme_id: str, sid: str, page: PageDep, way: Annotated[str, Form(pattern="^(up|down)$")] = "",
         to: Annotated[int | None, Form(ge=1, le=10_000)] = None, csrf: Csrf = "") -> Response:
    """Move a piece one place up or down (or to position `to`)."""
    page.check(csrf)
    store = page.state.store
    placed = programmes.view(store, programme_id).pieces
    now = next((p for p in placed if p.submission_id == sid), None)
    where = max(1, min(to if to is not None else (now.position + (-1 if way == "up" else 1) if now else 1),
                       len(placed)))
    return change(page, programme_id, lambda: programmes.move(store, programme_id, sid, where), at=sid,
                  focus=f"piece-{sid}", say=f"Moved to place {where}")


@router.post("/programmes/{programme_id}/order")
def reorder(programme_id: str, page: PageDep, order: Annotated[str, Form(min_length=1, max_length=40_000)],
            focus: Annotated[str, Form(max_length=80)] = "", csrf: Csrf = "") -> Response:
    """Put the pieces in this order (comma-separated submission ids): a drag, or an accepted suggestion."""
    page.check(csrf)
    wanted = [s.strip() for s in order.split(",") if s.strip()]
    return change(page, programme_id, lambda: programmes.reorder(page.state.store, programme_id, wanted), at="order",
                  focus=focus or "running-order", say="The running order is saved")


@router.post("/programmes/{programme_id}/pieces/{sid}/trim")
def trim(programme_id: str, sid: str, page: PageDep, start: Point = "", end: Point = "",
         whole: Annotated[str, Form(pattern="^1?$")] = "", csrf: Csrf = "") -> Response:
    """Set a piece's in and out points: seconds (or a clock) for sound and pictures, word numbers for a text;
    `whole` (or both blank) uses the whole piece again."""
    page.check(csrf)

    def act() -> None:
        begin = None if whole else parse_length(start, "the in point")
        finish = None if whole else parse_length(end, "the out point")
        if (begin is None) != (finish is None):
            raise BadRequest("give both the in and the out point (or use the whole piece)")
        if begin is None:
            programmes.whole(page.state.store, programme_id, sid)
        else:
            programmes.trim(page.state.store, programme_id, sid, begin, finish)

    return change(page, programme_id, act, at="cut", focus="cut-title", anchor="trim", selected=sid,
                  say="Whole piece used" if whole else "Cut saved")


@router.post("/programmes/{programme_id}/pieces/{sid}/heading")
def heading(programme_id: str, sid: str, page: PageDep, heading: Annotated[str, Form(max_length=400)] = "",
            csrf: Csrf = "") -> Response:
    """Open a section at this piece (blank: no section starts here)."""
    page.check(csrf)
    said = f"Section “{heading.strip()}” starts here" if heading.strip() else "No section starts here now"
    return change(page, programme_id, lambda: programmes.set_heading(page.state.store, programme_id, sid, heading),
                  at=sid, focus=f"heading-{sid}", anchor=f"piece-{sid}", say=said)


@router.post("/programmes/{programme_id}/pieces/{sid}/remove")
def remove(programme_id: str, sid: str, page: PageDep, csrf: Csrf = "") -> Response:
    """Take a piece out of the programme (it stays in its call-out)."""
    page.check(csrf)
    return change(page, programme_id, lambda: programmes.remove(page.state.store, programme_id, sid), at=sid,
                  focus="running-order", anchor="running-order", say="Taken out of the programme")


Names = Annotated[list[str], Form(max_length=100)]


@router.post("/programmes/{programme_id}/credits/merge")
def merge_names(programme_id: str, page: PageDep, person: Annotated[str, Form(max_length=200)] = "",
                names: Names = [], csrf: Csrf = "") -> Response:  # noqa: B006  (FastAPI copies a form's default)
    """Say that the ticked names are one person, credited as `person` (credits and payouts count them once)."""
    page.check(csrf)
    chosen = [n for n in names if n != person.strip()] or names
    return change(page, programme_id, lambda: contributors.merge(page.state.store, chosen, person, page.who.name),
                  at="credits", focus="credits-title", anchor="credits",
                  say=f"{len(chosen)} name{'s' if len(chosen) != 1 else ''} now credited as {person.strip()}")


@router.post("/programmes/{programme_id}/credits/unmerge")
def unmerge_names(programme_id: str, page: PageDep, names: Names = [], csrf: Csrf = "") -> Response:  # noqa: B006
    """Credit names under their own names again."""
    page.check(csrf)
    return change(page, programme_id, lambda: contributors.unmerge(page.state.store, names), at="credits",
                  focus="credits-title", anchor="credits", say="Credited under their own names again")
