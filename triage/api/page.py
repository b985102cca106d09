"""What every server-rendered page shares: the templates, the signed-in curator with the CSRF token its forms carry,
error pages, and the answer to a form (a fragment for an in-place update, else a redirect back)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from triage.api import session as web
from triage.api.deps import StateDep, web_session
from triage.api.format import DECISION_BUTTONS, DECISION_LABELS, clock, highlight
from triage.errors import Forbidden, Unauthorized
from triage.service.tokens import Principal

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.filters["clock"] = clock
templates.env.filters["highlight"] = highlight
templates.env.globals.update(decision_labels=DECISION_LABELS, decision_buttons=DECISION_BUTTONS)
# Forms send back the page they sit on, search and filters included: a 500-character search in any script,
# percent-encoded (up to 12 characters each), with a like= and filters, must fit.
NEXT_MAX = 10_000
# No other page may frame these: a same-site one (another port of this host, a sibling subdomain) gets the session
# cookie inside a frame, and could trick a curator into clicking its buttons. Pages load only their own scripts,
# styles and media, so a tag that ever slipped through escaping could run nothing.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",  # the same, for browsers without CSP
}


def html(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=PAGE_HEADERS)


def in_place(request: Request) -> bool:
    """The form was sent by the page's script for an in-place update (htmx), not by a plain browser form."""
    return request.headers.get("hx-request") == "true"


def back(url: str | None, fallback: str) -> str:
    """Only same-site paths: never redirect a curator to another host."""
    return url if url and url.startswith("/") and not url.startswith("//") else fallback


def back_to_card(next_url: str | None, submission_id: str) -> RedirectResponse:
    """A plain form's answer: the page it came from, scrolled to the card it acted on."""
    return RedirectResponse(back(next_url, "/") + f"#card-{quote(submission_id)}", status_code=303)


class Page:
    """The signed-in curator of a page request, with the CSRF token its forms carry."""

    def __init__(self, request: Request, state: StateDep) -> None:
        found = web_session(request, state)
        if found is None:
            raise Unauthorized("sign in with a token")
        ws, who = found
        if who.is_submitter:
            raise Forbidden("these pages are for curators; submitters upload through the API")
        self.who: Principal = who
        self.csrf = ws.csrf(state.secret)
        self.ws, self.state, self.request = ws, state, request

    def check(self, token: str | None) -> None:
        if not web.csrf_ok(self.state.secret, self.ws, token):
            raise Forbidden("the form is out of date (CSRF check failed); reload the page and try again")

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return html(self.request, name, {"me": self.who, "csrf": self.csrf, **context}, status_code=status_code)


PageDep = Annotated[Page, Depends(Page)]


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An error a curator's browser meets (an unknown page or submission, a bad filter) as a page with a way back."""
    return html(request, "error.html", {"me": None, "status": status, "detail": detail}, status_code=status)


def fragment(response: Response) -> Response:
    """An in-place answer must not be cached by the browser as if it were the page at that address."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "HX-Request"
    return response
