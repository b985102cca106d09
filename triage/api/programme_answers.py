"""How the programme pages answer a change: back to the workbench at what was acted on (a redirect for a plain form,
the new board and where the focus goes for the page's script), or the reason beside it when the service says no."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote

from fastapi.responses import RedirectResponse, Response

from triage.api.page import Page, fragment, in_place
from triage.api.programme_view import board
from triage.errors import BadRequest, Conflict

Refusal = (BadRequest, Conflict)


def answer(page: Page, programme_id: str, *, focus: str, say: str, selected: str | None = None,
           anchor: str | None = None) -> Response:
    """A change done: a plain form goes back to the workbench at what it acted on; the page's script gets the new
    board, and an event saying where the focus goes and what to announce."""
    if not in_place(page.request):
        query = f"?piece={quote(selected)}" if selected else ""
        return RedirectResponse(f"/programmes/{quote(programme_id)}{query}#{anchor or focus}", status_code=303)
    response = page.render("_programme_board.html", **board(page.state, programme_id, selected=selected))
    response.headers["HX-Trigger-After-Settle"] = json.dumps({"triage:programme": {"focus": focus, "say": say}})
    return fragment(response)


def refused(page: Page, programme_id: str, exc: BadRequest | Conflict, *, at: str | None,
            selected: str | None = None) -> Response:
    """A change the service refused: the workbench again with the reason beside `at` (a piece's id, or a part of
    the page), under the refusal's own status; the page's script swaps it in like any other answer."""
    context = board(page.state, programme_id, selected=selected, error=str(exc), error_at=at)
    if not in_place(page.request):
        return page.render("programme.html", status_code=exc.http_status, **context)
    response = page.render("_programme_board.html", status_code=exc.http_status, **context)
    response.headers["HX-Trigger-After-Settle"] = json.dumps(
        {"triage:programme": {"focus": f"error-{at or 'board'}", "say": f"Not saved: {exc}"}})
    return fragment(response)


def change(page: Page, programme_id: str, act: Callable[[], object], *, at: str | None, focus: str, say: str,
           selected: str | None = None, anchor: str | None = None) -> Response:
    """Do one change to a programme and answer it (refused(), when the service says no)."""
    try:
        act()
    except Refusal as exc:
        return refused(page, programme_id, exc, at=at, selected=selected)
    return answer(page, programme_id, focus=focus, say=say, selected=selected, anchor=anchor)
