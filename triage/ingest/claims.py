"""What every way into the store shares: how a submission is keyed, and how stored bytes are handed to analysis.

`triage ingest` (ingest/runner.py), the HTTP upload (service/uploads.py) and the upload job (jobs/handlers.py) all
key a submission with `source_key` and mark work as begun with `begin_processing`, so a file sent twice, either
way, finds the row it made before.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.domain import Status
from triage.store import submissions
from triage.store.schema import Content, Submission


def source_key(*, external_id: str | None, name: str | None, sha256: str | None, path: str | None = None,
               owner: int | str | None = None) -> str:
    """A submission's key within its call-out: its external id, else its file name and bytes (else, before the
    bytes are read, its path). `owner` (an uploader's token) keeps one uploader's keys apart from another's."""
    if external_id:
        key = f"ext:{external_id}"
    elif sha256:
        key = f"file:{name}:{sha256}"
    else:
        key = f"path:{path}"
    return f"upload:{owner}:{key}" if owner is not None else key


def begin_processing(session: Session, content: Content, *, only: Submission | None = None) -> bool:
    """Mark stored bytes and the submissions waiting on them `processing`; False (and nothing marked) when the
    bytes were analysed already. `only`: mark that submission alone (the others keep their state)."""
    if content.status in submissions.FINAL:
        return False
    submissions.set_status(content, Status.PROCESSING)
    waiting = [only] if only is not None else session.scalars(
        select(Submission).where(Submission.sha256 == content.sha256, Submission.status.not_in(submissions.FINAL)))
    for row in waiting:
        submissions.set_status(row, Status.PROCESSING)
    return True


def give_up(session: Session, content: Content, reason: str) -> bool:
    """Undo `begin_processing` when its analysis cannot finish: the bytes and every submission still waiting on
    them become `failed` with the reason (not final: the same file again, or the job retried, tries again).
    False (nothing changed) when the bytes were analysed after all."""
    if content.status in submissions.FINAL:
        return False
    submissions.set_status(content, Status.FAILED, reason)
    for row in session.scalars(select(Submission).where(Submission.sha256 == content.sha256,
                                                        Submission.status.not_in(submissions.FINAL))):
        submissions.set_status(row, Status.FAILED, reason)
    return True
