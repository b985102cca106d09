"""Typed answer of the pool map route (`GET /api/callouts/{id}/map`), so the OpenAPI document describes it."""

from __future__ import annotations

from typing import Literal

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
    placed: bool = Field(True, description="false: the piece arrived after the kept layout was computed, and is "
                         "shown near its sub-theme until the layout job places it (status `updating`)")
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
    changes); copies share a `group`. Always 200: a large pool's layout is computed by a background job, and
    until it is done the answer is the last layout (`updating`) or no points yet (`computing`), with a
    Retry-After header saying when to ask again."""

    callout: str
    status: Literal["ready", "updating", "computing"] = Field(
        description="ready: the layout is the pool's own. updating: the pool changed, a job is laying it out again, "
        "and these are the last layout's places (pieces it lacks have `placed` false). computing: the pool's first "
        "layout is being computed; `points` is empty until it is done")
    count: int = Field(description="the ready pieces of the call-out (also while `computing`)")
    pending: int = Field(0, description="pieces not yet placed by the layout (`placed` false, or all while computing)")
    clusters: list[MapClusterPublic]
    points: list[MapPointPublic]
