"""Shortlist, search, duplicates and clusters: thin wrappers over triage.service (same JSON as the CLI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

import triage.service.clusters
import triage.service.export
import triage.service.search
import triage.service.shortlist
from triage import runtime
from triage.api.deps import Curator, StateDep
from triage.api.etag import conditional, etag
from triage.api.public import OverridePublic, ShortlistPublic
from triage.api.public_jobs import QueuedPublic
from triage.api.public_triage import ClusterListPublic, DuplicateListPublic, SearchPublic, SimilarPublic
from triage.api.schemas import OverrideCreate, errors
from triage.api.workbench import Wanted, only
from triage.jobs import queue
from triage.service.cache import View
from triage.service.callouts import require_callout

router = APIRouter(tags=["triage"], responses=errors(422))
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "the answer the client holds (If-None-Match: its ETag) is still current"}}
MODELS = errors(503, s503="the models cannot be loaded now")
MediaTypeName = Literal["video", "audio", "image", "text"]
# unrated includes undecided; chosen is shortlisted or starred
DecisionFilter = Literal["shortlisted", "rejected", "starred", "unrated", "undecided", "chosen"]
SortName = Literal["rank", "score", "newest", "rating"]


def _callout(state: Any, callout_id: str) -> None:
    require_callout(state.store, callout_id)


@router.get("/callouts/{callout_id}/shortlist", response_model=ShortlistPublic, responses={**MODELS, **NOT_MODIFIED})
def shortlist(callout_id: str, state: StateDep, who: Curator, request: Request, response: Response,
              limit: Annotated[int, Query(ge=1, le=500)] = 20,
              offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
              diversity: Annotated[float, Query(ge=0, le=1)] = 0.3, media_type: MediaTypeName | None = None,
              cluster: Annotated[int | None, Query(ge=0)] = None, decision: DecisionFilter | None = None,
              min_duration: Annotated[float | None, Query(ge=0)] = None,
              max_duration: Annotated[float | None, Query(ge=0)] = None, sort: SortName = "rank",
              mine: Annotated[bool, Query(description="only the cards assigned to the caller")] = False,
              split: Annotated[bool, Query(description="only the cards the team disagrees on")] = False,
              ) -> Any:
    """The ranked, de-duplicated, diverse shortlist, each item explaining the moment that matched. A duplicate
    group is one entry under every filter and sort, its decision the group's. With If-None-Match naming the ETag
    of an answer that is still current: 304, nothing ranked."""
    _callout(state, callout_id)  # an unknown call-out is a 404, before the models are asked for
    view = View(state.store, state.models(), callout_id, state.cache)
    keep = only(state, callout_id, who.name, Wanted(mine=mine, split=split), view=view)
    params = (limit, offset, diversity, media_type, cluster, decision, min_duration, max_duration, sort)
    tag = etag("shortlist", callout_id, view.sig, view.decisions_mark, view.votes_mark, params,
               None if keep is None else sorted(keep))
    if (unchanged := conditional(request, response, tag)) is not None:
        return unchanged
    return triage.service.shortlist.shortlist(
        state.store, state.models(), callout_id, limit=limit, offset=offset, diversity=diversity,
        media_type=media_type, cluster=cluster, decision=decision, min_duration=min_duration,
        max_duration=max_duration, sort=sort, only=keep, cache=state.cache, view=view)


@router.get("/callouts/{callout_id}/sheet.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "the sheet, one row per piece"}, **MODELS})
def sheet(callout_id: str, state: StateDep, who: Curator,
          decision: DecisionFilter | Literal["any"] = "chosen",
          diversity: Annotated[float, Query(ge=0, le=1)] = 0.3) -> Response:
    """The shortlist as a spreadsheet (what `triage export` writes beside the files): rank, who, why, the
    curators' notes (with their moments) and votes. By default the chosen pieces: shortlisted and starred."""
    text = triage.service.export.sheet(state.store, state.models(), callout_id,
                                       decision=None if decision == "any" else decision, diversity=diversity)
    name = f"{callout_id}-{decision}.csv"  # the id is letters, digits, '.', '_' and '-' only
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",  # a BOM: spreadsheets then read UTF-8
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/search", response_model=SearchPublic, responses={**MODELS, **NOT_MODIFIED})
def search(state: StateDep, who: Curator, request: Request, response: Response,
           q: Annotated[str, Query(min_length=1, max_length=500)],
           callout: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 20,
           offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0, media_type: MediaTypeName | None = None,
           decision: DecisionFilter | None = None) -> Any:
    """Search submissions by a text prompt; each hit names its matching moment or sentence, and says whether its
    words come close to the prompt (`match`; `good` counts those of the whole ranking). With If-None-Match naming
    the ETag of an answer that is still current: 304, nothing searched."""
    if callout:
        _callout(state, callout)
    options = runtime.index_options(state.settings)
    view = View(state.store, state.models(), callout, state.cache)
    # decisions change the answer only through the decision filter (as the search cache keys it)
    tag = etag("search", callout, view.sig, view.decisions_mark if decision else None, q, limit, offset, media_type,
               decision, sorted(options.items(), key=str))
    if (unchanged := conditional(request, response, tag)) is not None:
        return unchanged
    return triage.service.search.search(state.store, state.models(), q, callout_id=callout, limit=limit,
                                        offset=offset, cache=state.cache, media_type=media_type, decision=decision,
                                        view=view, **options)


@router.get("/submissions/{submission_id}/similar", response_model=SimilarPublic, responses=MODELS)
def similar(submission_id: str, state: StateDep, who: Curator, callout: str | None = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 20,
            offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Submissions like this one (its words and frames are the query), over one call-out or the archive."""
    if callout:
        _callout(state, callout)
    return triage.service.search.similar(state.store, state.models(), submission_id, callout_id=callout, limit=limit,
                                         offset=offset, cache=state.cache, **runtime.index_options(state.settings))


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
    _callout(state, callout_id)
    return triage.service.clusters.clusters(state.store, state.models(), callout_id, k=k, cache=state.cache)


@router.post("/callouts/{callout_id}/rescore", status_code=202, response_model=QueuedPublic, responses=errors(503))
def rescore(callout_id: str, state: StateDep, who: Curator) -> dict[str, Any]:
    """Queue a job that re-scores the call-out's whole pool; follow it under /api/jobs/{id}."""
    _callout(state, callout_id)
    job_id = queue.enqueue(state.store.db, "rescore", callout_id=callout_id)
    state.wake_workers()
    return {"job": job_id}
