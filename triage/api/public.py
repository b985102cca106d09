"""Typed answers of the workbench's routes (`*Public`), so the OpenAPI document describes what comes back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DecisionName = Literal["shortlisted", "rejected", "starred", "unrated"]


class DecisionPublic(BaseModel):
    """A decision as recorded; `copies` took it too, as members of the piece's duplicate group."""

    submission_id: str
    decision: DecisionName
    note: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    batch: str | None = Field(default=None, description="the action it belongs to; POST .../undo takes it back")
    copies: list[str] = Field(default_factory=list, description="submission ids decided with it")


class BatchPublic(BaseModel):
    """One curator action: the pieces decided on and the copies that took the same decision."""

    model_config = ConfigDict(from_attributes=True)

    batch: str
    decision: DecisionName
    decided_by: str
    submission_ids: list[str]
    copies: list[str]


class UndoPublic(BaseModel):
    undone: BatchPublic | None = Field(description="the action taken back; null when there was none to undo")


class NotePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    submission_id: str
    author: str
    text: str
    at: float | None = Field(description="seconds into the piece the note is about; null: the whole piece")
    created_at: datetime


class NoteListPublic(BaseModel):
    items: list[NotePublic]


class VotePublic(BaseModel):
    submission_id: str
    voter: str
    rating: int | None = Field(description="1-5; null once withdrawn")


class TeamPublic(BaseModel):
    """The team's votes on one card: a duplicate group counts as one piece, each curator once."""

    votes: dict[str, int]
    mean: float | None
    split: bool = Field(description="someone rated it 4-5 and someone 1-2")


class TallyItemPublic(TeamPublic):
    submission_id: str
    external_id: str


class TallyPublic(BaseModel):
    callout: str
    voted: int
    split: int
    items: list[TallyItemPublic] = Field(description="cards with votes: disagreements first, then by mean rating")


class ProgressPublic(BaseModel):
    """Cards (a duplicate group is one) decided and left, for the team and for the calling curator."""

    model_config = ConfigDict(from_attributes=True)

    callout_id: str
    curator: str
    entries: int
    decided: int
    left: int
    assigned: int
    assigned_decided: int
    assigned_left: int
    voted: int
    split: int


class AssignmentsPublic(BaseModel):
    callout: str
    curators: dict[str, int] = Field(description="cards dealt to each curator")


class ClearedPublic(BaseModel):
    callout: str
    cleared: int


class KeepPublic(BaseModel):
    submission_id: str
    kept: bool
    decided_by: str


class OverridePublic(BaseModel):
    a: str
    b: str
    verdict: Literal["not_duplicate", "merge"] | None = Field(description="null once the verdict was taken back")
    decided_by: str


class WhyPublic(BaseModel):
    modality: str
    score: float
    snippet: str | None = None
    start: float | None = None
    end: float | None = None
    frame_time: float | None = None


class MomentPublic(BaseModel):
    start: float
    end: float


class ShortlistItemPublic(BaseModel):
    rank: int
    by_score: int = Field(description="its place by score alone; differs from rank where variety moved it")
    submission_id: str
    external_id: str
    media_type: str
    score: float
    duplicates: list[str] = Field(description="external ids of the other members of its duplicate group")
    duplicate_ids: list[str] = Field(description="their submission ids")
    cluster: int | None
    cluster_label: str | None
    moment: MomentPublic | None
    decision: str | None
    why: WhyPublic
    team: TeamPublic


class ShortlistPublic(BaseModel):
    callout: str
    total: int
    offset: int
    limit: int
    sort: str
    cluster_counts: dict[str, int] = Field(description="cards per cluster under the other filters")
    items: list[ShortlistItemPublic]
