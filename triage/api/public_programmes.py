"""Typed requests and answers of the programme routes (issue 20), the shapes `triage programme ... --json` prints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["episode", "book", "album"]


class PlacedPiecePublic(BaseModel):
    position: int = Field(description="1 = first")
    submission_id: str
    callout_id: str | None
    title: str
    contributor: str | None
    media_type: str | None
    start: float = Field(description="in point: seconds, or a word number for a text")
    end: float = Field(description="out point, likewise")
    whole: float = Field(description="the piece's own length: seconds, or words for a text")
    length: float = Field(description="what it adds to the programme, in the programme's unit")
    heading: str | None = Field(description="a section that opens with this piece")
    problems: list[str] = Field(description="what stops it from rendering or should be looked at, in words")


class ProgrammePublic(BaseModel):
    id: str
    name: str
    kind: Kind
    callout_id: str | None
    target: float = Field(description="seconds for an episode or album, words for a book")
    unit: Literal["s", "words"]
    used: float = Field(description="the running total: pieces, plus an episode's section cards and credits, or an "
                        "album's gaps")
    over: float = Field(description="how far past the target; 0 within it")
    pieces: list[PlacedPiecePublic]
    updated_at: datetime


class ProgrammeListPublic(BaseModel):
    items: list[ProgrammePublic]


class SuggestionPublic(BaseModel):
    order: list[str] = Field(description="submission ids in the suggested order; PUT them to .../order to accept")
    clashes_before: int = Field(description="times a contributor follows themself in the order now")
    clashes_after: int = Field(description="... and in the suggested one")


class CreditLinePublic(BaseModel):
    name: str
    share: float = Field(description="of the programme, 0-1; all shares sum to 1")
    pieces: list[str] = Field(description="the titles of their pieces")
    role: Literal["contributor", "builds on"]


class CreditsPublic(BaseModel):
    basis: str = Field(description="what the shares are of: seconds on screen, words or tracks")
    lines: list[CreditLinePublic]


class RenderPublic(BaseModel):
    """The programme's newest render job and its last finished render."""

    job: int | None = Field(description="the newest render job's id (follow it under /api/jobs/{id})")
    status: str | None = Field(description="that job's status: queued, running, done, failed, cancelled")
    progress: float | None
    error: str | None
    files: list[str] = Field(description="the last finished render's files, under .../files/{name}")
    duration_s: float | None
    loudness_lufs: float | None
    true_peak_db: float | None
    warnings: list[str]
    rendered_at: str | None


class ContributorNamePublic(BaseModel):
    name: str
    pieces: int
    person: str = Field(description="the person a curator merged the name into; the name itself when unmerged")


class ContributorListPublic(BaseModel):
    items: list[ContributorNamePublic]


class MergesPublic(BaseModel):
    merged: dict[str, str] = Field(description="{name as submitted: the person it is credited as}")


class ProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    kind: Kind
    callout_id: str | None = None
    target: float | None = Field(default=None, gt=0, description="default: 22:00 episode, 10,000 words, 45:00 album")


class PieceAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submission_id: str = Field(min_length=1, max_length=200, description="an id or external id")
    start: float | None = None
    end: float | None = None
    heading: str | None = Field(default=None, max_length=300)
    at: int | None = Field(default=None, ge=1, description="its position; default: last")
    whole: bool = Field(default=False, description="an episode takes a piece's matched moment with handles unless "
                        "this is true or in/out points are given")


class PieceChange(BaseModel):
    """Any of: new in/out points, a heading ("" removes it), a new position."""

    model_config = ConfigDict(extra="forbid")

    start: float | None = None
    end: float | None = None
    whole: bool = Field(default=False, description="true: the whole piece again")
    heading: str | None = Field(default=None, max_length=300)
    position: int | None = Field(default=None, ge=1)


class OrderChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order: list[str] = Field(description="every placed piece's submission id, once, in the new order")


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    names: list[str] = Field(min_length=1, max_length=100)
    person: str = Field(min_length=1, max_length=200)


class UnmergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    names: list[str] = Field(min_length=1, max_length=100)
