"""Typed answers of the submission and upload routes: a submission in a list, in full, its decision history, and
what an upload answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from triage.api.public import DecisionName

SubmissionStatus = Literal["received", "processing", "ready", "rejected", "failed", "erased"]
MediaTypeName = Literal["video", "audio", "image", "text"]


class DecisionStatePublic(BaseModel):
    """A submission's decision as recorded ("unrated" with nulls: nobody decided yet)."""

    decision: DecisionName
    note: str | None
    decided_by: str | None
    decided_at: datetime | None


class SubmissionSummaryPublic(BaseModel):
    """A submission in a list. An erased one is a tombstone: its id, call-out and times, status "erased"."""

    submission_id: str
    external_id: str = Field(description="the id the contributor or the source gave; the submission id if none")
    callout: str
    title: str | None
    contributor: str | None
    status: SubmissionStatus
    error: str | None = Field(description="why it was rejected or failed (a submitter: only whose failure it was)")
    media_type: MediaTypeName | None
    duration: float | None = Field(description="seconds; null for images and text")
    original_filename: str | None
    created_at: datetime
    decision: DecisionStatePublic | None = Field(default=None, description="absent for submitters")


class SubmissionListPublic(BaseModel):
    items: list[SubmissionSummaryPublic]
    total: int = Field(description="how many match the filters in all")
    limit: int
    offset: int


class VisualPublic(BaseModel):
    state: str | None
    model: str | None


class OcrPublic(BaseModel):
    model: str | None
    lines: list[dict[str, Any]] = Field(description="each line read: its text, confidence, box and times")


class SubmissionPublic(SubmissionSummaryPublic):
    """Everything about one submission, as `triage show --json` prints it."""

    sha256: str | None
    size: int | None = Field(description="bytes")
    probe: dict[str, Any] | None = Field(description="what the probe found: format, codecs, size, duration, ...")
    updated_at: datetime
    transcript: dict[str, Any] | None = Field(description="language, text and timed segments (with words)")
    transcript_model: str | None
    text: str | None = Field(description="the words of a text submission")
    ocr: OcrPublic | None = Field(default=None, description="the lines read in its pictures, where any were read")
    visual: VisualPublic | None
    files: dict[str, str] = Field(description="derived files by kind (poster, audio16k), paths in the data dir")
    fingerprints: list[str] = Field(description="the kinds of fingerprint taken")


class DecisionHistoryPublic(BaseModel):
    submission_id: str
    history: list[DecisionStatePublic] = Field(description="newest (current) first")


class UploadPublic(BaseModel):
    submission: SubmissionSummaryPublic
    job: int | None = Field(description="the job analysing it; null when nothing needed doing")
    media_type: MediaTypeName
