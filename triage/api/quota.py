"""What one submitter may upload: how many uploads may wait for analysis at once, and how many bytes in any 24 h.

An upload counts from the moment it is admitted (before a byte of its body is read) until its analysis ends: in
this server's ledger of uploads in progress until its rows and job are committed, then in the store (its queued or
running job, its submission's size and time). The check and the entry in the ledger happen under one lock, so two
uploads by one token that arrive together cannot both take the last place. Several servers over one database keep
one ledger each: uploads that reach different servers at the same moment can pass a limit by one per extra server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from triage.api.upload import OVERHEAD, Refusal
from triage.errors import RateLimited, TooLarge, TriageError
from triage.jobs import queue
from triage.service import Database
from triage.service.uploads import freed_when, uploaded_bytes

WINDOW = timedelta(hours=24)


@dataclass
class Allowance:
    """What one admitted upload may send: `cap` bytes at most, refused with `over(cap)` beyond. `reserved` is what
    it holds of its token's daily bytes while in progress (its body's declared size, else all it may send)."""

    cap: int
    over: Refusal
    reserved: int = 0


class UploadQuota:
    """The limits on submitters' uploads (0: no limit) and the uploads this server is receiving for each token."""

    def __init__(self, max_pending: int, max_bytes: int) -> None:
        self.max_pending, self.max_bytes = max_pending, max_bytes
        self._lock = threading.Lock()
        self._receiving: dict[int, list[Allowance]] = {}

    @contextmanager
    def upload(self, db: Database, token_id: int, max_file_bytes: int, over_file: Refusal,
               declared: int | None) -> Iterator[Allowance]:
        """Admit one upload by a submitter token, whose body declares `declared` bytes (None: a chunked body), or
        raise RateLimited (429). The allowance is held until the block ends."""
        with self._lock:
            mine = self._receiving.get(token_id, [])
            allowance = self._admit(db, token_id, mine, max_file_bytes, over_file, declared)
            self._receiving[token_id] = [*mine, allowance]
        try:
            yield allowance
        finally:
            with self._lock:
                left = [a for a in self._receiving[token_id] if a is not allowance]
                if left:
                    self._receiving[token_id] = left
                else:
                    del self._receiving[token_id]

    def _admit(self, db: Database, token_id: int, mine: list[Allowance], max_file_bytes: int, over_file: Refusal,
               declared: int | None) -> Allowance:
        since = datetime.now(UTC) - WINDOW
        if self.max_pending:
            with db.session() as session:  # the queue's own tables (jobs/), read in its own session
                waiting = queue.uploads_waiting(session, token_id) + len(mine)
        else:
            waiting = 0
        stored = uploaded_bytes(db, token_id, since) if self.max_bytes else 0
        if self.max_pending and waiting >= self.max_pending:
            raise RateLimited(f"too many of your uploads are waiting for analysis ({waiting}; "
                              f"at most {self.max_pending} may wait at once, TRIAGE_SUBMITTER_MAX_PENDING): "
                              "upload more once some are analysed")
        if not self.max_bytes:
            return Allowance(max_file_bytes, over_file, 0)
        held = sum(a.reserved for a in mine)
        left = self.max_bytes - stored - held

        def over(cap: int) -> TriageError:
            if cap == max_file_bytes:
                return over_file(cap)
            if declared is not None and declared - OVERHEAD > self.max_bytes:  # it could never fit
                return TooLarge(f"the upload is larger than the {_size(self.max_bytes)} a submitter may upload in "
                                "24 hours (TRIAGE_SUBMITTER_MAX_BYTES_PER_DAY)")
            return self._used_up(db, token_id, since, stored, held, max(left, 0), declared)

        if left <= 0:
            raise over(0)
        cap = min(max_file_bytes, left)
        return Allowance(cap, over, min(cap, declared) if declared is not None else cap)

    def _used_up(self, db: Database, token_id: int, since: datetime, stored: int, held: int, left: int,
                 declared: int | None) -> RateLimited:
        """The refusal of an upload that does not fit in what is left of the token's 24 hours, with the time when
        enough of its earlier uploads leave the window (unknown when its uploads in progress hold the rest)."""
        wanted = max((declared or 0) - OVERHEAD, left + 1)  # the least this upload's file can be
        detail = (f"this upload would pass the {_size(self.max_bytes)} a submitter may upload in 24 hours "
                  f"(TRIAGE_SUBMITTER_MAX_BYTES_PER_DAY): {_size(left)} is left")
        if held and stored + wanted <= self.max_bytes:
            return RateLimited(f"{detail}, the rest is held by your uploads in progress")
        when = freed_when(db, token_id, since, stored + held + wanted - self.max_bytes)
        if when is None:
            return RateLimited(detail)
        retry = max(1.0, (when + WINDOW - datetime.now(UTC)).total_seconds())
        return RateLimited(f"{detail}; enough of it frees up in {_duration(retry)}", retry_after=retry)


def _size(size: int) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e9 else f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size:,} bytes"


def _duration(seconds: float) -> str:
    hours, minutes = divmod(int(seconds + 59) // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
