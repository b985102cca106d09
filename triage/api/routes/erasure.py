"""Erasure on request (admins only): `POST /api/erasures`, what `triage erase` does, with its report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints, model_validator

from triage.api.deps import Admin, StateDep
from triage.api.schemas import errors
from triage.service.erase import erase

router = APIRouter(tags=["erasure"])
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ErasureCreate(BaseModel):
    submission_ids: list[Name] = Field(default_factory=list, max_length=1000,
                                       description="submission ids (or external ids naming one piece each)")
    contributors: list[Name] = Field(default_factory=list, max_length=100,
                                     description="contributor names, matched exactly: all their submissions")

    @model_validator(mode="after")
    def _something(self) -> ErasureCreate:
        if not self.submission_ids and not self.contributors:
            raise ValueError("name at least one submission or contributor")
        return self


class ErasurePublic(BaseModel):
    """What an erasure removed. The erased submissions stay as tombstones (status "erased": their id, call-out
    and times only), named by the decisions made on them."""

    erased: list[str] = Field(description="submission ids that became tombstones now")
    already_erased: list[str] = Field(description="named submissions that were tombstones already")
    removed: dict[str, int] = Field(description="per kind of data (originals, derived_files, transcripts, "
                                                "vectors, index_entries, notes, votes, ...), how much went")
    kept_shared: int = Field(description="contents kept because another live submission sent the same bytes")
    decisions_kept: int = Field(description="decision rows kept, now naming a tombstone")
    callouts: list[str]
    database_compacted: bool = Field(description="false when a reader kept SQLite's log from being emptied")
    seconds: float


@router.post("/erasures", response_model=ErasurePublic, responses=errors(400, 404, 409, 413, 422, 503))
def create(body: ErasureCreate, state: StateDep, who: Admin) -> ErasurePublic:
    """Erase submissions and every trace of them: files, derived data, index entries, kept scores, notes,
    votes, assignments, duplicate rulings. Idempotent: erasing a tombstone again removes nothing."""
    settings = state.settings
    report = erase(state.store, submissions=body.submission_ids, contributors=body.contributors,
                   index_dir=settings.resolved_index_dir, exact_max=settings.exact_search_max,
                   threads=settings.threads)
    state.cache.memo.clear()  # pools and pages in memory may hold the pieces' words
    if report.erased:
        state.rescore(report.callouts)  # kept scores naming them were deleted; recompute for large pools
    return ErasurePublic(**report.to_dict())
