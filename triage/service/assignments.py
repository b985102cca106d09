"""A lead splits a call-out's pool among curators; each curator then works through "assigned to me"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from triage.encoders.base import Encoders
from triage.errors import BadRequest
from triage.service.cache import PoolCache
from triage.service.shortlist import shortlist
from triage.store.rows import batches, check_length
from triage.store.schema import Assignment
from triage.store.store import Store

MAX_CURATORS = 100


def split(store: Store, models: Encoders, callout_id: str, curators: list[str], *, by: str,
          only_undecided: bool = True, cache: PoolCache | None = None) -> dict[str, int]:
    """Deal the call-out's shortlist entries to `curators` in rank order, like cards, so each gets as many strong
    pieces as weak ones; a duplicate group goes whole to one curator. The pieces dealt lose any earlier
    assignment; with `only_undecided`, decided pieces keep theirs. Returns entries per curator."""
    names = list(dict.fromkeys(c.strip() for c in curators if c.strip()))
    if not names:
        raise BadRequest("name at least one curator to split the pool among")
    if len(names) > MAX_CURATORS:
        raise BadRequest(f"split among at most {MAX_CURATORS} curators")
    for name in names:
        check_length(Assignment, "assignee", name, "a curator's name")
    # by score alone: variety (MMR) over a whole pool costs seconds and adds nothing to a fair deal
    entries = shortlist(store, models, callout_id, limit=1_000_000, sort="score",
                        decision="undecided" if only_undecided else None, cache=cache)["items"]
    dealt: dict[str, str] = {}
    for k, entry in enumerate(entries):
        for sid in (entry["submission_id"], *entry["duplicate_ids"]):
            dealt[sid] = names[k % len(names)]
    with store.db.session() as session:
        for part in batches(dealt):
            session.execute(delete(Assignment).where(Assignment.submission_id.in_(part)))
        session.add_all(Assignment(callout_id=callout_id, submission_id=sid, assignee=who, assigned_by=by)
                        for sid, who in dealt.items())
    return dict(Counter(names[k % len(names)] for k in range(len(entries))))


def assigned(session: Session, callout_id: str, assignee: str) -> frozenset[str]:
    """The submissions of the call-out assigned to one curator."""
    return frozenset(session.scalars(select(Assignment.submission_id).where(
        Assignment.callout_id == callout_id, Assignment.assignee == assignee)))


def assignees(session: Session, submission_ids: Iterable[str]) -> dict[str, str]:
    """Who each piece is assigned to (unassigned pieces are left out)."""
    out: dict[str, str] = {}
    for part in batches(submission_ids):
        rows = session.execute(select(Assignment.submission_id, Assignment.assignee)
                               .where(Assignment.submission_id.in_(part)))
        out.update({sid: who for sid, who in rows})
    return out


def clear(session: Session, callout_id: str) -> int:
    """Remove every assignment of the call-out; how many pieces were assigned."""
    done = session.execute(delete(Assignment).where(Assignment.callout_id == callout_id))
    return int(done.rowcount)  # type: ignore[attr-defined]
