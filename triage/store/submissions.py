"""Submission rows: find or create idempotently, move through statuses, look up for `show`."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from triage.domain import Probe, Status
from triage.errors import InvalidSubmission, NotFound
from triage.media.probe import check_name
from triage.store.rows import column_length, insert_if_absent
from triage.store.schema import Content, Submission

FINAL = {Status.READY.value, Status.REJECTED.value}


# What a submitter may give with a file; longer values are refused (PostgreSQL would refuse the insert).
FIELD_LIMITS = {name: column_length(Submission, name) for name in ("external_id", "title", "contributor")}
_KEY_LENGTH = column_length(Submission, "source_key")
_NAME_LENGTH = column_length(Submission, "original_filename")


def field_problem(fields: Mapping[str, str | None]) -> str | None:
    """Why these submitter-given fields cannot be stored, or None."""
    for name, limit in FIELD_LIMITS.items():
        if len(fields.get(name) or "") > limit:
            return f"{name} is longer than {limit} characters"
    return None


def bounded_key(key: str) -> str:
    """A source key that fits its column: a longer one (a deep path, a hostile upload name) keeps its start and
    ends in a digest of the whole, so it stays unique and the same on every run."""
    if len(key) <= _KEY_LENGTH:
        return key
    digest = "#sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key[:_KEY_LENGTH - len(digest)] + digest


def new_id() -> str:
    return "s_" + uuid.uuid4().hex[:16]


def find_by_key(session: Session, callout_id: str, source_key: str) -> Submission | None:
    key = bounded_key(source_key)
    return session.scalar(select(Submission).where(Submission.callout_id == callout_id, Submission.source_key == key))


def get_or_create(session: Session, callout_id: str, source_key: str, **fields: Any) -> tuple[Submission, bool]:
    """The submission for (call-out, source key), created in `received` state if new."""
    found = find_by_key(session, callout_id, source_key)
    if found is not None:
        return found, False
    if fields.get("original_filename"):  # only shown to people; a name this long is hostile anyway
        fields["original_filename"] = str(fields["original_filename"])[:_NAME_LENGTH]
    created = insert_if_absent(session, Submission, id=new_id(), callout_id=callout_id,
                                source_key=bounded_key(source_key), status=Status.RECEIVED.value, **fields)
    row = find_by_key(session, callout_id, source_key)
    assert row is not None
    return row, created


def get_or_create_content(session: Session, sha256: str, size: int) -> Content:
    content = session.get(Content, sha256)
    if content is None:
        insert_if_absent(session, Content, sha256=sha256, size=size, status=Status.RECEIVED.value)
        content = session.get(Content, sha256)
        assert content is not None
    return content


def set_status(row: Submission | Content, status: Status, error: str | None = None) -> None:
    row.status = status.value
    row.error = error


def settle_from_content(session: Session, content: Content, *, allow_mislabelled: bool = False) -> list[Submission]:
    """Copy a finished content's outcome onto every unfinished submission that shares its bytes.

    The file name belongs to the submission, not to the bytes: a name that contradicts the content
    rejects that submission only (unless allowed), and the content stays usable for the others.
    """
    rows = list(session.scalars(
        select(Submission).where(Submission.sha256 == content.sha256, Submission.status.not_in(FINAL))
    ))
    for row in rows:
        row.status, row.error = content.status, content.error
        row.media_type, row.probe = content.media_type, content.probe
        if content.status == Status.READY.value and content.probe:
            try:
                named = check_name(Probe.from_dict(content.probe), row.original_filename,
                                   allow_mislabelled=allow_mislabelled)
                row.probe = named.to_dict()
            except InvalidSubmission as exc:
                row.status, row.error = Status.REJECTED.value, str(exc)
    return rows


def lookup(session: Session, ref: str, callout_id: str | None = None) -> Submission:
    """A submission by its id or external id (optionally within one call-out)."""
    query = select(Submission).where(or_(Submission.id == ref, Submission.external_id == ref))
    if callout_id:
        query = query.where(Submission.callout_id == callout_id)
    rows = list(session.scalars(query.order_by(Submission.created_at)))
    if not rows:
        raise NotFound(f"no submission with id or external id {ref!r}")
    return rows[0]


def lookup_near(session: Session, ref: str, callout_id: str | None) -> Submission:
    """A submission by its id or external id, the call-out's own first: each call-out has its own external
    ids, so one may name different pieces in two call-outs. Any other call-out's piece otherwise."""
    query = select(Submission).where(or_(Submission.id == ref, Submission.external_id == ref))
    first = (Submission.callout_id == callout_id).desc() if callout_id else Submission.created_at
    row = session.scalars(query.order_by(first, Submission.created_at).limit(1)).first()
    if row is None:
        raise NotFound(f"no submission with id or external id {ref!r}")
    return row


def uploaded_bytes(session: Session, token_id: int, since: datetime) -> int:
    """The bytes of the submissions a token uploaded after `since`."""
    query = select(func.coalesce(func.sum(Submission.size), 0)).where(
        Submission.uploaded_by == token_id, Submission.created_at > since)
    return int(session.scalar(query) or 0)


def freed_when(session: Session, token_id: int, since: datetime, amount: int) -> datetime | None:
    """The creation time of the token's upload after `since` whose leaving the window (with those before it)
    frees `amount` bytes; None when all of them together hold less."""
    query = (select(Submission.created_at, Submission.size)
             .where(Submission.uploaded_by == token_id, Submission.created_at > since)
             .order_by(Submission.created_at))
    freed = 0
    for created, size in session.execute(query.execution_options(yield_per=256)):
        freed += size or 0
        if freed >= amount:
            return created
    return None
