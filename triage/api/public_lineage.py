"""Typed answers of the lineage routes: issue 19's contract, as `triage lineage REF --json` prints it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LineagePiecePublic(BaseModel):
    submission_id: str | None
    external_id: str


class ReusePublic(BaseModel):
    """One "builds on" edge seen from one side: the piece on the far side, and where its material sits."""

    external_id: str = Field(description="the piece on the far side (the source in builds_on, the user in used_by)")
    submission_id: str = Field(description="the far side's submission: the first ready one of its bytes")
    contributor: str
    kind: str = Field(description="audio | video | text")
    source_range: list[float] = Field(description="[start, end] on the source: seconds, or character offsets for "
                                      "a written text")
    range: list[float] = Field(description="[start, end] on the piece that uses it: seconds, or characters")
    source_ranges: list[list[float]] = Field(default_factory=list, description="every matched range on the source")
    ranges: list[list[float]] = Field(default_factory=list, description="every matched range on the user")
    share: float = Field(description="how much of the user is the source's material, 0-1")
    evidence: str = Field(description="the match in words, for a curator")


class CreditPublic(BaseModel):
    contributor: str
    share: float = Field(description="of the piece, 0-1; a piece's credits add up to 1")


class LineagePublic(BaseModel):
    """What a piece builds on, what builds on it, and who is owed credit for it (transitively)."""

    submission: LineagePiecePublic
    builds_on: list[ReusePublic]
    used_by: list[ReusePublic]
    credits: list[CreditPublic]
    platform_asset: bool = Field(description="true: a curator marked these bytes as the platform's own; they make "
                                 "no edges")


class AssetMarkPublic(BaseModel):
    submission_id: str
    external_id: str | None
    platform_asset: bool
    changed: bool = Field(description="false: it was marked (or unmarked) already")
