"""The database side of an erasure: which rows, whether now is safe, the tombstones, and compacting after.

A tombstone is the submission row with everything about the piece and its sender cleared: it keeps its id, its
call-out, when it came in and when it was erased (status "erased"), so that the decisions naming it (kept, their
note text cleared) still point somewhere. Bytes that another live submission also sent stay, with everything
derived from them: they are that submission's too.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, literal, or_, select, update
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.orm import Session

from triage.errors import BadRequest, Conflict, Degraded, NotFound
from triage.store.db import Database, cannot_write
from triage.store.lineage import forget_contents
from triage.store.programmes import items as programme_items
from triage.store.programmes import renumber
from triage.store.rows import batches
from triage.store.schema import (
    Artifact,
    Assignment,
    Callout,
    Content,
    ContributorAlias,
    Decision,
    DuplicateKeep,
    DuplicateOverride,
    Job,
    Note,
    ProgrammeItem,
    Submission,
    Vector,
    Vote,
)

ERASED = "erased"  # a tombstone's status
UNFINISHED = ("received", "processing")
NAMED_ARTIFACTS = {"transcript": "transcripts", "text": "texts", "fingerprints": "fingerprints",
                   "waveform": "waveforms"}  # the rest (poster, thumbs, audio16k, visual) count as other_artifacts
# The tables an erasure deletes from or rewrites: PostgreSQL vacuums them afterwards.
TOUCHED = ("submissions", "contents", "artifacts", "vectors", "decisions", "notes", "votes", "assignments",
           "duplicate_overrides", "duplicate_keeps", "callouts", "jobs", "reuse_matches", "platform_assets",
           "programme_items", "contributor_aliases")


@dataclass
class Targets:
    ids: list[str] = field(default_factory=list)  # live submissions to make tombstones
    already: list[str] = field(default_factory=list)  # named, but tombstones already
    shas: set[str] = field(default_factory=set)  # their contents
    gone: set[str] = field(default_factory=set)  # contents nobody else sent: removed with them
    callouts: set[str] = field(default_factory=set)
    programmes: set[str] = field(default_factory=set)  # programmes the pieces were taken out of


def resolve(session: Session, refs: Iterable[str], contributors: Iterable[str]) -> Targets:
    """The submissions named by id (or external id) and those of each contributor (names match exactly)."""
    found: dict[str, Submission] = {}
    targets = Targets()
    for ref in dict.fromkeys(refs):
        row = session.get(Submission, ref)
        if row is None:
            rows = list(session.scalars(select(Submission).where(Submission.external_id == ref)))
            if not rows:
                raise NotFound(f"no submission with id or external id {ref!r} (an erased one is known by its id only)")
            if len(rows) > 1:
                raise Conflict(f"external id {ref!r} names {len(rows)} submissions (call-outs "
                               f"{', '.join(sorted({r.callout_id for r in rows}))}); name each by its id")
            row = rows[0]
        if row.erased_at is not None:
            targets.already.append(row.id)
        else:
            found[row.id] = row
    for name in dict.fromkeys(contributors):
        for row in session.scalars(select(Submission).where(Submission.contributor == name)):
            found[row.id] = row
    targets.ids = sorted(found)
    targets.shas = {r.sha256 for r in found.values() if r.sha256}
    targets.callouts = {r.callout_id for r in found.values()}
    shared: set[str] = set()
    for batch in batches(targets.shas):
        shared.update(session.scalars(select(Submission.sha256).where(
            Submission.sha256.in_(batch), Submission.id.not_in(targets.ids))))
    targets.gone = targets.shas - shared
    return targets


def check_idle(session: Session, targets: Targets, analysing: bool) -> None:
    """Refuse while work is under way that would write the erased pieces back: a running re-score of their
    call-out (it would save scores naming them), a reprocess, their bytes' own analysis."""
    for job in session.scalars(select(Job).where(Job.status == "running")):
        params = job.params or {}
        if (job.kind == "reprocess" or (job.kind == "rescore" and job.callout_id in targets.callouts)
                or (job.kind == "process_upload" and params.get("sha256") in targets.gone)):
            raise Conflict(f"job {job.id} ({job.kind}) is working on these pieces; erase them once it has finished")
    if analysing:
        for batch in batches(targets.gone):
            busy = session.scalar(select(func.count()).where(Content.sha256.in_(batch),
                                                            Content.status.in_(UNFINISHED)))
            if busy:
                raise Conflict(f"{busy} of these pieces are being analysed; erase them once they are ready")


