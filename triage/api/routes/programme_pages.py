"""The programme pages (issue 20): every programme with a form to start one, and the workbench of one programme
(running order, cuts, sections, total against the target, suggested order, render and credits).

Forms work without scripts (a redirect back to the piece acted on); the page's script (htmx) swaps the board in
place and puts the focus back where the curator works. A change the service refuses (a cut past the end, a piece
placed twice) is shown beside what was acted on, in words, with its status code (422 or 409)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from triage.api.page import Page, PageDep, fragment, in_place
from triage.api.programme_answers import Refusal
from triage.api.programme_view import KINDS, board, render_state, total_of
from triage.jobs.renders import queue_render
from triage.service.programmes import create, listing
from triage.service.views import callout_view
from triage.timefmt import parse_length

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form()]


def _home(page: Page, callout: str | None, status_code: int = 200, error: str | None = None,
          typed: dict[str, str] | None = None) -> HTMLResponse:
    state = page.state
    found = listing(state.store, callout or None)
    titles = {c["id"]: c["title"] for c in _callouts(page)}
    rows = [{"p": p, "total": total_of(p), "callout": titles.get(p.callout_id or "", p.callout_id)} for p in found]
    return page.render("programmes.html", status_code=status_code, programmes=rows, callouts=_callouts(page),
                       only=callout or "", only_title=titles.get(callout or "", callout), kinds=KINDS, error=error,
                       typed=typed or {"callout": callout or ""})


def _callouts(page: Page) -> list[dict[str, str]]:
    from triage.api.overview import callouts_overview

    return [{"id": c["id"], "title": c["title"]} for c in callouts_overview(page.state.store, page.who)]


@router.get("/programmes", response_class=HTMLResponse)
def programmes_page(page: PageDep, callout: Annotated[str, Query(max_length=64)] = "") -> HTMLResponse:
    """Every programme (or one call-out's), each with its total against its target, and a form to start one."""
    if callout:
        callout_view(page.state.store, callout)  # an unknown call-out is a 404, not an empty list
    return _home(page, callout)


@router.post("/programmes")
def create_programme(page: PageDep, name: Annotated[str, Form(max_length=200)],
                     kind: Annotated[str, Form(pattern="^(episode|book|album)$")],
                     callout: Annotated[str, Form(max_length=64)] = "",
                     target: Annotated[str, Form(max_length=40)] = "",
                     only: Annotated[str, Form(max_length=64)] = "", csrf: Csrf = "") -> Response:
    """Start a programme; its workbench opens. A target is a clock (22:00) for an episode or album, words for a book."""
    page.check(csrf)
    try:
        made = create(page.state.store, name, kind, callout_id=callout or None,
                      target=parse_length(target, "the target"), by=page.who.name)
    except Refusal as exc:
        typed = {"name": name, "kind": kind, "callout": callout, "target": target}
        return _home(page, only, status_code=exc.http_status, error=str(exc), typed=typed)
    return RedirectResponse(f"/programmes/{quote(made.id)}", status_code=303)


@router.get("/programmes/{programme_id}", response_class=HTMLResponse)
def programme_page(programme_id: str, page: PageDep, piece: Annotated[str, Query(max_length=64)] = "",
                   suggest: Annotated[str, Query(pattern="^1?$")] = "") -> HTMLResponse:
    """The workbench of one programme; `piece` picks the piece whose cut is shown, `suggest=1` a suggested order."""
    return page.render("programme.html", **board(page.state, programme_id, selected=piece or None,
                                                  suggest=suggest == "1"))


def _render_state(page: Page, programme_id: str, status_code: int = 200, error: str | None = None) -> Response:
    context = {"p": {"id": programme_id}, "render": render_state(page.state, programme_id), "render_error": error}
    return fragment(page.render("_programme_render_state.html", status_code=status_code, **context))


@router.get("/programmes/{programme_id}/render", response_class=HTMLResponse)
def render_progress(programme_id: str, page: PageDep) -> Response:
    """The render's progress and the last render's files: the part of the workbench its script polls."""
    if not in_place(page.request):
        return RedirectResponse(f"/programmes/{quote(programme_id)}#render", status_code=303)
    return _render_state(page, programme_id)


@router.post("/programmes/{programme_id}/render")
def render(programme_id: str, page: PageDep, csrf: Csrf = "") -> Response:
    """Queue a render of the programme as it stands (refused at once when a piece stops it, or one is running)."""
    page.check(csrf)
    try:
        queue_render(page.state.store, programme_id, page.state.settings)
    except Refusal as exc:
        if not in_place(page.request):
            return page.render("programme.html", status_code=exc.http_status,
                               **board(page.state, programme_id, error=str(exc), error_at="render"))
        return _render_state(page, programme_id, exc.http_status, str(exc))
    page.state.wake_workers()
    if not in_place(page.request):
        return RedirectResponse(f"/programmes/{quote(programme_id)}#render", status_code=303)
    return _render_state(page, programme_id)
