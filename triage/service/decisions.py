"""Curator decisions: every change is a new row, the newest one is current."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.errors import BadRequest, NotFound
from triage.store.schema import Decision, Submission

DECISIONS = ("shortlisted", "rejected", "starred", "unrated")


def current(session: Session, submission_ids: list[str] | None = None) -> dict[str, str]:
    """{submission_id: newest decision} for the given submissions (all when None)."""
    query = select(Decision.submission_id, Decision.decision).order_by(Decision.id)
    if submission_ids is not None:
        query = query.where(Decision.submission_id.in_(submission_ids))
    return {sid: decision for sid, decision in session.execute(query)}


def record(session: Session, submission_id: str, decision: str, *, note: str | None, by: str) -> Decision:
    """Add a decision (history is kept)."""
    if decision not in DECISIONS:
        raise BadRequest(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if session.get(Submission, submission_id) is None:
        raise NotFound(f"no submission {submission_id!r}")
    row = Decision(submission_id=submission_id, decision=decision, note=note, decided_by=by)
    session.add(row)
    session.flush()
    return row


def history(session: Session, submission_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(Decision).where(Decision.submission_id == submission_id).order_by(Decision.id))
    return [{"decision": r.decision, "note": r.note, "by": r.decided_by, "at": r.created_at} for r in rows]
