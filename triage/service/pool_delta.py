"""A pool brought up to date from the one loaded before it: only the pieces that changed are read again.

At 100,000 pieces a full load takes seconds, and a busy call-out changes with every upload. The marks a pool's
signature reads (`PoolMarks`, read before the pool was loaded) say what can have changed since: submissions
stamped at or after the newest stamp then, contents stamped since, vector and artifact rows above the newest ids
then. Those pieces are read again, the ones that left the pool are dropped, and the rest are kept as they were.
When the marks cannot tell what changed (vector rows deleted, other models), or much did, the answer is None and
the caller loads the whole pool. Either way the pool is the one a full load gives now (the tests compare
them after every kind of write).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, bindparam, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from triage.domain import Status
from triage.service.pool import Pool, count_ready, load_pool
from triage.store.schema import POOL_ARTIFACTS, Artifact, Content, Submission, UtcDateTime, Vector

# Past this share of the pool changed, reading it whole is as quick and simpler.
MOST = 0.25


@dataclass(frozen=True)
class PoolMarks:
    """What a pool was loaded as of: the pool's size and newest stamp, the vector table's size and newest id, the
    newest pool artifact's id, the newest content stamp, and the models."""

    count: int
    newest: datetime | None
    vectors: tuple[int, int | None]
    artifacts_newest: int | None
    contents_newest: datetime | None
    models: tuple[str | None, ...] | None


_READY = Submission.status == Status.READY.value
_AFTER: BindParameter[datetime] = bindparam("since", type_=UtcDateTime())
_ABOVE: BindParameter[int] = bindparam("since", type_=Integer())
_CHANGED_PIECES = select(Submission.id, Submission.sha256).where(_READY, Submission.updated_at >= _AFTER)
_CHANGED_CONTENTS = select(Content.sha256).where(Content.updated_at > _AFTER)
_NEW_VECTORS = select(Vector.sha256).where(Vector.id > _ABOVE).distinct()
_NEW_VECTORS_COUNT = select(func.count()).select_from(Vector).where(Vector.id > _ABOVE)
_NEW_ARTIFACTS = select(Artifact.sha256).where(Artifact.id > _ABOVE, text(POOL_ARTIFACTS)).distinct()
_READY_IDS = select(Submission.id).where(_READY)
_VECTORS_COUNT = select(func.count()).select_from(Vector)


def refreshed(session: Session, callout_id: str | None, old: Pool, was: PoolMarks,
              models: tuple[str | None, ...] | None, model_filter: dict[str, str]) -> Pool | None:
    """The pool as a full load would give it now, from `old` (up to date with `was`) and what changed since; None
    when a full load is due. The counts are read here beside the rows, not taken from a signature read earlier, and
    a pool whose size is not the count just read is refused: a write landing between two reads costs a full load."""
    if models != was.models or was.newest is None:
        return None
    old_vectors, old_newest_vector = was.vectors
    added = session.scalar(_NEW_VECTORS_COUNT, {"since": old_newest_vector or 0}) or 0
    if (session.scalar(_VECTORS_COUNT) or 0) - old_vectors != added:  # rows deleted: of which contents is not known
        return None
    in_callout = (lambda q: q.where(Submission.callout_id == callout_id)) if callout_id else (lambda q: q)
    changed: dict[str, str | None] = {sid: sha for sid, sha in session.execute(in_callout(_CHANGED_PIECES),
                                                                              {"since": was.newest})}
    touched: set[str | None] = set()  # contents whose rows changed: the pieces holding them are read again
    if was.contents_newest is not None:
        touched.update(session.scalars(_CHANGED_CONTENTS, {"since": was.contents_newest}))
    touched.update(session.scalars(_NEW_VECTORS, {"since": old_newest_vector or 0}))
    touched.update(session.scalars(_NEW_ARTIFACTS, {"since": was.artifacts_newest or 0}))
    held = {row.sha256 for row in old.submissions.values()}
    shas = {sha for sha in touched if sha and sha in held} | {sha for sha in changed.values() if sha}
    if len(shas) + len(changed) > MOST * max(len(old.items), 1):
        return None
    count = count_ready(session, callout_id)
    unchanged = set(old.items) - set(changed)
    if count < len(unchanged) + len(changed):  # some pieces left the pool: find which
        unchanged &= set(session.scalars(in_callout(_READY_IDS)))
    staying = {sid for sid in unchanged if old.submissions[sid].sha256 not in shas}
    fresh = load_pool(session, callout_id, shas=shas, models=model_filter) if shas else Pool({}, {}, {})
    order = sorted([*staying, *fresh.items], key=lambda sid: _when(sid, old, fresh))
    pick = [(sid, fresh if sid in fresh.items else old) for sid in order]
    pool = Pool({sid: p.submissions[sid] for sid, p in pick}, {sid: p.items[sid] for sid, p in pick},
                {sid: p.fingerprints[sid] for sid, p in pick if sid in p.fingerprints})
    return pool if len(pool.items) == count else None


def _when(sid: str, old: Pool, fresh: Pool) -> tuple[datetime, str]:
    """A piece's place in a pool: the order `load_pool` reads them in (created_at, then id)."""
    row = fresh.submissions.get(sid) or old.submissions[sid]
    return row.created_at, sid
