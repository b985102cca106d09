"""The durable job queue: rows in the `jobs` table, claimed atomically so two workers never take one job.

Life of a job: queued -> running -> done | failed | cancelled. A failed job keeps its error and can be
re-queued; cancelling a running job flips its status, and the worker notices between items. Each claim is one
attempt: a worker writes progress and the outcome only while the job is still on its attempt, so a run that was
cancelled and retried (or revived as stale) while it ran stops instead of running beside its successor.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from triage.errors import Conflict, NotFound
from triage.store.db import Database
from triage.store.schema import Job, Submission

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
# Tells this process's jobs from those of a killed predecessor that had the same pid (a container's pid 1).
BOOT = secrets.token_hex(4)


def now() -> datetime:
    return datetime.now(UTC)


def worker_name(thread: str = "") -> str:
    """host:pid:boot[:thread], so a restart on the same host can tell its dead predecessors' jobs apart."""
    return f"{socket.gethostname()}:{os.getpid()}:{BOOT}" + (f":{thread}" if thread else "")


def enqueue(db: Database, kind: str, *, callout_id: str | None = None, params: dict[str, Any] | None = None,
            total: int = 0) -> int:
    """Add a queued job; returns its id."""
    with db.session() as session:
        job = Job(kind=kind, callout_id=callout_id, params=dict(params or {}), status=QUEUED, total=total)
        session.add(job)
        session.flush()
        return job.id


def get(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}; list them with: triage jobs list")
    return job


