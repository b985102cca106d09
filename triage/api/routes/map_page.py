"""The pool map page of a call-out (issue 24): every piece as a point on a canvas, drawn by static/map.js from
`GET /api/callouts/{id}/map`, with a legend, a selection list beside it and a table of the points for screen
readers."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from triage.api.format import DECISION_LABELS
from triage.api.page import PageDep
from triage.service.views import callout_view

router = APIRouter(include_in_schema=False)
# The marks map.js draws around a decided piece, in the legend's order (unrated: no mark).
MARKS = (("shortlisted", "ring"), ("starred", "double ring"), ("rejected", "cross"))


@router.get("/callouts/{callout_id}/map", response_class=HTMLResponse)
def map_page(callout_id: str, page: PageDep) -> HTMLResponse:
    """The map: the page itself is light; its script fetches the points (the API's layout, computed once per
    pool) and draws them."""
    callout = callout_view(page.state.store, callout_id)
    return page.render("map.html", callout=callout, here=f"/callouts/{callout_id}/map",
                       source=f"/api/callouts/{quote(callout_id, safe='')}/map",
                       marks=[(d, DECISION_LABELS.get(d, d), mark) for d, mark in MARKS])
