"""The workbench's JSON API: decisions on several pieces and undo, timed notes, each curator's ratings and the
team's tally, progress, splitting the pool among curators, and the duplicate rulings beyond a pair's verdict."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from triage.api.deps import Admin, Curator, StateDep
from triage.api.public import (
    AssignmentsPublic,
    BatchPublic,
    ClearedPublic,
    KeepPublic,
    NoteListPublic,
    NotePublic,
    OverridePublic,
    ProgressPublic,
    TallyItemPublic,
    TallyPublic,
    UndoPublic,
    VotePublic,
)
from triage.api.public import DecisionName as Decision
from triage.api.schemas import errors
from triage.service import assignments, notes, votes
from triage.service.cache import View
from triage.service.deciding import MAX_AT_ONCE, decide, undo
from triage.service.listing import visible_submission
from triage.service.progress import progress
from triage.service.verdicts import keep, take_back, unkeep
from triage.service.views import callout_view

router = APIRouter(tags=["workbench"], responses=errors(422))
# Each route below but the list of notes writes, or scores the pool: 503 when the database cannot be written or the
# models cannot be loaded. One with a JSON body: 400 when it cannot be parsed, 413 over the limit.
WRITE, WITH_BODY = errors(503), errors(400, 413, 503)


class BatchCreate(BaseModel):
    submission_ids: list[str] = Field(min_length=1, max_length=MAX_AT_ONCE)
    decision: Decision


class NoteCreate(BaseModel):
    text: str = Field(min_length=1, max_length=notes.MAX_CHARS)
    at: float | None = Field(default=None, ge=0, le=86_400, description="seconds into the piece")


class VoteCreate(BaseModel):
    rating: int = Field(ge=1, le=5)


class AssignmentsCreate(BaseModel):
    curators: list[str] = Field(min_length=1, max_length=assignments.MAX_CURATORS)
    only_undecided: bool = True


@router.post("/callouts/{callout_id}/decisions", response_model=BatchPublic, status_code=201,
             responses=WITH_BODY)
def decide_many(callout_id: str, body: BatchCreate, state: StateDep, who: Curator) -> BatchPublic:
    """Decide several pieces at once, each with its duplicate group: one action, which /undo takes back whole."""
    callout_view(state.store, callout_id)  # an unknown call-out is a 404, not "no submission"
    done = decide(state.store, state.models(), body.submission_ids, body.decision, by=who.name, cache=state.cache)
    return BatchPublic.model_validate(done)


@router.post("/callouts/{callout_id}/undo", response_model=UndoPublic, responses=WRITE)
def undo_last(callout_id: str, state: StateDep, who: Curator) -> UndoPublic:
    """Take back the caller's last decision action in this call-out; called again, the one before it."""
    done = undo(state.store, callout_id, by=who.name)
    return UndoPublic(undone=BatchPublic.model_validate(done) if done else None)


@router.get("/submissions/{submission_id}/notes", response_model=NoteListPublic)
def list_notes(submission_id: str, state: StateDep, who: Curator) -> NoteListPublic:
    """The piece's notes, oldest first."""
    with state.store.db.session() as session:
        visible_submission(session, submission_id, who)
        found = notes.of(session, [submission_id]).get(submission_id, [])
    return NoteListPublic(items=[NotePublic.model_validate(n) for n in found])


@router.post("/submissions/{submission_id}/notes", response_model=NotePublic, status_code=201,
             responses=WITH_BODY)
def add_note(submission_id: str, body: NoteCreate, state: StateDep, who: Curator) -> NotePublic:
    """A note on its own, about the whole piece or, with `at`, a moment of it ("0:42 the dog enters")."""
    with state.store.db.session() as session:
        visible_submission(session, submission_id, who)
        return NotePublic.model_validate(notes.add(session, submission_id, body.text, author=who.name, at=body.at))


@router.delete("/notes/{note_id}", response_model=NotePublic, responses=WRITE)
def delete_note(note_id: Annotated[int, Path(ge=1, le=2**53)], state: StateDep, who: Curator) -> NotePublic:
    """Delete a note: its author may, and an admin."""
    with state.store.db.session() as session:
        return NotePublic.model_validate(notes.remove(session, note_id, by=who.name,
                                                      may_remove_any=who.role == "admin"))


@router.put("/submissions/{submission_id}/vote", response_model=VotePublic, responses=WITH_BODY)
def cast_vote(submission_id: str, body: VoteCreate, state: StateDep, who: Curator) -> VotePublic:
    """The caller's own rating of the piece (1-5), beside the shared decision; a new one replaces the old."""
    with state.store.db.session() as session:
        visible_submission(session, submission_id, who)
        votes.cast(session, submission_id, body.rating, voter=who.name)
    return VotePublic(submission_id=submission_id, voter=who.name, rating=body.rating)


