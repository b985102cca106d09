"""An upload the server has received, checked and stored: its submission row, and the job that analyses it.

The HTTP route streams and probes the file; this records it the way `triage ingest` would (the same source key,
from ingest/claims.py, under the uploader's token), then queues its analysis once the rows are committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.domain import Status
from triage.errors import Conflict
from triage.ingest.claims import give_up, source_key
from triage.jobs import queue
from triage.service.views import as_seen_by, submission_summary
from triage.store import submissions
from triage.store.schema import Content, Job, Submission
from triage.store.store import Store


@dataclass(frozen=True)
class StoredUpload:
    """A received file, stored by its bytes' hash, with what the uploader said of it (checked for length)."""

    sha256: str
    size: int
    filename: str | None
    external_id: str | None
    title: str | None
    contributor: str | None
    media_type: str
    probe: dict[str, Any]


@dataclass(frozen=True)
class Accepted:
    """The upload's submission as its uploader may see it; created (else the same upload again); its job, if
    one was queued."""

    submission: dict[str, Any]
    created: bool
    job_id: int | None


def accept(store: Store, callout_id: str, upload: StoredUpload, *, uploader: int, submitter: bool) -> Accepted:
    """Record the stored upload as a submission of the call-out, and queue its analysis unless it needs none."""
    key = source_key(external_id=upload.external_id, name=upload.filename, sha256=upload.sha256, owner=uploader)
    needs_job = False
    with store.db.session() as session:
        content = submissions.get_or_create_content(session, upload.sha256, upload.size)
        row, created = submissions.get_or_create(
            session, callout_id, key, sha256=upload.sha256, size=upload.size, external_id=upload.external_id,
            title=upload.title, contributor=upload.contributor, original_filename=upload.filename,
            uploaded_by=uploader, media_type=upload.media_type, probe=upload.probe)
        if not created and row.sha256 != upload.sha256:
            raise Conflict(f"external id {upload.external_id!r} was already used for a different file")
        # A submitter's new upload of bytes already analysed waits for a job like any other: settled at once, its
        # "ready" would tell the submitter that someone else has sent these bytes before.
        if content.status in submissions.FINAL and not (created and submitter):
            submissions.settle_from_content(session, content)
        elif created or row.status == Status.FAILED.value or not _in_hand(session, callout_id, row.id):
            needs_job = True  # queued below, once these rows are committed
        data = as_seen_by(submission_summary(row), submitter=submitter)
    job_id = None
    if needs_job:
        job_id = queue.enqueue(store.db, "process_upload", callout_id=callout_id, total=1,
                               params={"sha256": upload.sha256, "name": upload.filename,
                                       "submission_id": data["submission_id"]})
    return Accepted(data, created, job_id)


def _in_hand(session: Session, callout_id: str, submission_id: str) -> bool:
    """Whether a queued or running job is analysing this submission. A server stopped between saving an upload
    and queueing its job left it "received" with none: the same upload again must queue it, not answer 200."""
    return any(j.kind == "process_upload" and (j.params or {}).get("submission_id") == submission_id
               for j in queue.active_for(session, [callout_id]))


def settle_abandoned(store: Store, shas: list[str] | None, reason: str | None = None) -> list[str]:
    """Fail, with a reason, the uploads an analysis job left half-way and nothing will finish: its job failed or
    was cancelled (a full disk, a read-only database, a curator's cancel) and no other job is on the way.

    `shas`: those bytes only, with `reason` (the job's own error); None: every such upload, each with its last
    job's error. Uploads no job ever took (a running `triage ingest`) are not touched. What the analysis wrote of
    their derived files goes too (a retry writes it again). Returns the shas settled.
    """
    with store.db.session() as session:
        query = select(Submission.sha256).where(Submission.status.in_((Status.RECEIVED.value,
                                                                        Status.PROCESSING.value)))
        waiting = set(session.scalars(query)) - {None}
        if shas is not None:
            waiting &= set(shas)
        last: dict[str, Job] = {}
        for job in session.scalars(select(Job).where(Job.kind == "process_upload").order_by(Job.id)):
            sha = (job.params or {}).get("sha256")
            if isinstance(sha, str) and sha in waiting:
                last[sha] = job
        settled = []
        for sha, job in sorted(last.items()):
            if job.status not in (queue.FAILED, queue.CANCELLED) and shas is None:
                continue  # done (settled already) or still on its way
            content = session.get(Content, sha)
            if content is None:
                continue
            why = reason or f"its analysis job {job.id} {job.status}" + (f" ({job.error})" if job.error else "") + \
                f"; retry it with: triage jobs retry {job.id}"
            if give_up(session, content, why):
                settled.append(sha)
    for sha in settled:
        store.files.drop_derived(sha)
    return settled
