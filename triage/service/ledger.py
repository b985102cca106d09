"""A call-out's current decisions, kept up to date by reading only what changed since the last look.

A decision on a pool of 10,000 pieces used to re-read every piece's newest decision (tens of milliseconds on
every card a curator decides). The ledger remembers the rows it has seen and, when the decisions table moved on,
reads only the rows added since; when rows went away (an undo) it reads the call-out's decisions again.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from triage.service.decisions import latest_with_ids
from triage.store.schema import Decision, Submission
from triage.store.store import Store


class DecisionLedger:
    """{submission id: (decision id, decision)} of one call-out's pool, as of a decisions mark."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[str, tuple[int, str]] = {}
        self._count = -1  # decisions in the whole table when last read; -1: never read
        self._newest = 0  # the largest decision id seen
        self._newest_at: object = None  # and when it was made: SQLite gives a removed row's id to the next one

    def current(self, store: Store, callout_id: str, pool: list[str]) -> dict[str, tuple[int, str]]:
        """The pool's newest decisions now (a copy the caller may keep)."""
        with self._lock, store.db.session() as session:
            count, newest = session.execute(select(func.count(), func.max(Decision.id))).one()
            added = session.scalar(select(func.count()).where(Decision.id > self._newest)) or 0
            seen = session.scalar(select(Decision.created_at).where(Decision.id == self._newest))
            if self._count < 0 or count != self._count + added or seen != self._newest_at:
                # first look, or rows were removed (an undo; perhaps with their ids given again): read all
                self._made = latest_with_ids(session, pool, callout_id=callout_id)
            elif added:
                wanted = set(pool)
                rows = session.execute(
                    select(Decision.submission_id, Decision.id, Decision.decision)
                    .join(Submission, Submission.id == Decision.submission_id)
                    .where(Decision.id > self._newest, Submission.callout_id == callout_id).order_by(Decision.id))
                self._made.update({sid: (i, d) for sid, i, d in rows if sid in wanted})
            self._count, self._newest = int(count), int(newest or 0)
            self._newest_at = session.scalar(select(Decision.created_at).where(Decision.id == self._newest))
            return dict(self._made)
