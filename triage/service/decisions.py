"""Curator decisions: every change is a new row, the newest one is current."""

from __future__ import annotations

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from triage.domain import DECISIONS
from triage.errors import BadRequest, NotFound
from triage.store.rows import check_length
from triage.store.schema import Decision, Submission


def newest_ids() -> ScalarSelect[int]:
    """A subquery of each submission's newest decision id: the current decisions."""
    return select(func.max(Decision.id)).group_by(Decision.submission_id).scalar_subquery()


def latest(session: Session, submission_ids: list[str]) -> dict[str, Decision]:
    """The newest decision row of each given submission (absent: never decided, i.e. unrated)."""
    if not submission_ids:
        return {}
    rows = session.scalars(select(Decision).where(Decision.id.in_(newest_ids()),
                                                  Decision.submission_id.in_(submission_ids)))
    return {d.submission_id: d for d in rows}


def current(session: Session, submission_ids: list[str]) -> dict[str, str]:
    """{submission_id: newest decision} for the given submissions."""
    return {sid: d.decision for sid, d in latest(session, submission_ids).items()}


def record(session: Session, submission_id: str, decision: str, *, note: str | None, by: str) -> Decision:
    """Add a decision (history is kept)."""
    if decision not in DECISIONS:
        raise BadRequest(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    check_length(Decision, "decided_by", by, "the curator's name")
    if session.get(Submission, submission_id) is None:
        raise NotFound(f"no submission {submission_id!r}")
    row = Decision(submission_id=submission_id, decision=decision, note=note, decided_by=by)
    session.add(row)
    session.flush()
    return row


def history(session: Session, submission_id: str) -> list[Decision]:
    """Every decision on a submission, newest first."""
    return list(session.scalars(select(Decision).where(Decision.submission_id == submission_id)
                                .order_by(Decision.id.desc())))
