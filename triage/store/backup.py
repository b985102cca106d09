"""`triage backup DEST`: a consistent copy of a running installation, incremental in its media.

DEST after a backup:
    manifest.json       what DEST holds (written last): time, versions, row counts, every file's size and SHA-256
    triage.db           SQLite: a copy made with SQLite's online backup API
    database.pgdump     PostgreSQL: pg_dump's custom format (restored with pg_restore)
    files/              originals/, derived/, scores/ and session_secret, laid out as under the data dir

Consistency: the database is copied first, as one snapshot; the files copied are those of the contents that
snapshot names. Files are written before the rows naming them (ingest/runner.py) and deleted only by an erasure
or a sweep, neither of which can run meanwhile (the maintenance lock; the store held `active`), so every file
the copy names is there to copy. Indexes are derived data and left out: a restore rebuilds them.

Incremental: an original is named by its hash and never changes, so one DEST holds with the right size is not
copied again; a derived file is copied again only when its size or modification time moved since the last
backup. On the data dir's filesystem new files are hard links: triage replaces a file by renaming a new one
over it and never writes into one, so a link never changes under the backup. What DEST holds and the data dir
no longer does (erased pieces) is removed from DEST.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.errors import BadRequest, Conflict, ProcessingFailed
from triage.store import dbcopy
from triage.store.manifest import (
    FILES,
    FORMAT,
    MANIFEST,
    copy_hashed,
    file_digest,
    link_into,
    read_manifest,
    triage_version,
    write_manifest,
)
from triage.store.store import Store

log = logging.getLogger(__name__)
PREVIOUS = "manifest.previous.json"  # the last finished backup's manifest while a new one is under way
EXTRA = ("session_secret",)  # signs web sessions: restored, signed-in curators stay signed in


@dataclass
class BackupReport:
    dest: str
    database: str  # "sqlite" or "postgresql"
    schema_revision: str
    counts: dict[str, int]
    files: int = 0
    bytes: int = 0
    copied: int = 0  # files written to DEST by this run
    copied_bytes: int = 0
    linked: int = 0  # files hard-linked into DEST by this run
    unchanged: int = 0  # files DEST already held
    removed: int = 0  # files DEST held that the data dir no longer has
    damaged: list[str] = field(default_factory=list)  # originals whose bytes no longer match their name
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def backup(store: Store, dest: Path, *, link: bool = True) -> BackupReport:
    """Copy the database and the content store into `dest`, skipping what an earlier backup there holds."""
    started = time.monotonic()
    dest = _destination(store, dest)
    with store.files.maintenance("back up"), store.files.active():
        previous = _previous(dest)
        kind, snapshot, database = _database(store, dest)
        report = BackupReport(str(dest), kind, snapshot.revision, snapshot.counts)
        files = _files(store, dest, snapshot.shas, previous, link, report)
        report.removed = _prune(dest / FILES, set(files))
        report.files, report.bytes = len(files), sum(e["size"] for e in files.values())
        write_manifest(dest, {
            "format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "triage_version": triage_version(),
            "schema_revision": snapshot.revision, "source": str(store.data_dir), "database": database,
            "counts": snapshot.counts, "files": files, "totals": {"files": report.files, "bytes": report.bytes}})
    (dest / PREVIOUS).unlink(missing_ok=True)
    report.seconds = round(time.monotonic() - started, 2)
    return report


def _destination(store: Store, dest: Path) -> Path:
    dest = dest.resolve()
    if dest.is_relative_to(store.data_dir):
        raise BadRequest(f"the backup folder {dest} is inside the data dir {store.data_dir}; choose one outside it")
    if dest.exists() and any(dest.iterdir()) and read_manifest(dest) is None and not (dest / PREVIOUS).exists():
        raise Conflict(f"{dest} is not empty and holds no triage backup; choose an empty folder or an earlier "
                       "backup's (only what changed since is copied)")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds the token hashes and the session secret
    return dest


def _previous(dest: Path) -> dict[str, Any]:
    """The files the last finished backup left in DEST. Its manifest moves aside for the run, so that a backup
    killed half-way is never taken for a whole one (restore refuses a DEST without manifest.json)."""
    found = read_manifest(dest)
    if found is not None:
        os.replace(dest / MANIFEST, dest / PREVIOUS)
    else:  # a run before this one was killed: its predecessor's manifest still says what DEST holds
        found = read_manifest(dest, PREVIOUS)
    return dict((found or {}).get("files", {}))


def _database(store: Store, dest: Path) -> tuple[str, dbcopy.Snapshot, dict[str, Any]]:
    source = dbcopy.sqlite_file(store.db.url)
    if source is not None:
        kind, name = "sqlite", dbcopy.SQLITE_FILE
        snapshot = dbcopy.copy_sqlite(source, dest / name)
    else:
        kind, name = "postgresql", dbcopy.PG_FILE
        snapshot = dbcopy.dump_postgres(store.db.engine, store.db.url, dest / name)
    for other in (dbcopy.SQLITE_FILE, dbcopy.PG_FILE):
        if other != name:
            (dest / other).unlink(missing_ok=True)  # the installation moved to the other database since
    sha256, size = file_digest(dest / name)
    return kind, snapshot, {"kind": kind, "file": name, "size": size, "sha256": sha256}


def _sources(store: Store, shas: set[str]) -> list[Path]:
    """The files a backup holds: those of the contents the database copy names, kept scores, the secret."""
    found = [path for sha in sorted(shas) for path in store.files.content_files(sha)]
    scores = store.data_dir / "scores"
    if scores.is_dir():
        found += sorted(p for p in scores.glob("*.json") if p.is_file())
    found += [store.data_dir / name for name in EXTRA if (store.data_dir / name).is_file()]
    return found


def _files(store: Store, dest: Path, shas: set[str], previous: dict[str, Any], link: bool,
           report: BackupReport) -> dict[str, dict[str, Any]]:
    root = dest / FILES
    same_fs = link and os.stat(store.data_dir).st_dev == os.stat(dest).st_dev
    files: dict[str, dict[str, Any]] = {}
    for source in _sources(store, shas):
        rel = source.relative_to(store.data_dir).as_posix()
        original = rel.startswith("originals/")
        try:
            st = source.stat()
        except FileNotFoundError:
            if original:
                raise ProcessingFailed(f"the original {rel} that the database names is missing "
                                       "from the data dir") from None
            continue  # a kept score replaced meanwhile: derived, and rebuilt on demand
        target = root / rel
        before = previous.get(rel)
        if before and before.get("size") == st.st_size and _size(target) == st.st_size and (
                original or before.get("mtime_ns") == st.st_mtime_ns):
            files[rel] = {**before, "mtime_ns": st.st_mtime_ns}
            report.unchanged += 1
            continue
        sha256 = _bring(source, target, same_fs, report, st.st_size)
        if original and sha256 != source.name:
            report.damaged.append(rel)
            log.warning("%s: its bytes no longer match its name (SHA-256 %s); backed up as they are", rel, sha256)
        files[rel] = {"size": st.st_size, "sha256": sha256, "mtime_ns": st.st_mtime_ns}
    return files


def _bring(source: Path, target: Path, same_fs: bool, report: BackupReport, size: int) -> str:
    """Link (same filesystem) or copy one file into DEST; its SHA-256."""
    if same_fs:
        try:
            link_into(source, target)
        except OSError:  # a filesystem without hard links, or across a mount point inside DEST
            pass
        else:
            report.linked += 1
            return file_digest(target)[0]
    sha256, written = copy_hashed(source, target)
    report.copied += 1
    report.copied_bytes += written
    return sha256


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _prune(root: Path, keep: set[str]) -> int:
    """Remove from DEST/files what this backup does not hold (erased or swept since), and empty folders."""
    removed = 0
    if not root.is_dir():
        return 0
    for path in sorted(root.rglob("*"), reverse=True):  # children before their folders
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            if not any(path.iterdir()):
                path.rmdir()
        elif rel not in keep:
            path.unlink()
            removed += 0 if path.name.endswith(".tmp") else 1
    return removed
