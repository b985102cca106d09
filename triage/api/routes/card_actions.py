"""What a curator does to cards on the workbench: decide (one card, or a selection, each with its duplicate group),
undo, rate, write and delete notes, mark exemplars, deal the pool out.

Each action answers a plain form with a redirect back to the card, and the page's script (htmx) with the new
state of the cards it changed, so the page updates in place and the curator keeps their place."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from triage.api.cards import state_card
from triage.api.format import DECISION_LABELS
from triage.api.page import NEXT_MAX, Page, PageDep, back, back_to_card, fragment, in_place
from triage.errors import BadRequest, Forbidden, NotFound
from triage.service import assignments, notes, votes
from triage.service.cache import View
from triage.service.deciding import decide, undo
from triage.service.decisions import Decided
from triage.service.pieces import facts
from triage.service.progress import progress

router = APIRouter(include_in_schema=False)
DecisionName = Annotated[str, Form(pattern="^(shortlisted|rejected|starred|unrated)$")]
Csrf = Annotated[str, Form()]
Next = Annotated[str, Form(max_length=NEXT_MAX)]


def _view(page: Page, callout_id: str) -> View:
    """The call-out as this request sees it: one signature read, shared by the action and its answer."""
    return View(page.state.store, page.state.models(), callout_id, page.state.cache)


def _reply(page: Page, next_url: str, view: View, event: dict[str, object], acted_on: str | None = None,
           others: tuple[str, ...] = ()) -> Response:
    """The new state of the card acted on (swapped in place) and of `others` (out of band), the progress line, and
    an event for the page's script: where the focus goes, what to announce."""
    who, state = page.who.name, page.state
    view.marks_changed()  # what the action recorded
    response = page.render(
        "_state_reply.html", c=state_card(state, acted_on, who, view) if acted_on else None,
        others=[state_card(state, sid, who, view) for sid in others if sid != acted_on],
        progress=progress(state.store, state.models(), str(view.callout_id), who, view=view),
        here=back(next_url, "/"))
    response.headers["HX-Trigger-After-Settle"] = json.dumps(event)  # ASCII only: titles come as \u escapes
    return fragment(response)


def _told(page: Page, done: Decided, verb: str) -> str:
    """"Shortlisted: “first try” (and 1 copy)": what an action did, for the page to announce."""
    found = facts(page.state.store, done.submission_ids)
    named = f"“{found[done.submission_ids[0]].title}”" if len(done.submission_ids) == 1 else \
        f"{len(done.submission_ids)} cards"
    copies = f" (and {len(done.copies)} cop{'ies' if len(done.copies) > 1 else 'y'})" if done.copies else ""
    return f"{verb}: {named}{copies}"


def _callout_of(page: Page, submission_id: str) -> str:
    found = facts(page.state.store, [submission_id])
    if submission_id not in found:
        raise NotFound(f"no submission {submission_id!r}")
    return found[submission_id].callout_id


@router.post("/submissions/{submission_id}/decision")
def decide_one(submission_id: str, page: PageDep, decision: DecisionName, csrf: Csrf = "",
               next: Next = "/") -> Response:
    """Decide a card: the piece and every copy in its duplicate group, as one action that `z` can undo."""
    page.check(csrf)
    state, view = page.state, _view(page, _callout_of(page, submission_id))
    done = decide(state.store, state.models(), [submission_id], decision, by=page.who.name, view=view)
    if not in_place(page.request):
        return back_to_card(next, submission_id)
    return _reply(page, next, view, acted_on=submission_id, event={
        "triage:decided": {"sid": submission_id, "say": _told(page, done, DECISION_LABELS[decision])}})


@router.post("/callouts/{callout_id}/decisions")
def decide_many(callout_id: str, page: PageDep, decision: DecisionName, sid: Annotated[list[str], Form()],
                csrf: Csrf = "", next: Next = "/") -> Response:
    """Decide the selected cards at once (one action for undo)."""
    page.check(csrf)
    state, view = page.state, _view(page, callout_id)
    done = decide(state.store, state.models(), sid, decision, by=page.who.name, cache=state.cache, view=view)
    if not in_place(page.request):
        return RedirectResponse(back(next, f"/callouts/{callout_id}"), status_code=303)
    return _reply(page, next, view, others=done.submission_ids, event={
        "triage:bulk": {"sids": list(done.submission_ids), "say": _told(page, done, DECISION_LABELS[decision])}})


