"""Call-outs as the API reads and changes them: who may see what, counts per status, and which other call-outs'
saved scores a change makes stale (the caller queues their re-scoring)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy.orm import Session

from triage.errors import Conflict, NotFound
from triage.service.rescore import snapshot_path
from triage.service.views import callout_dict
from triage.store.callouts import get_callout, list_callouts, status_counts, upsert_callout
from triage.store.schema import Callout
from triage.store.store import Store


def public_callout(c: Callout) -> dict[str, Any]:
    # What a submitter may know about a call-out: nothing about other people's submissions.
    return {k: v for k, v in callout_dict(c).items() if k in ("id", "title", "brief", "open")}


def open_callouts(store: Store) -> list[dict[str, Any]]:
    """The open call-outs as a submitter sees them."""
    with store.db.session() as session:
        return [public_callout(c) for c in list_callouts(session) if c.is_open]


def callouts_with_counts(store: Store) -> list[dict[str, Any]]:
    """Every call-out with its submissions counted in all and per status."""
    with store.db.session() as session:
        counts = status_counts(session)
        return [{**callout_dict(c), "submissions": sum(counts.get(c.id, {}).values()), "counts": counts.get(c.id, {})}
                for c in list_callouts(session)]


def require_callout(store: Store, callout_id: str) -> None:
    """NotFound, with the command that makes one, unless the call-out exists."""
    with store.db.session() as session:
        get_callout(session, callout_id)


def callout_detail(store: Store, callout_id: str, *, submitter: bool) -> dict[str, Any]:
    """One call-out: a submitter sees an open one only, without counts; anyone else sees it with them."""
    with store.db.session() as session:
        callout = get_callout(session, callout_id)
        if submitter:
            if not callout.is_open:
                raise NotFound(f"no open call-out {callout_id!r}")
            return public_callout(callout)
        counts = status_counts(session).get(callout_id, {})
        return {**callout_dict(callout), "submissions": sum(counts.values()), "counts": counts}


def create_callout(store: Store, callout_id: str, *, title: str | None, brief: str | None,
                   prompts: list[str] | None, negative_prompts: list[str] | None) -> tuple[dict[str, Any], list[str]]:
    """A new call-out, and the other call-outs to re-score (each is ranked against the rest). Conflict when the id
    is taken."""
    with store.db.session() as session:
        if session.get(Callout, callout_id) is not None:
            raise Conflict(f"call-out {callout_id!r} already exists; update it with PATCH /api/callouts/{callout_id}")
        callout, _ = upsert_callout(session, callout_id, title=title, brief=brief, prompts=prompts,
                                    negative_prompts=negative_prompts)
        return callout_dict(callout), _scored_others(store, session, callout_id)


def update_callout(store: Store, callout_id: str, *, title: str | None, brief: str | None,
                   prompts: list[str] | None, negative_prompts: list[str] | None,
                   is_open: bool | None) -> tuple[dict[str, Any], bool, list[str]]:
    """Change the fields given. Returns the call-out, whether its words changed (its scores are then stale) and
    the other call-outs whose saved scores go stale with them."""
    with store.db.session() as session:
        before = _words(get_callout(session, callout_id))
        callout, _ = upsert_callout(session, callout_id, title=title, brief=brief, prompts=prompts,
                                    negative_prompts=negative_prompts, is_open=is_open)
        return callout_dict(callout), _words(callout) != before, _scored_others(store, session, callout_id)


class CalloutFields(Protocol):
    """A call-out's fields as a file of them gives them (the API's CalloutCreate, checked)."""

    id: str
    title: str | None
    brief: str | None
    prompts: list[str] | None
    negative_prompts: list[str] | None


def put_callout(store: Store, callout_id: str, *, title: str | None = None, brief: str | None = None,
                prompts: list[str] | None = None,
                negative_prompts: list[str] | None = None) -> tuple[dict[str, Any], bool]:
    """Create a call-out, or update the fields given (`triage callouts create`, `Archive.create_callout`). Returns
    it with whether it was created."""
    with store.db.session() as session:
        callout, created = upsert_callout(session, callout_id, title=title, brief=brief, prompts=prompts,
                                          negative_prompts=negative_prompts)
        return callout_dict(callout), created


def import_callouts(store: Store, callouts: Iterable[CalloutFields]) -> list[tuple[dict[str, Any], bool]]:
    """`put_callout` for each call-out of a file (`triage callouts import`, `Archive.import_callouts`), in one
    transaction, so a failure writes none of them. Returns each call-out with whether it was created."""
    done = []
    with store.db.session() as session:
        for c in callouts:
            callout, created = upsert_callout(session, c.id, title=c.title, brief=c.brief, prompts=c.prompts,
                                              negative_prompts=c.negative_prompts)
            done.append((callout_dict(callout), created))
    return done


def close_callout(store: Store, callout_id: str) -> dict[str, Any]:
    """Stop accepting uploads to the call-out."""
    with store.db.session() as session:
        get_callout(session, callout_id)
        callout, _ = upsert_callout(session, callout_id, is_open=False)
        return callout_dict(callout)


def _scored_others(store: Store, session: Session, callout_id: str) -> list[str]:
    """The other call-outs whose saved scores a change to this one makes stale: the open ones, then the closed
    ones that were scored before (producers open those to cut the show). A closed one never scored stays lazy."""
    others = [c for c in list_callouts(session) if c.id != callout_id]
    return [c.id for c in others if c.is_open] + \
        [c.id for c in others if not c.is_open and snapshot_path(store, c.id).exists()]


def _words(c: Callout) -> tuple[Any, ...]:
    """What the call-out's scores depend on."""
    return c.title, c.brief, tuple(c.prompts or ()), tuple(c.negative_prompts or ())
