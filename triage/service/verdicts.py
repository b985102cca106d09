"""Curators' rulings on duplicates beyond the pair verdicts themselves: which piece of a group to keep, the list of
rulings to show, and taking a ruling back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from triage.errors import NotFound
from triage.scoring.dedup import DuplicateGroup
from triage.store.rows import check_length, insert_if_absent
from triage.store.schema import DuplicateKeep, DuplicateOverride, Submission
from triage.store.store import Store


@dataclass(frozen=True)
class Ruling:
    a: str  # the smaller submission id of the pair
    b: str
    verdict: str  # "merge" | "not_duplicate"
    decided_by: str


def rulings(session: Session, submission_ids: Iterable[str]) -> list[Ruling]:
    """Every pair verdict that touches one of these submissions, oldest first."""
    ids = list(dict.fromkeys(submission_ids))
    if not ids:
        return []
    rows = session.scalars(select(DuplicateOverride).where(or_(
        DuplicateOverride.submission_a.in_(ids),
        DuplicateOverride.submission_b.in_(ids))).order_by(DuplicateOverride.id))
    return [Ruling(r.submission_a, r.submission_b, r.verdict, r.decided_by) for r in rows]


def take_back(store: Store, a: str, b: str) -> list[str]:
    """Remove the verdict on a pair: the fingerprints judge it again. Returns the call-outs to re-score."""
    first, second = sorted((a, b))
    with store.db.session() as session:
        done = session.execute(delete(DuplicateOverride).where(
            DuplicateOverride.submission_a == first, DuplicateOverride.submission_b == second))
        if not done.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"no ruling on {first} and {second} to take back")
        return _callouts(session, (first, second))


def keep(store: Store, submission_id: str, *, by: str, members: Sequence[str] = ()) -> list[str]:
    """Show and export this piece for its duplicate group (`members`, its other pieces lose an earlier choice).
    Returns the call-outs to re-score."""
    check_length(DuplicateKeep, "decided_by", by, "the curator's name")
    with store.db.session() as session:
        if session.get(Submission, submission_id) is None:
            raise NotFound(f"no submission {submission_id!r}")
        session.execute(delete(DuplicateKeep).where(DuplicateKeep.submission_id.in_([*members, submission_id])))
        insert_if_absent(session, DuplicateKeep, submission_id=submission_id, decided_by=by)
        return _callouts(session, (submission_id,))


def unkeep(store: Store, submission_id: str) -> list[str]:
    """Forget the choice: the fingerprints' representative is shown again. Returns the call-outs to re-score."""
    with store.db.session() as session:
        done = session.execute(delete(DuplicateKeep).where(DuplicateKeep.submission_id == submission_id))
        if not done.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"{submission_id} was not chosen to keep")
        return _callouts(session, (submission_id,))


def kept(session: Session) -> dict[str, int]:
    """{submission id: the choice's id} of every piece a curator chose to keep (newer choices have larger ids)."""
    return dict(session.execute(select(DuplicateKeep.submission_id, DuplicateKeep.id)).all())


def with_kept(groups: list[DuplicateGroup], chosen: dict[str, int]) -> list[DuplicateGroup]:
    """Groups whose representative is the member a curator chose to keep (the newest choice in a group)."""
    out = []
    for g in groups:
        picks = [m for m in g.members if m in chosen]
        if not picks:
            out.append(g)
            continue
        rep = max(picks, key=lambda m: chosen[m])
        out.append(DuplicateGroup(rep, (rep, *sorted(m for m in g.members if m != rep)), g.edges))
    return sorted(out, key=lambda g: g.representative)


def _callouts(session: Session, ids: Iterable[str]) -> list[str]:
    return sorted(set(session.scalars(select(Submission.callout_id).where(Submission.id.in_(list(ids))))))
