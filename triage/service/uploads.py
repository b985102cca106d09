"""What an upload asks of the store before its file is kept: the limits on the fields a submitter gives with it,
and what the submitter's token uploaded lately (for the limits on bytes per day)."""

from __future__ import annotations

from datetime import datetime

from triage.errors import InvalidSubmission
from triage.store import submissions
from triage.store.db import Database

FIELD_LIMITS = submissions.FIELD_LIMITS  # the columns' lengths: the form's fields are checked against them


def field_value(fields: dict[str, str], name: str) -> str | None:
    """A submitter-given field, stripped (None when empty); InvalidSubmission when it is longer than its column."""
    value, limit = fields.get(name, "").strip(), FIELD_LIMITS[name]
    if len(value) > limit:
        raise InvalidSubmission(f"{name} is longer than {limit} characters")
    return value or None


def uploaded_bytes(db: Database, token_id: int, since: datetime) -> int:
    """The bytes of the submissions a token uploaded after `since`."""
    with db.session() as session:
        return submissions.uploaded_bytes(session, token_id, since)


def freed_when(db: Database, token_id: int, since: datetime, amount: int) -> datetime | None:
    """When the token's uploads after `since` free `amount` bytes by leaving the window (see
    store.submissions.freed_when); None when all of them together hold less."""
    with db.session() as session:
        return submissions.freed_when(session, token_id, since, amount)
