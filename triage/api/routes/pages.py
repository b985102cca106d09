"""Server-rendered pages for curators: sign-in, call-outs, shortlist and search cards, duplicates, a submission.

Pages use the signed session cookie; every state-changing form carries the session's CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from triage import runtime
from triage.api import session as web
from triage.api.cards import cards, clock
from triage.api.deps import AppState, StateDep, web_session
from triage.api.routes.callouts import callouts_overview
from triage.api.tokens import Principal, authenticate, end_sessions, session_epoch
from triage.domain import DECISIONS, UNDECIDED, MediaType
from triage.errors import Forbidden, TriageError, Unauthorized
from triage.jobs import queue
from triage.service import decisions as dec
from triage.service.decisions import record
from triage.service.views import callout_dict, submission_dict
from triage.store.callouts import get_callout
from triage.store.schema import Submission
from triage.store.submissions import lookup_near

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
templates.env.filters["clock"] = clock
DecisionName = Annotated[str, Form(pattern="^(shortlisted|rejected|starred|unrated)$")]
# Forms send back the page they sit on, search and filters included: a 500-character search in any script,
# percent-encoded (up to 12 characters each), with a like= and filters, must fit.
NEXT_MAX = 10_000
PAGE_SIZE = 24  # cards per page
MEDIA_TYPES = tuple(m.value for m in MediaType)
DECISION_FILTERS = (*DECISIONS, UNDECIDED)
# No other page may frame these: a same-site one (another port of this host, a sibling subdomain) gets the session
# cookie inside a frame, and could trick a curator into clicking its buttons. Pages load only their own script,
# styles and media, so a tag that ever slipped through escaping could run nothing.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",  # the same, for browsers without CSP
}


def _choice(names: tuple[str, ...]) -> str:
    """A query pattern: one of `names`, or empty (a filter form's "any")."""
    return "^(" + "|".join(names) + ")?$"


def _html(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=PAGE_HEADERS)


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

    def render(self, name: str, **context: Any) -> HTMLResponse:
        return _html(self.request, name, {"me": self.who, "csrf": self.csrf, **context})


PageDep = Annotated[Page, Depends(Page)]


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An error a curator's browser meets (an unknown submission, a bad filter) as a page with a way back."""
    return _html(request, "error.html", {"me": None, "status": status, "detail": detail}, status_code=status)


def _back(url: str | None, fallback: str) -> str:
    # Only same-site paths: never redirect a curator to another host.
    return url if url and url.startswith("/") and not url.startswith("//") else fallback


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _html(request, "login.html", {"next": _back(next, "/"), "error": None})


@router.post("/login")
def login(request: Request, state: StateDep, token: Annotated[str, Form(max_length=200)],
          next: Annotated[str, Form(max_length=NEXT_MAX)] = "/") -> Response:
    """Exchange a token for an HTTP-only, SameSite=Lax session cookie."""
    with state.store.db.session() as session:
        who = authenticate(session, token.strip())
        epoch = session_epoch(session, who.token_id) if who is not None else 0
    if who is None or who.is_submitter:
        error = "That token is unknown or revoked." if who is None else "Submitter tokens cannot open these pages."
        return _html(request, "login.html", {"next": _back(next, "/"), "error": error}, status_code=401)
    response = RedirectResponse(_back(next, "/"), status_code=303)
    response.set_cookie(web.COOKIE, web.issue(state.secret, who.token_id, epoch), max_age=web.MAX_AGE, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout(page: PageDep, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session on the server, not only in this browser: a copy of the cookie stops working too. It ends
    the token's sessions in every browser (see end_sessions)."""
    page.check(csrf)
    with page.state.store.db.session() as session:
        end_sessions(session, page.who.token_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(web.COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(page: PageDep) -> HTMLResponse:
    return page.render("callouts.html", callouts=callouts_overview(page.state.store, page.who))


def _results(state: AppState, callout_id: str, q: str | None, like: str | None, cluster: int | None,
             media_type: str | None, decision: str | None, offset: int) -> tuple[dict[str, Any], list[dict[str, Any]], str | None]:
    """One page of cards' data (items and total), the cluster chips, and a problem to show instead."""
    from triage.service.clusters import clusters
    from triage.service.search import search, similar
    from triage.service.shortlist import shortlist

    try:
        chips = clusters(state.store, state.models(), callout_id, cache=state.cache)["clusters"]
        index = runtime.index_options(state.settings)
        store, models, cache = state.store, state.models(), state.cache
        if like:
            found = similar(store, models, like, callout_id=callout_id, limit=PAGE_SIZE, offset=offset, cache=cache,
                            **index)
        elif q:
            found = search(store, models, q, callout_id=callout_id, limit=PAGE_SIZE, offset=offset, cache=cache,
                           **index)
        else:
            found = shortlist(store, models, callout_id, limit=PAGE_SIZE, offset=offset, cluster=cluster,
                              media_type=media_type, decision=decision, cache=cache)
    except TriageError as exc:  # e.g. a model is missing: say so on the page rather than fail it
        return {"items": [], "total": 0}, [], str(exc)
    return found, chips, None


def _link(request: Request, **changes: object) -> str:
    """This page's address with some query parameters changed (None drops one): filters and pages keep the rest."""
    params = {k: v for k, v in request.query_params.items() if v != ""}  # an empty filter is "any"
    for name, value in changes.items():
        if value is None or value == "":
            params.pop(name, None)
        else:
            params[name] = str(value)
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def _pages(request: Request, number: int, shown: int, total: int) -> dict[str, Any]:
    first = (number - 1) * PAGE_SIZE
    return {"first": first + 1 if shown else 0, "last": first + shown, "total": total,
            "prev": _link(request, page=number - 1 if number > 2 else None) if number > 1 else None,
            "next": _link(request, page=number + 1) if first + shown < total else None}


@router.get("/callouts/{callout_id}", response_class=HTMLResponse)
def callout_page(callout_id: str, page: PageDep, q: Annotated[str | None, Query(max_length=500)] = None,
                 like: Annotated[str | None, Query(max_length=200)] = None,
                 cluster: Annotated[int | None, Query(ge=0)] = None,
                 media_type: Annotated[str | None, Query(pattern=_choice(MEDIA_TYPES))] = None,
                 decision: Annotated[str | None, Query(pattern=_choice(DECISION_FILTERS))] = None,
                 number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1) -> HTMLResponse:
    """The shortlist (or search results, or pieces like one submission) as cards, a page at a time, with filters,
    cluster chips, and the call-out's running jobs."""
    state = page.state
    q = q.strip() if q else None  # a blank search box means the shortlist
    media_type, decision = media_type or None, decision or None  # the filter form's "any" sends an empty value
    with state.store.db.session() as session:
        callout = callout_dict(get_callout(session, callout_id))
        jobs = [queue.job_dict(j) for j in queue.active_for(session, [callout_id])]
        liked = lookup_near(session, like, callout_id) if like else None
        like_title = (liked.title or liked.original_filename or liked.external_id or liked.id) if liked else ""
    found, chips, problem = _results(state, callout_id, q, liked.id if liked else None, cluster, media_type,
                                     decision, (number - 1) * PAGE_SIZE)
    with state.store.db.session() as session:
        shown = cards(session, found["items"])
    request = page.request
    return page.render("callout.html", callout=callout, cards=shown, clusters=chips, q=q or "", like=like_title,
                       cluster=cluster, media_type=media_type, decision=decision, jobs=jobs, problem=problem,
                       media_types=MEDIA_TYPES, decisions=DECISION_FILTERS,
                       pages=_pages(request, number, len(shown), found["total"]),
                       chip_link=lambda k: _link(request, cluster=k, page=None),
                       here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))


@router.get("/callouts/{callout_id}/duplicates", response_class=HTMLResponse)
def duplicates_page(callout_id: str, page: PageDep) -> HTMLResponse:
    from triage.service.duplicates import groups

    with page.state.store.db.session() as session:
        callout = callout_dict(get_callout(session, callout_id))
    found = groups(page.state.store, callout_id)["groups"]
    with page.state.store.db.session() as session:
        for group in found:
            ids = group.get("submission_ids") or []
            rows = {r.id: r for r in session.query(Submission).filter(Submission.id.in_(ids))}
            group["cards"] = [{"sid": i, "title": (rows[i].title or rows[i].original_filename or i) if i in rows else i,
                               "media_type": rows[i].media_type if i in rows else None} for i in ids]
    return page.render("duplicates.html", callout=callout, groups=found)


@router.post("/duplicates/override")
def override(page: PageDep, a: Annotated[str, Form(max_length=32)], b: Annotated[str, Form(max_length=32)],
             verdict: Annotated[str, Form(pattern="^(not_duplicate|merge)$")], csrf: Annotated[str, Form()] = "",
             next: Annotated[str, Form(max_length=NEXT_MAX)] = "/") -> Response:
    from triage.service.duplicates import set_override

    page.check(csrf)
    page.state.rescore(set_override(page.state.store, a, b, verdict, page.who.name))  # next shortlist opens warm
    return RedirectResponse(_back(next, "/"), status_code=303)


@router.post("/callouts/{callout_id}/exemplars")
def exemplar(callout_id: str, page: PageDep, sid: Annotated[str, Form(max_length=32)],
             mark: Annotated[str, Form(pattern="^[01]$")], csrf: Annotated[str, Form()] = "",
             next: Annotated[str, Form(max_length=NEXT_MAX)] = "/") -> Response:
    """Mark or unmark a card as an exemplar of the call-out; the pool is re-scored in the background."""
    page.check(csrf)
    page.state.mark_exemplar(callout_id, sid, mark == "1")
    return RedirectResponse(_back(next, "/") + f"#card-{quote(sid)}", status_code=303)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(submission_id: str, page: PageDep,
                    t: Annotated[float | None, Query(ge=0, le=86_400, allow_inf_nan=False)] = None) -> HTMLResponse:
    """One submission: player, full transcript (click a line to play it), decision and its history."""
    with page.state.store.db.session() as session:
        row = session.get(Submission, submission_id)
        if row is None:
            from triage.errors import NotFound

            raise NotFound(f"no submission {submission_id!r}")
        data = submission_dict(session, row)
        d = dec.latest(session, [row.id]).get(row.id)
        past = dec.history(session, row.id)
        card = {"sid": row.id, "media_type": row.media_type, "start": t or 0, "has_poster": "poster" in data["files"],
                "decision": d.decision if d else "unrated", "note": d.note if d else ""}
    return page.render("submission.html", s=data, card=card, history=past, here=f"/submissions/{submission_id}")


@router.post("/submissions/{submission_id}/decision")
def decide(submission_id: str, page: PageDep, decision: DecisionName,
           note: Annotated[str, Form(max_length=5000)] = "", csrf: Annotated[str, Form()] = "",
           next: Annotated[str, Form(max_length=NEXT_MAX)] = "/") -> Response:
    """Record a decision from a card or the submission page, then go back where the curator was."""
    page.check(csrf)
    with page.state.store.db.session() as session:
        record(session, submission_id, decision, note=note.strip() or None, by=page.who.name)
    return RedirectResponse(_back(next, "/") + f"#card-{quote(submission_id)}", status_code=303)