@router.post("/callouts/{callout_id}/undo")
def undo_last(callout_id: str, page: PageDep, csrf: Csrf = "", next: Next = "/") -> Response:
    """Take back the curator's last decision in this call-out (a card with its copies, or a selection)."""
    page.check(csrf)
    done = undo(page.state.store, callout_id, by=page.who.name)
    if not in_place(page.request):
        return back_to_card(next, done.submission_ids[0]) if done else \
            RedirectResponse(back(next, f"/callouts/{callout_id}"), status_code=303)
    if done is None:
        return _reply(page, next, _view(page, callout_id),
                      event={"triage:undone": {"sid": None, "say": "Nothing left to undo."}})
    said = _told(page, done, f"Undid {DECISION_LABELS[done.decision]}")
    return _reply(page, next, _view(page, callout_id), others=done.submission_ids,
                  event={"triage:undone": {"sid": done.submission_ids[0], "say": said}})


@router.post("/submissions/{submission_id}/vote")
def vote(submission_id: str, page: PageDep, rating: Annotated[int, Form(ge=0, le=5)], csrf: Csrf = "",
         next: Next = "/") -> Response:
    """The curator's own rating of a piece (1-5), or 0 to take it back; the team's tally updates."""
    page.check(csrf)
    with page.state.store.db.session() as session:
        if rating:
            votes.cast(session, submission_id, rating, voter=page.who.name)
        else:
            votes.withdraw(session, submission_id, voter=page.who.name)
    if not in_place(page.request):
        return back_to_card(next, submission_id)
    said = f"Your rating: {rating} of 5" if rating else "Your rating is taken back"
    return _reply(page, next, _view(page, _callout_of(page, submission_id)), acted_on=submission_id,
                  event={"triage:noted": {"sid": submission_id, "say": said}})


def _moment(at: str) -> float | None:
    if not at.strip():
        return None
    try:
        return float(at)
    except ValueError:
        raise BadRequest(f"the note's moment must be seconds, not {at!r}") from None


@router.post("/submissions/{submission_id}/notes")
def add_note(submission_id: str, page: PageDep, text: Annotated[str, Form(max_length=notes.MAX_CHARS)],
             at: Annotated[str, Form(max_length=32)] = "", csrf: Csrf = "", next: Next = "/") -> Response:
    """Save a note on its own, at the player's moment when the page sent one."""
    page.check(csrf)
    with page.state.store.db.session() as session:
        notes.add(session, submission_id, text, author=page.who.name, at=_moment(at))
    if not in_place(page.request):
        return back_to_card(next, submission_id)
    return _reply(page, next, _view(page, _callout_of(page, submission_id)), acted_on=submission_id,
                  event={"triage:noted": {"sid": submission_id, "say": "Note saved"}})


@router.post("/notes/{note_id}/delete")
def delete_note(note_id: int, page: PageDep, csrf: Csrf = "", next: Next = "/") -> Response:
    """Delete a note (its author, or an admin)."""
    page.check(csrf)
    with page.state.store.db.session() as session:
        gone = notes.remove(session, note_id, by=page.who.name, may_remove_any=page.who.role == "admin")
    if not in_place(page.request):
        return back_to_card(next, gone.submission_id)
    return _reply(page, next, _view(page, _callout_of(page, gone.submission_id)), acted_on=gone.submission_id,
                  event={"triage:noted": {"sid": gone.submission_id, "say": "Note deleted"}})


@router.post("/callouts/{callout_id}/exemplars")
def exemplar(callout_id: str, page: PageDep, sid: Annotated[str, Form(max_length=32)],
             mark: Annotated[str, Form(pattern="^[01]$")], csrf: Csrf = "", next: Next = "/") -> Response:
    """Mark or unmark a card as an exemplar of the call-out; the pool is re-scored in the background."""
    page.check(csrf)
    callout = page.state.mark_exemplar(callout_id, sid, mark == "1")
    if not in_place(page.request):
        return back_to_card(next, sid)
    response = page.render("_exemplar.html", c={"sid": sid, "callout": callout_id},
                           exemplars=set(callout.get("exemplars") or ()), here=back(next, "/"))
    said = "Marked as an exemplar; the pool is scored again" if mark == "1" else "No longer an exemplar"
    response.headers["HX-Trigger-After-Settle"] = json.dumps({"triage:exemplar": {"sid": sid, "say": said}})
    return fragment(response)


@router.post("/callouts/{callout_id}/assignments")
def deal(callout_id: str, page: PageDep, curators: Annotated[str, Form(max_length=2000)],
         only_undecided: Annotated[str, Form(pattern="^1?$")] = "", csrf: Csrf = "") -> Response:
    """A lead (admin) deals the call-out's cards out among curators; each then filters "assigned to me"."""
    page.check(csrf)
    if page.who.role != "admin":
        raise Forbidden("only an admin (the team's lead) may split the pool")
    state = page.state
    assignments.split(state.store, state.models(), callout_id, curators.replace("\n", ",").split(","),
                      by=page.who.name, only_undecided=only_undecided == "1", cache=state.cache)
    return RedirectResponse(f"/callouts/{callout_id}", status_code=303)
