"""The duplicate review page: each group's kept piece beside each copy, the evidence in words, and the rulings
(confirm, not a duplicate, which to keep), each of which can be taken back."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from triage.api.duplicates_view import duplicate_review
from triage.api.page import Page, PageDep, fragment, in_place
from triage.errors import BadRequest
from triage.service.duplicates import set_override
from triage.service.verdicts import keep, take_back, unkeep
from triage.service.views import callout_view

router = APIRouter(include_in_schema=False)
Sid = Annotated[str, Form(min_length=1, max_length=32)]
Csrf = Annotated[str, Form()]
Callout = Annotated[str, Form(min_length=1, max_length=64)]


def _page(page: Page, callout_id: str) -> HTMLResponse:
    callout = callout_view(page.state.store, callout_id)
    review = duplicate_review(page.state, callout_id, page.who.name)
    return page.render("duplicates.html", callout=callout, here=f"/callouts/{callout_id}/duplicates", **review)


@router.get("/callouts/{callout_id}/duplicates", response_class=HTMLResponse)
def duplicates_page(callout_id: str, page: PageDep) -> HTMLResponse:
    return _page(page, callout_id)


def _answer(page: Page, changed: list[str], callout_id: str, focus: str, say: str) -> Response:
    """Re-score what the ruling changed (in the background), then show the page again: in place for the page's
    script, with the focus on the pair ruled on (or the next one), else as a redirect to it."""
    page.state.rescore(changed)
    if not in_place(page.request):
        return RedirectResponse(f"/callouts/{quote(callout_id)}/duplicates#{focus}", status_code=303)
    response = _page(page, callout_id)
    response.headers["HX-Trigger-After-Settle"] = json.dumps({"triage:ruled": {"focus": focus, "say": say}})
    return fragment(response)


@router.post("/duplicates/override")
def override(page: PageDep, a: Sid, b: Sid, verdict: Annotated[str, Form(pattern="^(not_duplicate|merge)$")],
             callout: Callout, csrf: Csrf = "") -> Response:
    """A curator's word on a pair: "merge" confirms they are copies, "not_duplicate" splits them."""
    page.check(csrf)
    changed = set_override(page.state.store, a, b, verdict, page.who.name)
    said = "Confirmed: copies" if verdict == "merge" else "Ruled: not a duplicate (listed under “Ruled apart”)"
    return _answer(page, changed, callout, f"pair-{a}-{b}", said)


@router.post("/duplicates/undo")
def undo_ruling(page: PageDep, a: Sid, b: Sid, callout: Callout, csrf: Csrf = "") -> Response:
    """Take a pair's ruling back: the fingerprints judge the pair again."""
    page.check(csrf)
    changed = take_back(page.state.store, a, b)
    return _answer(page, changed, callout, f"pair-{a}-{b}", "Ruling taken back")


@router.post("/duplicates/keep")
def keep_piece(page: PageDep, sid: Sid, callout: Callout, members: Annotated[str, Form(max_length=20_000)] = "",
               csrf: Csrf = "") -> Response:
    """Keep this piece for its group: it is shown on the shortlist and exported, its copies ride along."""
    page.check(csrf)
    group = [m for m in members.split(",") if m]
    if len(group) > 500:
        raise BadRequest("a group of more than 500 pieces cannot be ruled on from the page")
    changed = keep(page.state.store, sid, by=page.who.name, members=group)
    return _answer(page, changed, callout, f"group-{sid}", "Kept this one; the others ride along as its copies")


@router.post("/duplicates/unkeep")
def unkeep_piece(page: PageDep, sid: Sid, callout: Callout, csrf: Csrf = "") -> Response:
    """Forget which piece a curator chose to keep: the fingerprints' choice is shown again."""
    page.check(csrf)
    return _answer(page, unkeep(page.state.store, sid), callout, f"group-{sid}", "Choice taken back")
