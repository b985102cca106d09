"""Curators' notes on pieces: saved on their own, each at a moment of the piece or about the whole of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.errors import BadRequest, Forbidden, NotFound
from triage.store.rows import check_length
from triage.store.schema import Note, Submission

MAX_CHARS = 5_000


@dataclass(frozen=True)
class TimedNote:
    id: int
    submission_id: str
    author: str
    text: str
    at: float | None  # seconds into the piece; None: about the whole piece
    created_at: datetime


def _public(row: Note) -> TimedNote:
    return TimedNote(row.id, row.submission_id, row.author, row.text, row.at, row.created_at)


def add(session: Session, submission_id: str, text: str, *, author: str, at: float | None = None) -> TimedNote:
    """Save a note; `at` must fall inside a timed piece (a moment past the end would play nothing)."""
    text = text.strip()
    if not text:
        raise BadRequest("the note is empty; write something to save")
    if len(text) > MAX_CHARS:
        raise BadRequest(f"a note holds at most {MAX_CHARS} characters")
    check_length(Note, "author", author, "the curator's name")
    row = session.get(Submission, submission_id)
    if row is None:
        raise NotFound(f"no submission {submission_id!r}")
    if at is not None:
        duration = (row.probe or {}).get("duration")
        if duration is None:
            raise BadRequest("this piece has no timeline; leave the moment out")
        if not 0 <= at <= duration + 0.5:  # players report a little past the end
            raise BadRequest(f"the moment {at:.1f} s lies outside the piece (0 to {duration:.1f} s)")
        at = round(min(at, duration), 2)
    note = Note(submission_id=submission_id, author=author, text=text, at=at)
    session.add(note)
    session.flush()
    return _public(note)


def of(session: Session, submission_ids: Iterable[str]) -> dict[str, list[TimedNote]]:
    """Each piece's notes, oldest first (pieces without notes are left out)."""
    ids = list(dict.fromkeys(submission_ids))
    out: dict[str, list[TimedNote]] = {}
    if not ids:
        return out
    for row in session.scalars(select(Note).where(Note.submission_id.in_(ids)).order_by(Note.id)):
        out.setdefault(row.submission_id, []).append(_public(row))
    return out


def remove(session: Session, note_id: int, *, by: str, may_remove_any: bool) -> TimedNote:
    """Delete a note: its author may, and an admin."""
    row = session.get(Note, note_id)
    if row is None:
        raise NotFound(f"no note {note_id}")
    if row.author != by and not may_remove_any:
        raise Forbidden(f"only {row.author} (or an admin) may delete this note")
    gone = _public(row)
    session.delete(row)
    return gone
