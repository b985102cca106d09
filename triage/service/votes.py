"""Each curator's own rating of a piece (1-5), beside the shared decision."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from triage.errors import BadRequest, NotFound
from triage.scoring.tally import RATINGS
from triage.store.rows import batches, check_length, insert_if_absent
from triage.store.schema import Submission, Vote


def cast(session: Session, submission_id: str, rating: int, *, voter: str) -> None:
    """Set `voter`'s rating of a piece, replacing their earlier one."""
    if rating not in RATINGS:
        raise BadRequest(f"a rating is a whole number from {RATINGS[0]} to {RATINGS[-1]}, not {rating!r}")
    check_length(Vote, "voter", voter, "the curator's name")
    if session.get(Submission, submission_id) is None:
        raise NotFound(f"no submission {submission_id!r}")
    if not insert_if_absent(session, Vote, submission_id=submission_id, voter=voter, rating=rating):
        row = session.scalar(select(Vote).where(Vote.submission_id == submission_id, Vote.voter == voter))
        assert row is not None
        row.rating = rating
    session.flush()


def withdraw(session: Session, submission_id: str, *, voter: str) -> bool:
    """Take `voter`'s rating back; False when they had none."""
    done = session.execute(delete(Vote).where(Vote.submission_id == submission_id, Vote.voter == voter))
    return bool(done.rowcount)  # type: ignore[attr-defined]


def of(session: Session, submission_ids: Iterable[str]) -> dict[str, dict[str, tuple[float, int]]]:
    """piece -> curator -> (when, rating), for `scoring.tally.group_tallies`."""
    out: dict[str, dict[str, tuple[float, int]]] = {}
    for part in batches(submission_ids):
        for row in session.scalars(select(Vote).where(Vote.submission_id.in_(part))):
            out.setdefault(row.submission_id, {})[row.voter] = (row.updated_at.timestamp(), row.rating)
    return out


_MARK = select(func.count(), func.max(Vote.updated_at))  # built once: every page request reads it


def mark(session: Session) -> tuple[int, object]:
    """Changes whenever a vote is cast, changed or withdrawn: cached tallies are keyed by it."""
    count, newest = session.execute(_MARK).one()
    return int(count), newest
