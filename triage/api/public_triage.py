"""Typed answers of search, similar pieces, duplicate groups and clusters (the shortlist's: triage/api/public.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from triage.api.public import MomentPublic
from triage.api.public_submissions import MediaTypeName


class HitPublic(BaseModel):
    """One piece found; a duplicate group appears once, its other members attached."""

    rank: int
    submission_id: str
    external_id: str
    media_type: MediaTypeName
    score: float
    moment: MomentPublic | None = Field(description="the matching moment (seconds); null for text and images")
    snippet: str | None = Field(description="the sentence or words that matched")
    duplicates: list[str] = Field(description="external ids of the other members of its duplicate group")
    match: Literal["good", "weak"] | None = Field(
        description="whether its words come close to the prompt; null where the text model has no calibrated floor")


class SearchPublic(BaseModel):
    query: str
    callout: str | None = Field(description="null: the whole archive")
    total: int
    good: int | None = Field(description="hits of the whole ranking that are a good match; null without a floor")
    floor: float | None = Field(description="the similarity a good match reaches, for this text model")
    items: list[HitPublic]


class LikePublic(BaseModel):
    submission_id: str
    external_id: str


class SimilarPublic(BaseModel):
    like: LikePublic = Field(description="the piece whose words and frames are the query")
    callout: str | None = Field(description="null: the whole archive")
    total: int
    good: None = Field(description="always null: the floor is calibrated for prompts, not pieces")
    floor: None
    items: list[HitPublic]


class EvidencePublic(BaseModel):
    a: str = Field(description="external id")
    b: str = Field(description="external id")
    kind: str = Field(description='"exact", "text", "audio", "frames" or "audio+frames"')
    score: float
    words: str = Field(description="what makes the two copies, in a sentence")


class DuplicateGroupPublic(BaseModel):
    representative: str = Field(description="external id of the member shown for the group")
    members: list[str] = Field(description="external ids, the representative included")
    submission_ids: list[str]
    evidence: list[EvidencePublic]


class DuplicateListPublic(BaseModel):
    groups: list[DuplicateGroupPublic] = Field(description="groups of two or more")


class ClusterPublic(BaseModel):
    id: int
    label: str
    size: int
    members: list[str] = Field(description="external ids")


class ClusterListPublic(BaseModel):
    callout: str
    clusters: list[ClusterPublic] = Field(description="largest first")
