"""Call-outs: list (with counts and running jobs), show, create, update, mark exemplars, close."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from triage.api.deps import Admin, Anyone, Curator, StateDep, StoreDep
from triage.api.overview import callouts_overview, public
from triage.api.public_callouts import (
    CalloutDetailPublic,
    CalloutListPublic,
    CalloutOpenPublic,
    CalloutPublic,
)
from triage.api.schemas import CalloutCreate, CalloutUpdate, errors
from triage.errors import Conflict, NotFound
from triage.service.rescore import snapshot_path
from triage.service.views import callout_dict
from triage.store.callouts import get_callout, list_callouts, status_counts, upsert_callout
from triage.store.schema import Callout
from triage.store.store import Store

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
    with store.db.session() as session:
        callout = get_callout(session, callout_id)
        if who.is_submitter:
            if not callout.is_open:
                raise NotFound(f"no open call-out {callout_id!r}")
            return public(callout)
        counts = status_counts(session).get(callout_id, {})
        return {**callout_dict(callout), "submissions": sum(counts.values()), "counts": counts}


@router.post("/callouts", status_code=201, response_model=CalloutPublic, responses={**WITH_BODY, **errors(409)})
def create(body: CalloutCreate, state: StateDep, who: Admin) -> dict[str, Any]:
    """Create a call-out (admins). 409 if the id is taken: use PATCH to change one.

    The open call-outs (and the closed ones scored before) are re-scored in the background: each is ranked
    against the others, so a new one changes what sets them apart."""
    with state.store.db.session() as session:
        if session.get(Callout, body.id) is not None:
            raise Conflict(f"call-out {body.id!r} already exists; update it with PATCH /api/callouts/{body.id}")
        callout, _ = upsert_callout(session, body.id, title=body.title, brief=body.brief, prompts=body.prompts,
                                    negative_prompts=body.negative_prompts)
        out, others = callout_dict(callout), _scored_others(state.store, session, body.id)
    state.rescore(others)
    return out


def _scored_others(store: Store, session: Session, callout_id: str) -> list[str]:
    """The other call-outs whose saved scores a change to this one makes stale: the open ones, then the closed
    ones that were scored before (producers open those to cut the show). A closed one never scored stays lazy."""
    others = [c for c in list_callouts(session) if c.id != callout_id]
    return [c.id for c in others if c.is_open] + \
        [c.id for c in others if not c.is_open and snapshot_path(store, c.id).exists()]


def _words(c: Callout) -> tuple[Any, ...]:
    """What the call-out's scores depend on."""
    return c.title, c.brief, tuple(c.prompts or ()), tuple(c.negative_prompts or ())


@router.patch("/callouts/{callout_id}", response_model=CalloutPublic, responses=WITH_BODY)
def update(callout_id: str, body: CalloutUpdate, state: StateDep, who: Admin) -> dict[str, Any]:
    """Change the fields given (admins); `open: false` closes the call-out to uploads.

    A new title, brief or prompts queues a re-scoring job, so the pool is ranked afresh before curators ask; the
    other call-outs' saved scores are re-computed after it, as they are ranked against this one too.
    """
    store = state.store
    with store.db.session() as session:
        before = _words(get_callout(session, callout_id))
        callout, _ = upsert_callout(session, callout_id, title=body.title, brief=body.brief, prompts=body.prompts,
                                    negative_prompts=body.negative_prompts, is_open=body.open)
        changed = _words(callout) != before
        out, others = callout_dict(callout), _scored_others(store, session, callout_id)
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
    with store.db.session() as session:
        get_callout(session, callout_id)
        callout, _ = upsert_callout(session, callout_id, is_open=False)
        return callout_dict(callout)
