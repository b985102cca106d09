"""Decisions as curators make them on the page: a piece is decided with its duplicate group, one action at a time,
and the last action can be taken back."""

from __future__ import annotations

from sqlalchemy import select

from triage.encoders.base import Encoders
from triage.errors import BadRequest, NotFound
from triage.service.cache import PoolCache, View
from triage.service.decisions import Decided, record_batch, undo_last
from triage.store.callouts import get_callout
from triage.store.schema import Submission
from triage.store.store import Store

MAX_AT_ONCE = 1_000


def decide(store: Store, models: Encoders, submission_ids: list[str], decision: str, *, by: str,
           note: str | None = None, cache: PoolCache | None = None, view: View | None = None) -> Decided:
    """Record `decision` on each piece and every copy in its duplicate group, as one action (one undo). `view`:
    the request's view of the pieces' call-out, when it has one."""
    ids = list(dict.fromkeys(submission_ids))
    if not ids:
        raise BadRequest("choose at least one piece to decide on")
    if len(ids) > MAX_AT_ONCE:
        raise BadRequest(f"decide on at most {MAX_AT_ONCE} pieces at once")
    with store.db.session() as session:
        callout_of = dict(session.execute(select(Submission.id, Submission.callout_id)
                                          .where(Submission.id.in_(ids))).all())
    missing = [i for i in ids if i not in callout_of]
    if missing:
        raise NotFound(f"no submission {missing[0]!r}")
    members: dict[str, tuple[str, ...]] = {}
    for callout_id in sorted(set(callout_of.values())):
        pool = view if view is not None and view.callout_id == callout_id else View(store, models, callout_id, cache)
        for g in pool.groups():
            members.update(dict.fromkeys(g.members, g.members))
    picks = {sid: tuple(m for m in members.get(sid, ()) if m != sid) for sid in ids}
    with store.db.session() as session:
        return record_batch(session, picks, decision, by=by, note=note)


def undo(store: Store, callout_id: str, *, by: str) -> Decided | None:
    """Take back `by`'s last decision in the call-out (with its copies); None when there is nothing to undo."""
    with store.db.session() as session:
        get_callout(session, callout_id)
        return undo_last(session, callout_id, by)