def _take(db: Database, job_id: int, worker: str) -> bool:
    # The status guard in the WHERE clause is what makes the claim atomic across threads and processes.
    stamp = now()
    with db.session() as session:
        result = session.execute(
            update(Job).where(Job.id == job_id, Job.status == QUEUED).values(
                status=RUNNING, worker=worker, started_at=stamp, heartbeat_at=stamp, finished_at=None,
                error=None, attempts=Job.attempts + 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def claim(db: Database, worker: str, kinds: tuple[str, ...] | None = None) -> int | None:
    """Take the oldest queued job (optionally of the given kinds); None when there is none."""
    while True:
        with db.session() as session:
            query = select(Job.id).where(Job.status == QUEUED).order_by(Job.id).limit(1)
            if kinds:
                query = query.where(Job.kind.in_(kinds))
            job_id = session.scalar(query)
        if job_id is None:
            return None
        if _take(db, job_id, worker):
            return job_id
        # another worker won the race for that row; try the next one


def claim_one(db: Database, job_id: int, worker: str) -> None:
    """Take one named job (for running it in the foreground); it must be queued."""
    if not _take(db, job_id, worker):
        with db.session() as session:
            status = get(session, job_id).status
        raise Conflict(f"job {job_id} is {status}, not queued; only a queued job can be run")


def heartbeat(db: Database, job_id: int) -> None:
    with db.session() as session:
        session.execute(update(Job).where(Job.id == job_id, Job.status == RUNNING).values(heartbeat_at=now()))


def progress(db: Database, job_id: int, done: int, total: int, attempt: int | None = None) -> str:
    """Record progress; returns the job's current status so the worker can notice a cancel (CANCELLED too when
    the job has moved on to a later attempt: this run was cancelled and retried, or revived elsewhere)."""
    guard = [Job.attempts == attempt] if attempt is not None else []
    with db.session() as session:
        session.execute(update(Job).where(Job.id == job_id, Job.status == RUNNING, *guard).values(
            done=done, total=total, heartbeat_at=now()))
        job = get(session, job_id)
        return job.status if attempt is None or job.attempts == attempt else CANCELLED


def _move(session: Session, job_id: int, allowed: tuple[str, ...], attempt: int | None, **values: Any) -> bool:
    """Change a job in one conditional UPDATE, only while its status is one of `allowed` (and it is still on
    `attempt`): a read, then a write, would let a cancel overwrite a job that finished in between, or the
    reverse. True when the job changed."""
    where = [Job.id == job_id, Job.status.in_(allowed)] + ([Job.attempts == attempt] if attempt is not None else [])
    changed = session.execute(update(Job).where(*where).values(**values)).rowcount  # type: ignore[attr-defined]
    session.expire_all()
    return bool(changed)


def complete(db: Database, job_id: int, result: dict[str, Any] | None = None, attempt: int | None = None) -> None:
    with db.session() as session:
        job = get(session, job_id)
        values: dict[str, Any] = {"status": DONE, "finished_at": now()}
        if job.total and job.done < job.total:
            values["done"] = job.total
        if result is not None:
            values["params"] = {**(job.params or {}), "result": result}
        # cancelled while finishing (the cancel wins), or a later attempt owns the job now: nothing changes
        _move(session, job_id, (RUNNING,), attempt, **values)


def fail(db: Database, job_id: int, error: str, attempt: int | None = None) -> None:
    with db.session() as session:
        _move(session, job_id, (RUNNING,), attempt, status=FAILED, error=error, finished_at=now())


def cancel(db: Database, job_id: int) -> Job:
    """Cancel a queued or running job; a running one stops at its next item."""
    with db.session() as session:
        if not _move(session, job_id, (QUEUED, RUNNING), None, status=CANCELLED, finished_at=now()):
            raise Conflict(f"job {job_id} is already {get(session, job_id).status}")
        return get(session, job_id)


def retry(db: Database, job_id: int) -> Job:
    """Put a failed or cancelled job back in the queue (its progress starts over)."""
    with db.session() as session:
        if not _move(session, job_id, (FAILED, CANCELLED), None, status=QUEUED, done=0, worker=None,
                     finished_at=None, started_at=None):
            raise Conflict(f"job {job_id} is {get(session, job_id).status}; only failed or cancelled jobs can be "
                           "retried")
        return get(session, job_id)


def _alive(worker: str | None, host: str) -> bool:
    if not worker:
        return False
    parts = worker.split(":")
    if parts[0] != host or len(parts) < 2 or not parts[1].isdigit():
        return True  # another machine's worker: only its heartbeat can tell
    pid = int(parts[1])
    if pid == os.getpid():
        return len(parts) > 2 and parts[2] == BOOT  # else a predecessor that had our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale(session: Session, *, stale_after: float = 120.0) -> list[Job]:
    """Running jobs whose worker died (its process is gone, or it stopped sending heartbeats)."""
    host = socket.gethostname()
    limit = now() - timedelta(seconds=stale_after)
    return [job for job in session.scalars(select(Job).where(Job.status == RUNNING))
            if not _alive(job.worker, host) or job.heartbeat_at is None or job.heartbeat_at < limit]


def requeue_stale(db: Database, *, stale_after: float = 120.0) -> list[int]:
    """Re-queue running jobs whose worker died (its process is gone, or it stopped sending heartbeats)."""
    revived = []
    with db.session() as session:
        for job in stale(session, stale_after=stale_after):
            job.status, job.worker, job.started_at = QUEUED, None, None
            revived.append(job.id)
    return revived


def waiting(session: Session, callout_id: str | None) -> int:
    """Queued or running jobs of one call-out (all call-outs when None)."""
    query = select(func.count()).select_from(Job).where(Job.status.in_((QUEUED, RUNNING)))
    if callout_id is not None:
        query = query.where(Job.callout_id == callout_id)
    return int(session.scalar(query) or 0)


def uploads_waiting(session: Session, token_id: int) -> int:
    """A token's uploads whose analysis is queued or running (those whose job was cancelled or failed, or
    that share a file another upload's job is analysing, wait for nothing of their own)."""
    query = (select(func.count(func.distinct(Submission.id))).select_from(Job)
             .join(Submission, Submission.id == Job.params["submission_id"].as_string())
             .where(Job.kind == "process_upload", Job.status.in_((QUEUED, RUNNING)),
                    Submission.uploaded_by == token_id))
    return int(session.scalar(query) or 0)


def is_queued(session: Session, kind: str, callout_id: str) -> bool:
    """Whether a job of this kind for this call-out waits to start (a second one would do the same work)."""
    query = select(func.count()).select_from(Job).where(Job.status == QUEUED, Job.kind == kind,
                                                        Job.callout_id == callout_id)
    return bool(session.scalar(query))


def enqueue_once(db: Database, kind: str, callout_id: str) -> int | None:
    """Queue a job of this kind for this call-out unless one already waits; the new job's id, or None."""
    with db.session() as session:
        if is_queued(session, kind, callout_id):
            return None
    return enqueue(db, kind, callout_id=callout_id)


def list_jobs(session: Session, *, status: str | None = None, callout_id: str | None = None,
              limit: int = 100, offset: int = 0) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(limit).offset(offset)
    if status:
        query = query.where(Job.status == status)
    if callout_id:
        query = query.where(Job.callout_id == callout_id)
    return list(session.scalars(query))


def active_for(session: Session, callout_ids: list[str]) -> list[Job]:
    """Queued or running jobs of these call-outs (for progress on the web page)."""
    query = select(Job).where(or_(Job.status == QUEUED, Job.status == RUNNING), Job.callout_id.in_(callout_ids))
    return list(session.scalars(query.order_by(Job.id)))


def eta_seconds(job: Job, at: datetime | None = None) -> float | None:
    """Seconds left, from the pace so far; None until there is some progress to go on."""
    started = job.started_at
    if job.status != RUNNING or started is None or job.done <= 0 or job.total <= 0:
        return None
    elapsed = ((at or now()) - started).total_seconds()
    return max(0.0, elapsed / job.done * (job.total - job.done))


def job_dict(job: Job) -> dict[str, Any]:
    """The JSON shape of a job, as the API and `triage jobs list --json` show it."""
    params = dict(job.params or {})
    result = params.pop("result", None)
    eta = eta_seconds(job)
    return {
        "id": job.id, "kind": job.kind, "callout": job.callout_id, "params": params, "status": job.status,
        "done": job.done, "total": job.total,
        "progress": round(job.done / job.total, 4) if job.total else None,
        "eta_s": round(eta, 1) if eta is not None else None,
        "error": job.error, "attempts": job.attempts, "worker": job.worker, "result": result,
        "created_at": job.created_at, "started_at": job.started_at,
        "finished_at": job.finished_at, "heartbeat_at": job.heartbeat_at,
    }
