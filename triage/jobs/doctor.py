"""`triage doctor`: check a whole data dir against its database, and repair what can be repaired safely.

Checked: the database's own integrity; every stored original against its row (there, its size, its SHA-256);
files no row knows; derived files rows name; the FAISS indexes against the vectors; the saved lineage indexes; jobs
left running by a dead worker; submissions left half-way by a killed ingest. Repaired (with `repair`): leftovers of
killed runs are removed, indexes rebuilt, saved lineage indexes that cannot be loaded removed, dead workers' jobs
queued again, half-way submissions handed back to a job. A damaged or missing original cannot be repaired here:
restore it from a backup (or ask for the file again).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text

from triage.domain import Status
from triage.jobs import queue
from triage.service import index as indexes
from triage.service import snapshot_files
from triage.service.lineage_saved import unloadable_saved_indexes
from triage.store.schema import Artifact, Content, Job, Submission
from triage.store.store import Store
from triage.store.submissions import set_status

CHUNK = 1 << 20
HALF_WAY = (Status.RECEIVED.value, Status.PROCESSING.value)


@dataclass(frozen=True)
class Finding:
    check: str  # database | originals | leftovers | derived | indexes | jobs | submissions
    problem: str
    repaired: bool = False


def examine(store: Store, index_dir: Path, *, repair: bool, exact_max: int, threads: int = 2) -> list[Finding]:
    """Everything found wrong with the data dir (an empty list: nothing), repaired where `repair` and it can be."""
    found = _database(store)
    if found:  # the rows themselves are in doubt: compare nothing against them
        return found
    found += _originals(store)
    found += _leftovers(store, repair)
    found += _derived(store)
    found += _indexes(store, index_dir, repair, exact_max, threads)
    found += _saved_lineage(store, repair)
    found += _jobs(store, repair)
    found += _submissions(store, repair)
    return found


def _database(store: Store) -> list[Finding]:
    if store.db.engine.dialect.name != "sqlite":
        return []  # PostgreSQL checks its own pages; nothing here to ask it
    with store.db.engine.connect() as connection:
        said = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
        broken = list(connection.execute(text("PRAGMA foreign_key_check")))
    found = [] if said == ["ok"] else [Finding("database", f"SQLite integrity check: {'; '.join(said[:5])}; "
                                                            "restore the data dir from a backup")]
    if broken:
        found.append(Finding("database", f"{len(broken)} rows point at rows that do not exist "
                                         f"(first in table {broken[0][0]})"))
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _originals(store: Store) -> list[Finding]:
    with store.db.session() as session:
        rows = session.execute(select(Content.sha256, Content.size)).all()
    found = []
    for sha, size in rows:
        path = store.files.original_path(sha)
        if not path.is_file():
            found.append(Finding("originals", f"the original of {sha[:12]} is missing; restore it from a backup"))
        elif path.stat().st_size != size or _sha256(path) != sha:
            found.append(Finding("originals", f"the original of {sha[:12]} is damaged (its bytes no longer hash to "
                                              "its name); restore it from a backup"))
    return found


def _leftovers(store: Store, repair: bool) -> list[Finding]:
    """Temp files, originals no row knows, derived folders of contents that never finished. Looked for only while
    no other process writes into the store: a running server's uploads in progress are no leftovers."""
    with store.files.alone() as alone:
        if not alone:
            return []
        with store.db.session() as session:
            known = set(session.scalars(select(Content.sha256)))
            ready = set(session.scalars(select(Content.sha256).where(Content.status == Status.READY.value)))
        root = store.files.root
        stray = [p for p in (root / "originals").glob("*/*/*") if p.name not in known] + \
            [p for p in (root / "derived").glob("*/*/*") if p.name not in ready] + list(store.files.tmp.iterdir()) + \
            store.files.unfinished_renders()
    if not stray:
        return []
    removed = store.files.sweep(known, ready) if repair else 0
    first = stray[0].relative_to(root)
    return [Finding("leftovers", f"{len(stray)} files or folders no finished row knows (left by killed runs; "
                                 f"first: {first})"
                    + (f"; removed {removed}" if removed else ""), repaired=repair and removed >= len(stray))]


def _derived(store: Store) -> list[Finding]:
    with store.db.session() as session:
        named = session.execute(select(Artifact.sha256, Artifact.kind, Artifact.path)
                                .where(Artifact.path.is_not(None))).all()
    missing = [(sha, kind) for sha, kind, path in named if not store.files.resolve(str(path)).is_file()]
    return [Finding("derived", f"{len(missing)} derived files are missing (first: the {missing[0][1]} of "
                               f"{missing[0][0][:12]}); `triage reprocess` makes them again")] if missing else []


def _indexes(store: Store, index_dir: Path, repair: bool, exact_max: int, threads: int) -> list[Finding]:
    found = []
    for space in ("text", "clip"):
        report = indexes.check(store, index_dir, space, exact_max=exact_max, threads=threads)
        if report is None:
            continue
        if repair:
            indexes.sync(store, index_dir, space, exact_max=exact_max, threads=threads, rebuild=True)
        found.append(Finding("indexes", f"the {space} index {report}" + ("; rebuilt" if repair else ""), repair))
    return found


def _saved_lineage(store: Store, repair: bool) -> list[Finding]:
    """Saved lineage indexes a new process would not load (a new process builds them again meanwhile): repaired,
    they are removed, and the next catch-up saves new ones."""
    found = []
    for kind, folder in unloadable_saved_indexes(store):
        if repair:
            snapshot_files.drop(folder)
        found.append(Finding("indexes", f"the saved {kind} index of remix lineage in {folder} cannot be loaded "
                                        "(damaged, or made by another version); a new process builds it again"
                                        + ("; removed" if repair else ""), repair))
    return found


def _jobs(store: Store, repair: bool) -> list[Finding]:
    with store.db.session() as session:
        dead = [j.id for j in queue.stale(session)]
    if not dead:
        return []
    if repair:
        queue.requeue_stale(store.db, stale_after=0)
    return [Finding("jobs", f"{len(dead)} jobs were left running by a worker that is gone (ids {dead[:5]})"
                            + ("; queued again" if repair else ""), repair)]


def _submissions(store: Store, repair: bool) -> list[Finding]:
    """Submissions left received or processing with no job to finish them (a killed `triage ingest`): those
    whose bytes are stored go back to a job; those whose file never arrived whole are failed with that reason."""
    with store.db.session() as session:
        waiting = {(j.params or {}).get("sha256") for j in session.scalars(
            select(Job).where(Job.status.in_((queue.QUEUED, queue.RUNNING))))}
        stuck = [s for s in session.scalars(select(Submission).where(Submission.status.in_(HALF_WAY)))
                 if s.sha256 is None or s.sha256 not in waiting]
        if repair:
            for row in stuck:
                if row.sha256 is None:
                    set_status(row, Status.FAILED, "the file never arrived whole (the server or the ingest was "
                                                    "stopped while receiving it); send it again")
        shas = sorted({s.sha256 for s in stuck if s.sha256}) if repair else []
        callout_of = {s.sha256: s.callout_id for s in stuck}
    if not stuck:
        return []
    for sha in shas:
        queue.enqueue(store.db, "process_upload", callout_id=callout_of[sha], params={"sha256": sha})
    return [Finding("submissions", f"{len(stuck)} submissions were left half-way with nothing to finish them "
                                   "(a killed run: running `triage ingest` again also finishes them)"
                    + ("; queued for analysis, or failed with the reason where the file never arrived"
                       if repair else ""), repair)]
