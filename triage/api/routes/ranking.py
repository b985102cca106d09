"""Shortlist, search, duplicates and clusters: thin wrappers over triage.service (same JSON as the CLI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from triage import runtime
from triage.api.deps import Curator, StateDep
from triage.api.public import OverridePublic, ShortlistPublic
from triage.api.public_jobs import QueuedPublic
from triage.api.public_triage import ClusterListPublic, DuplicateListPublic, SearchPublic, SimilarPublic
from triage.api.schemas import OverrideCreate, errors
from triage.api.workbench import Wanted, only
from triage.jobs import queue
from triage.store.callouts import get_callout

router = APIRouter(tags=["triage"], responses=errors(422))
MODELS = errors(503, s503="the models cannot be loaded now")
MediaTypeName = Literal["video", "audio", "image", "text"]
# unrated includes undecided; chosen is shortlisted or starred
DecisionFilter = Literal["shortlisted", "rejected", "starred", "unrated", "undecided", "chosen"]
SortName = Literal["rank", "score", "newest", "rating"]


def _callout(state: Any, callout_id: str) -> None:
    with state.store.db.session() as session:
        get_callout(session, callout_id)


@router.get("/callouts/{callout_id}/shortlist", response_model=ShortlistPublic, responses=MODELS)
def shortlist(callout_id: str, state: StateDep, who: Curator,
              limit: Annotated[int, Query(ge=1, le=500)] = 20,
              offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
              diversity: Annotated[float, Query(ge=0, le=1)] = 0.3, media_type: MediaTypeName | None = None,
              cluster: Annotated[int | None, Query(ge=0)] = None, decision: DecisionFilter | None = None,
              min_duration: Annotated[float | None, Query(ge=0)] = None,
              max_duration: Annotated[float | None, Query(ge=0)] = None, sort: SortName = "rank",
              mine: Annotated[bool, Query(description="only the cards assigned to the caller")] = False,
              split: Annotated[bool, Query(description="only the cards the team disagrees on")] = False,
              ) -> dict[str, Any]:
    """The ranked, de-duplicated, diverse shortlist, each item explaining the moment that matched. A duplicate
    group is one entry under every filter and sort, its decision the group's."""
    from triage.service.shortlist import shortlist as run

    _callout(state, callout_id)
    keep = only(state, callout_id, who.name, Wanted(mine=mine, split=split))
    return run(state.store, state.models(), callout_id, limit=limit, offset=offset, diversity=diversity,
               media_type=media_type, cluster=cluster, decision=decision, min_duration=min_duration,
               max_duration=max_duration, sort=sort, only=keep, cache=state.cache)


@router.get("/callouts/{callout_id}/sheet.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "the sheet, one row per piece"}, **MODELS})
def sheet(callout_id: str, state: StateDep, who: Curator,
          decision: DecisionFilter | Literal["any"] = "chosen",
          diversity: Annotated[float, Query(ge=0, le=1)] = 0.3) -> Response:
    """The shortlist as a spreadsheet (what `triage export` writes beside the files): rank, who, why, the
    curators' notes (with their moments) and votes. By default the chosen pieces: shortlisted and starred."""
    from triage.service.export import sheet as run

    text = run(state.store, state.models(), callout_id, decision=None if decision == "any" else decision,
               diversity=diversity)
    name = f"{callout_id}-{decision}.csv"  # the id is letters, digits, '.', '_' and '-' only
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",  # a BOM: spreadsheets then read UTF-8
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/search", response_model=SearchPublic, responses=MODELS)
def search(state: StateDep, who: Curator, q: Annotated[str, Query(min_length=1, max_length=500)],
           callout: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 20,
           offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0, media_type: MediaTypeName | None = None,
           decision: DecisionFilter | None = None) -> dict[str, Any]:
    """Search submissions by a text prompt; each hit names its matching moment or sentence, and says whether its
    words come close to the prompt (`match`; `good` counts those of the whole ranking)."""
    from triage.service.search import search as run

    if callout:
        _callout(state, callout)
    return run(state.store, state.models(), q, callout_id=callout, limit=limit, offset=offset, cache=state.cache,
               media_type=media_type, decision=decision, **runtime.index_options(state.settings))


@router.get("/submissions/{submission_id}/similar", response_model=SimilarPublic, responses=MODELS)
def similar(submission_id: str, state: StateDep, who: Curator, callout: str | None = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 20,
            offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Submissions like this one (its words and frames are the query), over one call-out or the archive."""
    from triage.service.search import similar as run

    if callout:
        _callout(state, callout)
    return run(state.store, state.models(), submission_id, callout_id=callout, limit=limit, offset=offset,
               cache=state.cache, **runtime.index_options(state.settings))


@router.get("/callouts/{callout_id}/duplicates", response_model=DuplicateListPublic)
def duplicates(callout_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Duplicate groups (re-uploads, re-encodes, trims, copies) with their representative."""
    from triage.service.duplicates import groups

    _callout(state, callout_id)
    return groups(state.store, callout_id)


@router.post("/duplicates/overrides", status_code=201, response_model=OverridePublic, responses=errors(400, 413, 503))
def override(body: OverrideCreate, state: StateDep, who: Curator) -> dict[str, Any]:
    """A curator's word on a pair: "not_duplicate" splits them, "merge" joins them.

    The call-outs holding either submission are queued for re-scoring, so their next shortlist opens warm.
    """
    from triage.service.duplicates import set_override

    state.rescore(set_override(state.store, body.a, body.b, body.verdict, who.name))
    return {"a": body.a, "b": body.b, "verdict": body.verdict, "decided_by": who.name}


@router.get("/callouts/{callout_id}/clusters", response_model=ClusterListPublic, responses=MODELS)
def clusters(callout_id: str, state: StateDep, who: Curator,
             k: Annotated[int | None, Query(ge=1, le=200)] = None) -> dict[str, Any]:
    """Sub-theme clusters of the call-out's pool, with labels."""
    from triage.service.clusters import clusters as run

    _callout(state, callout_id)
    return run(state.store, state.models(), callout_id, k=k, cache=state.cache)


@router.post("/callouts/{callout_id}/rescore", status_code=202, response_model=QueuedPublic, responses=errors(503))
def rescore(callout_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Queue a job that re-scores the call-out's whole pool; follow it under /api/jobs/{id}."""
    _callout(state, callout_id)
    job_id = queue.enqueue(state.store.db, "rescore", callout_id=callout_id)
    state.wake_workers()
    return {"job": job_id}
