"""Submissions as a caller may see them: one by id, or a filtered page of them (submitters: their own only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.errors import NotFound
from triage.service.decisions import history, newest_ids
from triage.service.tokens import Principal
from triage.service.views import submission_dict
from triage.store.schema import Decision, Submission
from triage.store.store import Store
from triage.store.submissions import lookup_near


def visible_submission(session: Session, submission_id: str, who: Principal) -> Submission:
    """A submission the caller may see; a submitter's own only (others look absent, not forbidden)."""
    row = session.get(Submission, submission_id)
    if row is None or (who.is_submitter and row.uploaded_by != who.token_id):
        raise NotFound(f"no submission {submission_id!r}")
    return row


def list_submissions(session: Session, who: Principal, *, callout_id: str | None = None,
                     status: str | None = None, media_type: str | None = None, decision: str | None = None,
                     limit: int = 50, offset: int = 0) -> tuple[list[Submission], int]:
    """One page of submissions matching the filters, and how many match in all."""
    query = select(Submission)
    if who.is_submitter:
        query = query.where(Submission.uploaded_by == who.token_id)
    if callout_id:
        query = query.where(Submission.callout_id == callout_id)
    if status:
        query = query.where(Submission.status == status)
    if media_type:
        query = query.where(Submission.media_type == media_type)
    if decision:
        latest = select(Decision.submission_id, Decision.decision).where(
            Decision.id.in_(newest_ids())).subquery()
        if decision == "unrated":
            query = query.outerjoin(latest, latest.c.submission_id == Submission.id).where(
                (latest.c.decision.is_(None)) | (latest.c.decision == "unrated"))
        else:
            query = query.join(latest, latest.c.submission_id == Submission.id).where(latest.c.decision == decision)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Submission.created_at, Submission.id).limit(limit).offset(offset))
    return list(rows), int(total)


def named(store: Store, ref: str, callout_id: str | None) -> Submission:
    """A submission by its id or external id, the call-out's own first (NotFound when none)."""
    with store.db.session() as session:
        return lookup_near(session, ref, callout_id)


def seen_with_history(store: Store, submission_id: str, who: Principal) -> tuple[Submission, dict[str, Any],
                                                                                list[Decision]]:
    """A submission the caller may see, everything `triage show` tells of it, and its decisions newest first."""
    with store.db.session() as session:
        row = visible_submission(session, submission_id, who)
        return row, submission_dict(session, row), history(session, row.id)