@router.delete("/submissions/{submission_id}/vote", response_model=VotePublic, responses=WRITE)
def withdraw_vote(submission_id: str, state: StateDep, who: Curator) -> VotePublic:
    """Take the caller's rating back."""
    with state.store.db.session() as session:
        visible_submission(session, submission_id, who)
        votes.withdraw(session, submission_id, voter=who.name)
    return VotePublic(submission_id=submission_id, voter=who.name, rating=None)


@router.get("/callouts/{callout_id}/tally", response_model=TallyPublic, responses=WRITE)
def tally(callout_id: str, state: StateDep, who: Curator) -> TallyPublic:
    """Every card with votes (a duplicate group counts as one piece, each curator once): the disagreements first,
    then by mean rating."""
    view = View(state.store, state.models(), callout_id, state.cache)
    pool, tallies = view.pool(), view.tallies()
    shown = {g.representative for g in view.groups()}
    copies = {m for g in view.groups() for m in g.members} - shown
    items = [TallyItemPublic(submission_id=sid, external_id=pool.external(sid), votes=t.votes,
                             mean=round(t.mean, 2) if t.mean is not None else None, split=t.split)
             for sid, t in tallies.items() if sid not in copies]
    items.sort(key=lambda i: (not i.split, -(i.mean or 0), i.submission_id))
    return TallyPublic(callout=callout_id, voted=len(items), split=sum(i.split for i in items), items=items)


@router.get("/callouts/{callout_id}/progress", response_model=ProgressPublic, responses=WRITE)
def progress_of(callout_id: str, state: StateDep, who: Curator,
                curator: Annotated[str | None, Query(max_length=200)] = None) -> ProgressPublic:
    """Cards decided and left, for the team and for one curator (the caller unless named)."""
    found = progress(state.store, state.models(), callout_id, curator or who.name, cache=state.cache)
    return ProgressPublic.model_validate(found)


@router.post("/callouts/{callout_id}/assignments", response_model=AssignmentsPublic,
             responses={**WITH_BODY, **errors(409)})
def split_pool(callout_id: str, body: AssignmentsCreate, state: StateDep, who: Admin) -> AssignmentsPublic:
    """Deal the call-out's cards to curators in rank order (a duplicate group goes whole to one); each then works
    through "assigned to me" (`GET .../shortlist?mine=true`). Admins: the team's lead."""
    dealt = assignments.split(state.store, state.models(), callout_id, body.curators, by=who.name,
                              only_undecided=body.only_undecided, cache=state.cache)
    return AssignmentsPublic(callout=callout_id, curators=dealt)


@router.delete("/callouts/{callout_id}/assignments", response_model=ClearedPublic, responses=WRITE)
def clear_assignments(callout_id: str, state: StateDep, who: Admin) -> ClearedPublic:
    callout_view(state.store, callout_id)
    with state.store.db.session() as session:
        return ClearedPublic(callout=callout_id, cleared=assignments.clear(session, callout_id))


@router.put("/duplicates/keep/{submission_id}", response_model=KeepPublic, responses=WRITE)
def keep_piece(submission_id: str, state: StateDep, who: Curator) -> KeepPublic:
    """Keep this piece for its duplicate group: the shortlist shows and exports it, its copies ride along."""
    with state.store.db.session() as session:
        callout_id = visible_submission(session, submission_id, who).callout_id
    members = next((g.members for g in View(state.store, state.models(), callout_id, state.cache).groups()
                    if submission_id in g.members), ())
    state.rescore(keep(state.store, submission_id, by=who.name, members=members))
    return KeepPublic(submission_id=submission_id, kept=True, decided_by=who.name)


@router.delete("/duplicates/keep/{submission_id}", response_model=KeepPublic, responses=WRITE)
def forget_keep(submission_id: str, state: StateDep, who: Curator) -> KeepPublic:
    """Forget the choice: the fingerprints' representative is shown again."""
    state.rescore(unkeep(state.store, submission_id))
    return KeepPublic(submission_id=submission_id, kept=False, decided_by=who.name)


@router.delete("/duplicates/overrides", response_model=OverridePublic, responses=WRITE)
def take_back_override(state: StateDep, who: Curator, a: Annotated[str, Query(min_length=1, max_length=32)],
                       b: Annotated[str, Query(min_length=1, max_length=32)]) -> OverridePublic:
    """Take a pair's verdict back ("not a duplicate" or "merge"): the fingerprints judge the pair again."""
    state.rescore(take_back(state.store, a, b))
    return OverridePublic(a=a, b=b, verdict=None, decided_by=who.name)

