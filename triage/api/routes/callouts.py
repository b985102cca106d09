"""Call-outs: list (with counts and running jobs), show, create, update, mark exemplars, close."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from triage.api.deps import Admin, Anyone, Curator, StateDep, StoreDep
from triage.api.overview import callouts_overview
from triage.api.public_callouts import (
    CalloutDetailPublic,
    CalloutListPublic,
    CalloutOpenPublic,
    CalloutPublic,
)
from triage.api.schemas import CalloutCreate, CalloutUpdate, errors
from triage.service.callouts import callout_detail, close_callout, create_callout, update_callout

router = APIRouter(tags=["call-outs"])
# A change writes to the database: 503 (Degraded) while it cannot be written. A JSON body: 400 when it cannot be
# parsed, 413 over the limit.
WRITE = errors(422, 503)
WITH_BODY = errors(400, 413, 422, 503)


@router.get("/callouts", response_model=CalloutListPublic)
def list_(store: StoreDep, who: Anyone) -> dict[str, Any]:
    """Every call-out with submission counts per status (submitters: open call-outs only, no counts)."""
    return {"callouts": callouts_overview(store, who)}


@router.get("/callouts/{callout_id}", response_model=CalloutDetailPublic | CalloutOpenPublic, responses=errors(422))
def show(callout_id: str, store: StoreDep, who: Anyone) -> dict[str, Any]:
    return callout_detail(store, callout_id, submitter=who.is_submitter)


@router.post("/callouts", status_code=201, response_model=CalloutPublic, responses={**WITH_BODY, **errors(409)})
def create(body: CalloutCreate, state: StateDep, who: Admin) -> dict[str, Any]:
    """Create a call-out (admins). 409 if the id is taken: use PATCH to change one.

    The open call-outs (and the closed ones scored before) are re-scored in the background: each is ranked
    against the others, so a new one changes what sets them apart."""
    out, others = create_callout(state.store, body.id, title=body.title, brief=body.brief, prompts=body.prompts,
                                 negative_prompts=body.negative_prompts)
    state.rescore(others)
    return out


@router.patch("/callouts/{callout_id}", response_model=CalloutPublic, responses=WITH_BODY)
def update(callout_id: str, body: CalloutUpdate, state: StateDep, who: Admin) -> dict[str, Any]:
    """Change the fields given (admins); `open: false` closes the call-out to uploads.

    A new title, brief or prompts queues a re-scoring job, so the pool is ranked afresh before curators ask; the
    other call-outs' saved scores are re-computed after it, as they are ranked against this one too.
    """
    out, changed, others = update_callout(state.store, callout_id, title=body.title, brief=body.brief,
                                          prompts=body.prompts, negative_prompts=body.negative_prompts,
                                          is_open=body.open)
    if changed:
        state.rescore([callout_id, *others])
    return out


@router.put("/callouts/{callout_id}/exemplars/{submission_id}", response_model=CalloutPublic,
            responses={**WRITE, **errors(409, s409="only a ready submission can be an exemplar")})
def mark_exemplar(callout_id: str, submission_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Mark a ready submission (id or external id) as an example of what the call-out wants (curators).

    Its words and frames then count beside the brief, and the pool is re-scored in the background.
    """
    return state.mark_exemplar(callout_id, submission_id, True)


@router.delete("/callouts/{callout_id}/exemplars/{submission_id}", response_model=CalloutPublic, responses=WRITE)
def unmark_exemplar(callout_id: str, submission_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Stop counting a submission as an exemplar (curators)."""
    return state.mark_exemplar(callout_id, submission_id, False)


@router.post("/callouts/{callout_id}/close", response_model=CalloutPublic, responses=WRITE)
def close(callout_id: str, store: StoreDep, who: Admin) -> dict[str, Any]:
    """Stop accepting uploads (admins). Curating goes on."""
    return close_callout(store, callout_id)
