"""An upload whose analysis job stops (a full disk, a read-only database) is failed with the reason, never left
"processing"; uploads no job took (a running `triage ingest`) are left alone."""

from __future__ import annotations

import pytest

from tests.conftest import MEDIA
from triage import runtime
from triage.config import Settings
from triage.jobs import handlers, queue
from triage.jobs.handlers import JobContext
from triage.jobs.uploads import StoredUpload, accept, settle_abandoned
from triage.jobs.worker import WorkerPool, run_job
from triage.store import submissions
from triage.store.callouts import upsert_callout
from triage.store.schema import Submission
from triage.store.store import Store


def _upload(store: Store, name: str) -> int:
    sha, size = store.files.put_original(MEDIA / "good" / name)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="Stories about foxes.")
    accepted = accept(store, "lawn", StoredUpload(sha, size, name, None, None, None, "text", {}), uploader=1,
                      submitter=False)
    assert accepted.job_id is not None
    return accepted.job_id


def _status(store: Store, name: str) -> tuple[str, str | None]:
    with store.db.session() as session:
        row = session.query(Submission).filter(Submission.original_filename == name).one()
        return row.status, row.error


def _full_disk(*args: object, **kwargs: object) -> None:
    raise OSError(28, "No space left on device")


def test_a_job_that_stops_half_way_fails_its_upload_with_the_reason(settings: Settings,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store = runtime.open_store(settings)
    job_id = _upload(store, "story.txt")
    monkeypatch.setattr(handlers, "process_content", _full_disk)
    queue.claim_one(store.db, job_id, queue.worker_name("test"))
    run_job(JobContext(store, settings), job_id)
    status, error = _status(store, "story.txt")
    assert status == "failed" and error is not None and "No space left on device" in error
    with store.db.session() as session:
        assert queue.get(session, job_id).status == queue.FAILED
    # Retried once the disk has room, the same job finishes the upload.
    monkeypatch.undo()
    queue.retry(store.db, job_id)
    queue.claim_one(store.db, job_id, queue.worker_name("test"))
    run_job(JobContext(store, settings), job_id)
    assert _status(store, "story.txt") == ("ready", None)


def test_the_workers_settle_what_a_failing_job_could_not_write(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = runtime.open_store(settings)
    job_id = _upload(store, "story.txt")
    monkeypatch.setattr(handlers, "process_content", _full_disk)
    monkeypatch.setattr(handlers, "settle_abandoned", _full_disk)  # the database refused that write too
    queue.claim_one(store.db, job_id, queue.worker_name("test"))
    run_job(JobContext(store, settings), job_id)
    assert _status(store, "story.txt")[0] == "processing"
    # A submission a CLI ingest is analysing has no job: the sweep must not touch it.
    with store.db.session() as session:
        submissions.get_or_create_content(session, "f" * 64, 1)
        row, _ = submissions.get_or_create(session, "lawn", "path:elsewhere", sha256="f" * 64, size=1,
                                           original_filename="cli.txt", media_type="text")
        row.status = "processing"
    pool = WorkerPool(JobContext(store, settings), count=0)
    pool.start()
    status, error = _status(store, "story.txt")
    assert status == "failed" and error is not None and f"triage jobs retry {job_id}" in error
    assert _status(store, "cli.txt")[0] == "processing"
    assert settle_abandoned(store, None) == []  # nothing left to settle
    pool.stop()
