"""The submission page's lineage action: mark (or unmark) a piece as a platform asset with a plain form."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from triage.api.page import PageDep
from triage.service.lineage import mark_asset

router = APIRouter(include_in_schema=False)


@router.post("/submissions/{submission_id}/platform-asset")
def platform_asset(submission_id: str, page: PageDep, marked: Annotated[str, Form(pattern="^[01]$")],
                   csrf: Annotated[str, Form()] = "") -> Response:
    """A theme song the call-out gave everyone, the studio's intro: marked, it and what it matches make no lineage
    edges (at once, no re-matching). Back to the page's Lineage section."""
    page.check(csrf)
    done = mark_asset(page.state.store, submission_id, page.who.name, marked=marked == "1")
    return RedirectResponse(f"/submissions/{quote(done['submission_id'])}#lineage", status_code=303)
