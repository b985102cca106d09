"""Submissions: filtered lists with pagination, detail with transcript, and decisions with history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from triage.api.deps import Anyone, Curator, StateDep, StoreDep
from triage.api.public import DecisionPublic
from triage.api.public_submissions import DecisionHistoryPublic, SubmissionListPublic, SubmissionPublic
from triage.api.schemas import DecisionCreate, errors
from triage.service.deciding import decide as decide_pieces
from triage.service.decisions import history, latest
from triage.service.listing import list_submissions, visible_submission
from triage.service.tokens import Principal
from triage.service.views import as_seen_by, decision_dict, submission_dict, submission_summary

router = APIRouter(tags=["submissions"], responses=errors(422))
# A list and a submission send only the keys the route gives (response_model_exclude_unset): a submitter gets no
# `decision` at all, not a null one.


def for_caller(data: dict[str, Any], who: Principal) -> dict[str, Any]:
    """A submission's JSON as this caller may see it (service.views.as_seen_by)."""
    return as_seen_by(data, submitter=who.is_submitter)


@router.get("/submissions", response_model=SubmissionListPublic,
            response_model_exclude_unset=True)
def list_(store: StoreDep, who: Anyone, callout: str | None = None,
          status: Annotated[str | None, Query(max_length=16)] = None,
          media_type: Annotated[str | None, Query(max_length=16)] = None,
          decision: Annotated[str | None, Query(max_length=16)] = None,
          limit: Annotated[int, Query(ge=1, le=500)] = 50,
          offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    """Submissions, filtered by call-out, status, media type and current decision (submitters: their own)."""
    with store.db.session() as session:
        rows, total = list_submissions(session, who, callout_id=callout, status=status, media_type=media_type,
                                       decision=decision, limit=limit, offset=offset)
        decided = {} if who.is_submitter else latest(session, [r.id for r in rows])
        items = [{**submission_summary(r),
                  **({} if who.is_submitter else {"decision": decision_dict(decided.get(r.id))})}
                 for r in rows]
    return {"items": [for_caller(i, who) for i in items], "total": total, "limit": limit, "offset": offset}


@router.get("/submissions/{submission_id}", response_model=SubmissionPublic,
            response_model_exclude_unset=True)
def show(submission_id: str, store: StoreDep, who: Anyone) -> dict[str, Any]:
    """Everything about one submission, as `triage show --json` prints it, plus its current decision."""
    with store.db.session() as session:
        row = visible_submission(session, submission_id, who)
        data = submission_dict(session, row)
        if not who.is_submitter:
            data["decision"] = decision_dict(latest(session, [row.id]).get(row.id))
        return for_caller(data, who)


@router.get("/submissions/{submission_id}/decisions", response_model=DecisionHistoryPublic)
def decisions(submission_id: str, store: StoreDep, who: Curator) -> dict[str, Any]:
    """The decision history, newest (current) first."""
    with store.db.session() as session:
        visible_submission(session, submission_id, who)
        return {"submission_id": submission_id,
                "history": [decision_dict(d) for d in history(session, submission_id)]}


@router.post("/submissions/{submission_id}/decisions", status_code=201, response_model=DecisionPublic,
             responses=errors(400, 413, 503))
def decide(submission_id: str, body: DecisionCreate, state: StateDep, who: Curator) -> DecisionPublic:
    """Record a decision (and a note, kept with it as before; notes of their own: POST .../notes). It becomes
    current, earlier ones stay as history, and every copy in the piece's duplicate group takes it too: a group is
    decided as one. POST /api/callouts/ID/undo takes it back."""
    with state.store.db.session() as session:
        visible_submission(session, submission_id, who)
    done = decide_pieces(state.store, state.models(), [submission_id], body.decision, by=who.name, note=body.note,
                         cache=state.cache)
    with state.store.db.session() as session:
        row = latest(session, [submission_id])[submission_id]
        return DecisionPublic(submission_id=submission_id, **decision_dict(row), batch=done.batch,
                              copies=list(done.copies))
