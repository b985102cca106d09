"""Typed answers of the jobs and tokens routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
RoleName = Literal["admin", "curator", "submitter"]


class JobPublic(BaseModel):
    """A job as the API and `triage jobs list --json` show it."""

    id: int
    kind: str = Field(description="process_upload, rescore, reprocess, ...")
    callout: str | None
    params: dict[str, Any]
    status: JobStatus
    done: int
    total: int
    progress: float | None = Field(description="done/total, 0-1; null while the total is unknown")
    eta_s: float | None = Field(description="seconds left at the pace so far; null unless running with progress")
    error: str | None
    attempts: int
    worker: str | None
    result: Any = Field(description="what a finished job reports (its kind says what); null before")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None


class JobListPublic(BaseModel):
    items: list[JobPublic] = Field(description="newest first")


class QueuedPublic(BaseModel):
    job: int = Field(description="the job's id: follow it under /api/jobs/{id}")


class TokenPublic(BaseModel):
    id: int
    name: str
    role: RoleName
    revoked: bool
    created_at: datetime
    last_used_at: datetime | None


class TokenCreatedPublic(TokenPublic):
    token: str = Field(description="the plain token: shown only in this reply, stored only as its hash")


class TokenListPublic(BaseModel):
    items: list[TokenPublic]
