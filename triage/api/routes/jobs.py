"""Jobs: list, progress with ETA, cancel, retry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from triage.api.deps import Curator, StateDep
from triage.api.public_jobs import JobListPublic, JobPublic, JobStatus
from triage.api.schemas import errors
from triage.jobs import queue

router = APIRouter(tags=["jobs"], responses=errors(422))


@router.get("/jobs", response_model=JobListPublic)
def list_(state: StateDep, who: Curator, status: JobStatus | None = None, callout: str | None = None,
          limit: Annotated[int, Query(ge=1, le=500)] = 100,
          offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    """Jobs, newest first, with progress (done/total) and an ETA for running ones."""
    with state.store.db.session() as session:
        rows = queue.list_jobs(session, status=status, callout_id=callout, limit=limit, offset=offset)
        return {"items": [queue.job_dict(j) for j in rows]}


@router.get("/jobs/{job_id}", response_model=JobPublic)
def show(job_id: Annotated[int, Path(ge=0, le=2**53)], state: StateDep, who: Curator) -> dict[str, Any]:
    with state.store.db.session() as session:
        return queue.job_dict(queue.get(session, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobPublic, responses=errors(409, 503))
def cancel(job_id: Annotated[int, Path(ge=0, le=2**53)], state: StateDep, who: Curator) -> dict[str, Any]:
    """Cancel a queued job, or stop a running one at its next item (409 if it already finished)."""
    return queue.job_dict(queue.cancel(state.store.db, job_id))


@router.post("/jobs/{job_id}/retry", response_model=JobPublic, responses=errors(409, 503))
def retry(job_id: Annotated[int, Path(ge=0, le=2**53)], state: StateDep, who: Curator) -> dict[str, Any]:
    """Re-queue a failed or cancelled job."""
    job = queue.job_dict(queue.retry(state.store.db, job_id))
    state.wake_workers()
    return job
