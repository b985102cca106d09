"""Typed answer of the pool map route (`GET /api/callouts/{id}/map`), so the OpenAPI document describes it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MapPointPublic(BaseModel):
    """One ready piece of the call-out, placed on the map."""

    submission_id: str
    external_id: str
    title: str | None = None
    contributor: str | None = None
    media_type: str
    x: float
    y: float
    cluster: int | None = Field(description="the sub-theme's id, as in the shortlist's `cluster`")
    cluster_label: str | None = None
    score: float | None = Field(description="the fused relevance to the call-out, 0-1")
    decision: str | None = Field(description="the current decision; null while undecided")
    group: str | None = Field(description="the duplicate group's representative; null for a piece without copies")


class MapClusterPublic(BaseModel):
    """A sub-theme and where its label goes: the centre of its members' points."""

    id: int
    label: str
    size: int
    x: float
    y: float


class PoolMapPublic(BaseModel):
    """Every ready piece of a call-out as a point in 2-D (t-SNE of its joined vectors, rebuilt when the pool
    changes); copies share a `group`."""

    callout: str
    count: int
    clusters: list[MapClusterPublic]
    points: list[MapPointPublic]
