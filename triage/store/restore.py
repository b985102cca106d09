"""`triage restore SRC`: a backup back into an empty data dir, every file checked against its manifest first.

All or nothing: the files and the database are copied into a folder inside the data dir and checked there
(size and SHA-256 of each, SQLite's integrity check, the row counts); only then does the database go in
(a rename, or pg_restore in one transaction) and the files after it, by renames. A failed restore leaves the
data dir as empty as it was. The FAISS indexes are not in a backup: the caller rebuilds them (cli/backup.py).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from triage.errors import ChecksumMismatch, ConfigError, Conflict, NotFound, UnsafePath
from triage.store import dbcopy
from triage.store.backup import PREVIOUS
from triage.store.db import make_engine
from triage.store.manifest import FILES, copy_hashed, known_revisions, read_manifest

TOPS = ("originals", "derived", "scores", "session_secret")  # what a backup's files/ may hold
LOCKS = (".active.lock", ".maintenance.lock")  # empty files any command leaves; not data


@dataclass
class RestoreReport:
    source: str
    data_dir: str
    database: str
    schema_revision: str  # the backup's; the restored database is then migrated to this triage's newest
    backed_up_at: str
    counts: dict[str, int]
    files: int
    bytes: int
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def restore(src: Path, data_dir: Path, database_url: str) -> RestoreReport:
    """Bring the backup in `src` back into `data_dir` (empty) and the database `database_url` names (empty)."""
    started = time.monotonic()
    src, data_dir = src.resolve(), data_dir.resolve()
    manifest = _manifest(src)
    database = manifest["database"]
    target = dbcopy.sqlite_file(database_url)
    if (database["kind"] == "sqlite") != (target is not None):
        raise ConfigError(f"the backup holds a {database['kind']} database and TRIAGE_DATABASE_URL names "
                          f"{'SQLite' if target is not None else 'another'}; restore into the same kind of database")
    _require_empty(data_dir, target)
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = data_dir / f".restoring-{uuid.uuid4().hex}"
    try:
        _bring(src / database["file"], staging / database["file"], database, database["file"])
        total = 0
        for rel, entry in manifest["files"].items():
            total += _bring(src / FILES / _safe(rel), staging / FILES / rel, entry, rel)
        counts = _database_in(staging / database["file"], target, database_url, manifest)
        for top in TOPS:  # renames inside the data dir: the files appear whole, after the database
            if (staging / FILES / top).exists():
                os.replace(staging / FILES / top, data_dir / top)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreReport(str(src), str(data_dir), database["kind"], manifest["schema_revision"],
                         manifest["created_at"], counts, len(manifest["files"]), total,
                         round(time.monotonic() - started, 2))


def _manifest(src: Path) -> dict[str, Any]:
    manifest = read_manifest(src)
    if manifest is None:
        if (src / PREVIOUS).exists():
            raise Conflict(f"the last backup into {src} did not finish; run 'triage backup {src}' again")
        raise NotFound(f"{src} holds no triage backup (no readable manifest.json); make one with: triage backup DEST")
    if manifest.get("schema_revision") not in known_revisions():
        raise Conflict(f"the backup in {src} was made by a newer triage (schema revision "
                       f"{manifest.get('schema_revision')!r}); restore it with triage {manifest.get('triage_version')}")
    return manifest


def _require_empty(data_dir: Path, target: Path | None) -> None:
    """Refuse a data dir (or SQLite file) that holds anything: a restore never merges into an installation."""
    found = [p for p in sorted(data_dir.rglob("*")) if not p.is_dir() and not (p.name in LOCKS and
             p.stat().st_size == 0)] if data_dir.is_dir() else []
    if data_dir.exists() and not data_dir.is_dir():
        raise Conflict(f"the data dir {data_dir} is a file")
    if found:
        shown = ", ".join(str(p.relative_to(data_dir)) for p in found[:3]) + (", ..." if len(found) > 3 else "")
        raise Conflict(f"the data dir {data_dir} is not empty ({shown}); restore into a new folder "
                       "(--data-dir or TRIAGE_DATA_DIR), or move this one away first")
    if target is not None and target.exists() and target.stat().st_size > 0:
        raise Conflict(f"the database file {target} already exists; restore into a new one")


def _safe(rel: str) -> str:
    """A manifest's path, refused when it would land outside the data dir's own folders (a doctored manifest)."""
    parts = PurePosixPath(rel).parts
    if PurePosixPath(rel).is_absolute() or ".." in parts or not parts or parts[0] not in TOPS:
        raise UnsafePath(f"the backup's manifest names {rel!r}, which is no file of a data dir")
    return rel


def _bring(source: Path, target: Path, entry: dict[str, Any], name: str) -> int:
    """Copy one file of the backup, checking it against the manifest on the way; its size."""
    try:
        sha256, size = copy_hashed(source, target)
    except FileNotFoundError:
        raise ChecksumMismatch(f"the backup is incomplete: {name} is missing from it") from None
    if (sha256, size) != (entry.get("sha256"), entry.get("size")):
        raise ChecksumMismatch(f"the backup's {name} does not match its manifest (size {size}, SHA-256 {sha256}; "
                               f"the manifest says {entry.get('size')}, {entry.get('sha256')}): it was damaged "
                               "or changed since the backup; nothing was restored")
    return size


def _database_in(copy: Path, target: Path | None, url: str, manifest: dict[str, Any]) -> dict[str, int]:
    """Put the checked database copy in place; the row counts it holds (which must be the manifest's)."""
    if target is not None:
        dbcopy.check_sqlite(copy)
        counts = dbcopy.sqlite_snapshot(copy).counts
        _same_counts(counts, manifest)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(copy, target)  # a rename in the data dir (the default); a copy onto another filesystem
        return counts
    engine = make_engine(url)
    try:
        dbcopy.restore_postgres(engine, url, copy)
        counts = dbcopy.engine_snapshot(engine).counts
    finally:
        engine.dispose()
    _same_counts(counts, manifest)
    return counts


def _same_counts(counts: dict[str, int], manifest: dict[str, Any]) -> None:
    wanted = manifest.get("counts", {})
    differ = {t: (counts.get(t), n) for t, n in wanted.items() if counts.get(t) != n}
    if differ:
        raise ChecksumMismatch(f"the restored database's rows differ from the manifest's counts: {differ}")

