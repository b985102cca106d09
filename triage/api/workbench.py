"""The call-out page's data: one page of results (shortlist, search or "more like this") under the curator's
filters, the chips that narrow it, and the links that page through it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from triage import runtime
from triage.api.deps import PAGE_SIZE, AppState
from triage.errors import TriageError
from triage.service.assignments import assigned
from triage.service.cache import View

NEAREST = 5  # cards shown under "no good match"
SORTS = (("rank", "ranked, with variety"), ("score", "by score alone"), ("rating", "team rating"),
         ("newest", "newest first"))


@dataclass(frozen=True)
class Wanted:
    """What the curator asked the page for."""

    q: str | None = None
    like: str | None = None  # a submission id
    cluster: int | None = None
    media_type: str | None = None
    decision: str | None = None
    sort: str = "rank"
    mine: bool = False
    split: bool = False
    number: int = 1  # page
    everything: bool = False  # a search with no close match: every result, not only the nearest few
    ids: frozenset[str] | None = None  # the pieces picked on the pool map (None: no such filter)


def only(state: AppState, callout_id: str, curator: str, wanted: Wanted,
         view: View | None = None) -> frozenset[str] | None:
    """The submissions the "assigned to me", "team disagrees" and "picked on the map" filters keep (None: no such
    filter)."""
    keep: frozenset[str] | None = wanted.ids
    if wanted.mine:
        with state.store.db.session() as session:
            mine = assigned(session, callout_id, curator)
        keep = mine if keep is None else keep & mine
    if wanted.split:
        view = view or View(state.store, state.models(), callout_id, state.cache)
        disputed = frozenset(i for i, t in view.tallies().items() if t.split)
        keep = disputed if keep is None else keep & disputed
    return keep


def results(state: AppState, view: View, curator: str, wanted: Wanted) -> tuple[dict[str, Any], str | None]:
    """One page of results (items, total, cluster counts; for a search, how many match well), or a problem to
    show instead (a missing model, say)."""
    from triage.service.search import search, similar
    from triage.service.shortlist import shortlist

    offset = (wanted.number - 1) * PAGE_SIZE
    store, models, cache, callout_id = state.store, state.models(), state.cache, str(view.callout_id)
    keep = only(state, callout_id, curator, wanted, view)
    try:
        if wanted.like:
            found = similar(store, models, wanted.like, callout_id=callout_id, limit=PAGE_SIZE, offset=offset,
                            cache=cache, **runtime.index_options(state.settings))
        elif wanted.q:
            found = search(store, models, wanted.q, callout_id=callout_id, limit=PAGE_SIZE, offset=offset,
                           cache=cache, media_type=wanted.media_type, decision=wanted.decision, only=keep,
                           view=view, **runtime.index_options(state.settings))
        else:
            found = shortlist(store, models, callout_id, limit=PAGE_SIZE, offset=offset, cluster=wanted.cluster,
                              media_type=wanted.media_type, decision=wanted.decision, sort=wanted.sort, only=keep,
                              cache=cache, view=view)
    except TriageError as exc:  # e.g. a model is missing: say so on the page rather than fail it
        return {"items": [], "total": 0}, str(exc)
    return found, None


def chips(view: View, counts: dict[str, int]) -> list[dict[str, Any]]:
    """The cluster chips, each with the number of cards it opens under the other filters."""
    _, _, found = view.ranked()  # the clusters the shortlist's items name (the snapshot's, when it holds)
    return [{"id": c.id, "label": c.label, "count": counts.get(str(c.id), 0)} for c in found]


def link(request: Request, **changes: object) -> str:
    """This page's address with some query parameters changed (None drops one): filters and pages keep the rest."""
    params = {k: v for k, v in request.query_params.items() if v != ""}  # an empty filter is "any"
    for name, value in changes.items():
        if value is None or value == "":
            params.pop(name, None)
        else:
            params[name] = str(value)
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def pages(request: Request, number: int, shown: int, total: int) -> dict[str, Any]:
    """The "1-24 of 80" line and the links around it; a page past the end says so and links the last one."""
    first = (number - 1) * PAGE_SIZE
    last_number = max(1, -(-total // PAGE_SIZE))
    return {"number": number, "first": first + 1 if shown else 0, "last": first + shown, "total": total,
            "past_end": shown == 0 and number > last_number,
            "last_page": link(request, page=last_number if last_number > 1 else None),
            "prev": link(request, page=number - 1 if number > 2 else None) if 1 < number <= last_number else None,
            "next": link(request, page=number + 1) if first + shown < total else None}
