"""Server-rendered pages for curators: sign-in, call-outs, the workbench of a call-out, one submission.

Pages use the signed session cookie; every state-changing form carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from triage.api import session as web
from triage.api.cards import cards, state_card
from triage.api.deps import StateDep
from triage.api.format import content_stems
from triage.api.overview import callouts_overview
from triage.api.page import NEXT_MAX, PageDep, back, html
from triage.api.programme_view import programme_choices
from triage.api.workbench import NEAREST, SORTS, Wanted, chips, link, pages, results
from triage.domain import DECISIONS, UNDECIDED, MediaType
from triage.errors import BadRequest
from triage.jobs import queue
from triage.service.cache import View
from triage.service.lineage_view import lineage_page
from triage.service.listing import named, seen_with_history
from triage.service.pieces import facts
from triage.service.progress import progress
from triage.service.tokens import sign_in, sign_out, touch
from triage.service.views import callout_view

router = APIRouter(include_in_schema=False)
MEDIA_TYPES = tuple(m.value for m in MediaType)
DECISION_FILTERS = (*DECISIONS, UNDECIDED)
FILTER_NAMES = ("media_type", "decision", "cluster", "mine", "split", "ids")  # what a new search keeps
MAX_PICKED = 1000  # pieces picked on the map that one workbench address may carry


def _choice(names: tuple[str, ...]) -> str:
    """A query pattern: one of `names`, or empty (a filter form's "any")."""
    return "^(" + "|".join(names) + ")?$"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return html(request, "login.html", {"next": back(next, "/"), "error": None})


@router.post("/login")
def login(request: Request, state: StateDep, token: Annotated[str, Form(max_length=200)],
          next: Annotated[str, Form(max_length=NEXT_MAX)] = "/") -> Response:
    """Exchange a token for an HTTP-only, SameSite=Lax session cookie."""
    who, epoch = sign_in(state.store, token.strip())
    if who is None or who.is_submitter:
        error = "That token is unknown or revoked." if who is None else "Submitter tokens cannot open these pages."
        return html(request, "login.html", {"next": back(next, "/"), "error": error}, status_code=401)
    touch(state.store, who)
    response = RedirectResponse(back(next, "/"), status_code=303)
    response.set_cookie(web.COOKIE, web.issue(state.secret, who.token_id, epoch), max_age=web.MAX_AGE, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout(page: PageDep, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session on the server, not only in this browser: a copy of the cookie stops working too. It ends
    the token's sessions in every browser (see end_sessions)."""
    page.check(csrf)
    sign_out(page.state.store, page.who.token_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(web.COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(page: PageDep) -> HTMLResponse:
    """The call-outs, each with the team's and the curator's own progress."""
    state = page.state
    found = callouts_overview(state.store, page.who)
    for c in found:
        c["progress"] = progress(state.store, state.models(), c["id"], page.who.name, cache=state.cache)
    return page.render("callouts.html", callouts=found)


@router.get("/callouts/{callout_id}", response_class=HTMLResponse)
def callout_page(callout_id: str, page: PageDep, q: Annotated[str | None, Query(max_length=500)] = None,
                 like: Annotated[str | None, Query(max_length=200)] = None,
                 cluster: Annotated[int | None, Query(ge=0)] = None,
                 media_type: Annotated[str | None, Query(pattern=_choice(MEDIA_TYPES))] = None,
                 decision: Annotated[str | None, Query(pattern=_choice(DECISION_FILTERS))] = None,
                 sort: Annotated[str, Query(pattern=_choice(tuple(s for s, _ in SORTS)))] = "",
                 mine: Annotated[str, Query(pattern="^1?$")] = "", split: Annotated[str, Query(pattern="^1?$")] = "",
                 everything: Annotated[str, Query(alias="all", pattern="^1?$")] = "",
                 ids: Annotated[str | None, Query(max_length=MAX_PICKED * 40)] = None,
                 number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1) -> HTMLResponse:
    """The workbench: the shortlist (or search results, or pieces like one submission) as cards, a page at a time,
    with filters, cluster chips, the team's progress and the call-out's running jobs. `ids` (comma-separated) keeps
    the pieces picked on the pool map."""
    state, request = page.state, page.request
    callout = callout_view(state.store, callout_id)
    with state.store.db.session() as session:  # the queue's own tables (jobs/), read in its own session
        jobs = [queue.job_dict(j) for j in queue.active_for(session, [callout_id])]
    liked = named(state.store, like, callout_id) if like else None
    like_title = (liked.title or liked.original_filename or liked.external_id or liked.id) if liked else ""
    wanted = Wanted(q=q.strip() if q and q.strip() else None, like=liked.id if liked else None, cluster=cluster,
                    media_type=media_type or None, decision=decision or None, sort=sort or "rank",
                    mine=mine == "1", split=split == "1", number=number, everything=everything == "1",
                    ids=_picked(ids))
    view = View(state.store, state.models(), callout_id, state.cache)  # one signature read for the whole page
    found, problem = results(state, view, page.who.name, wanted)
    weak_only = bool(wanted.q) and found.get("good") == 0 and bool(found["items"]) and not wanted.everything
    items = found["items"][:NEAREST] if weak_only else found["items"]
    shown = cards(state, view, items, page.who.name)
    stems = content_stems(wanted.q) if wanted.q else \
        content_stems(" ".join([callout["title"], callout["brief"], *callout.get("prompts", [])]))
    counts = found.get("cluster_counts", {})
    return page.render(
        "callout.html", callout=callout, cards=shown, stems=stems, exemplars=set(callout["exemplars"]),
        clusters=chips(view, counts) if not problem else [], q=wanted.q or "", like=like_title,
        like_ref=like or "", cluster=cluster, media_type=wanted.media_type, decision=wanted.decision, sort=wanted.sort,
        mine=wanted.mine, split=wanted.split, picked=len(wanted.ids) if wanted.ids is not None else None,
        picked_ids=",".join(sorted(wanted.ids or ())),
        unpicked_link=link(request, ids=None, page=None), jobs=jobs, problem=problem, weak_only=weak_only,
        media_types=MEDIA_TYPES, decisions=DECISION_FILTERS, sorts=SORTS,
        progress=progress(state.store, state.models(), callout_id, page.who.name, view=view),
        pages=pages(request, number, len(shown), 0 if weak_only else found["total"]), found_total=found["total"],
        kept_filters=[(k, v) for k, v in request.query_params.items() if k in FILTER_NAMES and v],
        shortlist_link=link(request, q=None, like=None, page=None, all=None),
        everything_link=link(request, all=1, page=None),
        chip_link=lambda k: link(request, cluster=k, page=None),
        programmes=programme_choices(state, callout_id),
        here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))


def _picked(ids: str | None) -> frozenset[str] | None:
    """The submission ids of the `ids` filter; too many is a refusal with the limit, not a silent cut."""
    if not ids:
        return None
    picked = frozenset(i.strip() for i in ids.split(",") if i.strip())
    if len(picked) > MAX_PICKED:
        raise BadRequest(f"at most {MAX_PICKED} pieces can be opened from the map at once; select fewer")
    return picked


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(submission_id: str, page: PageDep,
                    t: Annotated[float | None, Query(ge=0, le=86_400, allow_inf_nan=False)] = None) -> HTMLResponse:
    """One submission: player (from `t`), waveform or keyframes, full transcript (click a line to play it), the
    shared decision, ratings, timed notes, its lineage (both sides of each reuse) and the decision's history."""
    state = page.state
    row, data, past = seen_with_history(state.store, submission_id, page.who)
    callout_title = callout_view(state.store, row.callout_id)["title"]
    card = state_card(state, submission_id, page.who.name)
    piece = facts(state.store, [submission_id])[submission_id]
    card.update(start=t or 0, end=t or 0, has_poster=piece.has_poster, peaks=list(piece.peaks),
                duration=piece.duration, frames=piece.frames, moment_frame=None)
    return page.render("submission.html", s=data, c=card, history=past, callout_title=callout_title,
                       lineage=lineage_page(state.store, submission_id), here=f"/submissions/{submission_id}")
