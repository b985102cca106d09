"""The file side of the store: originals kept by content hash, derived files beside them, atomic writes.

Layout under the data dir:
    originals/ab/cd/<sha256>        the submitted bytes, never modified
    derived/ab/cd/<sha256>/...      poster.jpg, thumbs, audio16k.wav, ...
    tmp/                            files being written; swept when no ingest is running
    scores/<call-out>.json          kept scores (service/rescore.py), derived
    index/                          FAISS indexes unless TRIAGE_INDEX_DIR says otherwise, derived
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from triage.errors import Conflict, UnsafePath

CHUNK = 1 << 20


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_hashing(source: Path, dest: Path) -> tuple[str, int]:
    """Copy `source` to `dest`, hashing the bytes as they pass, and fsync it: (sha256, size) of what was written."""
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as src, open(dest, "wb") as dst:
        while block := src.read(CHUNK):
            digest.update(block)
            dst.write(block)
            size += len(block)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest(), size


def atomic_write(path: Path, data: bytes) -> Path:
    """Write `data` to `path` via a temp file in the same folder, fsync and rename: readers see old or new,
    never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
        fsync_dir(path.parent)
    finally:
        temp.unlink(missing_ok=True)
    return path


class FileStore:
    """Content-addressed originals and their derived files, all under one root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.tmp = self.root / "tmp"
        for folder in (self.root, self.tmp, self.root / "originals", self.root / "derived"):
            folder.mkdir(parents=True, exist_ok=True)

    # --- paths -------------------------------------------------------------------------------
    def original_path(self, sha256: str) -> Path:
        return self.root / "originals" / sha256[:2] / sha256[2:4] / sha256

    def derived_dir(self, sha256: str) -> Path:
        return self.root / "derived" / sha256[:2] / sha256[2:4] / sha256

    def relative(self, path: Path) -> str:
        return str(path.resolve().relative_to(self.root))

    def resolve(self, relative: str) -> Path:
        """A stored relative path back to an absolute one, refusing anything outside the root."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise UnsafePath(f"{relative!r} points outside the data directory")
        return path

    def content_files(self, sha256: str) -> list[Path]:
        """The files kept for one content: its original and everything derived from it (temp files left out)."""
        found = [self.original_path(sha256)] if self.original_path(sha256).is_file() else []
        folder = self.derived_dir(sha256)
        if folder.is_dir():
            found += sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".tmp"))
        return found

    def temp_path(self, suffix: str = "") -> Path:
        return self.tmp / f"{uuid.uuid4().hex}{suffix}"

    # --- writes ------------------------------------------------------------------------------
    def put_original(self, source: Path) -> tuple[str, int]:
        """Copy `source` in, hashing while copying. Returns (sha256, size). Idempotent for identical bytes."""
        temp = self.temp_path()
        try:
            sha256, size = copy_hashing(source, temp)
            final = self.original_path(sha256)
            if final.exists():
                temp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, final)
                fsync_dir(final.parent)
            return sha256, size
        finally:
            temp.unlink(missing_ok=True)

    def write_atomic(self, path: Path, data: bytes) -> Path:
        """Write `data` to `path` (inside the root) via a temp file, fsync and rename."""
        path = self.resolve(self.relative(path)) if path.is_absolute() else self.resolve(str(path))
        return atomic_write(path, data)

    def remove_content(self, sha256: str) -> tuple[int, int]:
        """Delete one content's original and derived files (an erasure): (originals, derived files) removed."""
        original, folder = self.original_path(sha256), self.derived_dir(sha256)
        originals = derived = 0
        if original.exists():
            original.unlink()
            originals = 1
        if folder.is_dir():
            derived = sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder)
        for parent in (original.parent, folder.parent):
            if parent.is_dir():
                fsync_dir(parent)  # the removal survives a crash: an erasure must not come undone
        return originals, derived

    def drop_derived(self, sha256: str) -> None:
        """Delete what an analysis that did not finish wrote for one content (the original stays)."""
        folder = self.derived_dir(sha256)
        if folder.is_dir():
            shutil.rmtree(folder)

    # --- housekeeping ------------------------------------------------------------------------
    @contextlib.contextmanager
    def maintenance(self, doing: str) -> Iterator[None]:
        """Held for the whole of a backup or an erasure: one at a time, so that a backup never copies a database
        that names files an erasure is deleting. Raises Conflict when another holds it (never waits: an API
        request must not hang behind a backup of hours)."""
        with open(self.root / ".maintenance.lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Conflict(f"cannot {doing} now: a backup or an erasure of this data dir is running; "
                               "try again when it has finished") from None
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Held (shared) by every process writing into the store, so a sweep never races a writer."""
        with open(self.root / ".active.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def alone(self) -> Iterator[bool]:
        """Whether no process is writing into the store (none holds `active`); while True, none can start to."""
        with open(self.root / ".active.lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def unfinished_renders(self) -> list[Path]:
        """Folders a killed render left beside its programme's output (render/staging.py names them so)."""
        patterns = ("programmes/*/.*.partial-*", "programmes/*/.*.old-*")
        return [path for pattern in patterns for path in self.root.glob(pattern)]

    def sweep(self, known_originals: set[str], ready_derived: set[str]) -> int:
        """Remove leftovers of killed runs: temp files, originals no row knows, derived files of unfinished work.

        Runs only when no other process holds the store; returns how many things it removed.
        """
        removed = 0
        with open(self.root / ".active.lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # someone is writing: their temp files are not leftovers
            try:
                for item in self.tmp.iterdir():
                    shutil.rmtree(item) if item.is_dir() else item.unlink()
                    removed += 1
                for path in (self.root / "originals").glob("*/*/*"):
                    if path.name.endswith(".tmp") or path.name not in known_originals:
                        path.unlink()
                        removed += 1
                for path in self.unfinished_renders():
                    shutil.rmtree(path, ignore_errors=True)
                    removed += 1
                for path in (self.root / "derived").glob("*/*/*"):
                    if path.name not in ready_derived:
                        shutil.rmtree(path, ignore_errors=True)
                        removed += 1
                    else:
                        for stale in path.glob(".*.tmp"):
                            stale.unlink()
                            removed += 1
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return removed