def tombstone(session: Session, targets: Targets) -> tuple[Counter[str], int]:
    """Delete every row about the pieces and make their submissions tombstones: (removed per kind, decisions kept)."""
    removed: Counter[str] = Counter()
    kept = 0
    ids = set(targets.ids)
    for batch in batches(targets.ids):
        for kind, table in (("notes", Note), ("votes", Vote), ("assignments", Assignment),
                            ("kept_copies", DuplicateKeep)):
            removed[kind] += _count(session.execute(delete(table).where(table.submission_id.in_(batch))))
        removed["duplicate_verdicts"] += _count(session.execute(delete(DuplicateOverride).where(
            or_(DuplicateOverride.submission_a.in_(batch), DuplicateOverride.submission_b.in_(batch)))))
        removed["decision_notes"] += _count(session.execute(update(Decision).where(
            Decision.submission_id.in_(batch), Decision.note.is_not(None)).values(note=None)))
        kept += session.scalar(select(func.count()).where(Decision.submission_id.in_(batch))) or 0
    for callout in session.scalars(select(Callout)):
        marks = [sid for sid in callout.exemplars or () if sid in ids]
        if marks:
            callout.exemplars = [sid for sid in callout.exemplars if sid not in ids]
            removed["exemplar_marks"] += len(marks)
    removed["jobs"] = _scrub_jobs(session, ids, targets.gone)
    removed["programme_places"] = _unplace(session, targets)
    now = datetime.now(UTC)
    for batch in batches(targets.ids):
        session.execute(update(Submission).where(Submission.id.in_(batch)).values(
            source_key=literal("erased:") + Submission.id, external_id=None, title=None, contributor=None,
            media_type=None, original_filename=None, sha256=None, size=None, status=ERASED, error=None,
            probe=None, uploaded_by=None, erased_at=now, updated_at=now))
    removed["contributor_merges"] = _forget_names(session)
    for batch in batches(targets.gone):
        for kind, n in session.execute(select(Artifact.kind, func.count()).where(Artifact.sha256.in_(batch))
                                       .group_by(Artifact.kind)):
            removed[NAMED_ARTIFACTS.get(kind, "other_artifacts")] += n
        session.execute(delete(Artifact).where(Artifact.sha256.in_(batch)))
        lineage = forget_contents(session, batch)
        if lineage:
            removed["lineage_matches"] += lineage
        removed["vectors"] += _count(session.execute(delete(Vector).where(Vector.sha256.in_(batch))))
        removed["contents"] += _count(session.execute(delete(Content).where(Content.sha256.in_(batch))))
    return removed, kept


def _unplace(session: Session, targets: Targets) -> int:
    """Take the pieces out of every programme they were placed in (the others close up behind them); the
    programmes touched are noted in `targets.programmes`, whose renders hold the pieces' pictures and sound."""
    placed = [item for batch in batches(targets.ids)
              for item in session.scalars(select(ProgrammeItem).where(ProgrammeItem.submission_id.in_(batch)))]
    targets.programmes |= {item.programme_id for item in placed}
    for item in placed:
        session.delete(item)
    session.flush()
    for programme_id in sorted(targets.programmes):
        renumber(programme_items(session, programme_id))
    return len(placed)


def _forget_names(session: Session) -> int:
    """Curators' merges of contributor names that no live submission carries any more (its last piece erased)."""
    live = select(Submission.contributor).where(Submission.contributor.is_not(None))
    return _count(session.execute(delete(ContributorAlias).where(ContributorAlias.name.not_in(live))))


def _scrub_jobs(session: Session, ids: set[str], gone: set[str]) -> int:
    """Jobs about one erased upload go; others that name an erased piece (a reprocess's list of errors) keep
    their record with the name blanked. Returns how many were deleted or rewritten."""
    needles = ids | gone
    changed = 0
    for job in list(session.scalars(select(Job))):
        params: dict[str, Any] = dict(job.params or {})
        if job.kind == "process_upload" and (params.get("submission_id") in ids or params.get("sha256") in gone):
            session.delete(job)
            changed += 1
            continue
        said, error = json.dumps(params), job.error or ""
        if any(n in said or n in error for n in needles):
            for needle in needles:
                said, error = said.replace(needle, "(erased)"), error.replace(needle, "(erased)")
            job.params, job.error = json.loads(said), error or None
            changed += 1
    return changed


def _count(result: Any) -> int:
    return int(result.rowcount or 0)


@contextmanager
def erasing(db: Database) -> Iterator[Session]:
    """A session whose deletes overwrite what they free (SQLite's secure_delete): the erased rows' bytes do not
    linger in free pages of the database file. Committed on success."""
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA secure_delete=ON")
            conn.commit()
        try:
            with Session(bind=conn, expire_on_commit=False) as session:
                yield session
                session.commit()
        except DataError as exc:  # a value PostgreSQL cannot compare (a NUL in a name): the caller's, as elsewhere
            raise BadRequest(f"the database refused a value: {str(exc.orig).splitlines()[0]}") from exc
        except DBAPIError as exc:
            # a read-only database or a full disk: the service's trouble, as Database.session says
            reason = cannot_write(exc)
            if reason is None:
                raise
            raise Degraded(f"{reason}: nothing was erased; try again once the operators fix it") from exc
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA secure_delete=OFF")
                conn.commit()


def compact(db: Database) -> bool:
    """Leave no copy of the erased rows in the database's own files; whether that was done in full.

    SQLite: the write-ahead log still holds the pages as they were; a TRUNCATE checkpoint moves the new pages
    into the database file and empties the log (it waits for readers; False when one stayed too long).
    PostgreSQL: VACUUM removes the dead row versions from the touched tables (its WAL archive is the operator's).
    """
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            for _ in range(3):
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                conn.commit()
                if busy is not None and busy[0] == 0:
                    return True
        return False
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in TOUCHED:
            conn.exec_driver_sql(f"VACUUM {table}")
    return True
