"""What the saved lineage indexes (sound_snapshot.py, picture_snapshot.py) share: a folder of their own under the
data dir's lineage/, holding a manifest, a generation and the index's files as hard links; a lock file that orders
saves, loads and drops between processes.

Erasure drops a snapshot and moves its generation on. A process that read the database before an erasure and saves
after it would otherwise put the erased piece's postings back: a save checks that the generation is still the one
read before the database was. Snapshots are derived data, like the FAISS indexes: not in backups.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from triage.store.files import atomic_write

SNAPSHOT = "snapshot.json"
GENERATION = "generation"
_LOCK = ".lock"


@contextmanager
def locked(folder: Path, exclusive: bool) -> Iterator[None]:
    """Hold the snapshot folder's lock: exclusive to save or drop, shared to load."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / _LOCK, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def generation(folder: Path) -> str:
    """The snapshot folder's generation: read it before reading the database, give it to the save."""
    try:
        return (folder / GENERATION).read_text().strip()
    except OSError:
        return ""


def drop(folder: Path) -> None:
    """Remove the snapshot and move the generation on (an erasure): no save begun before this one lands."""
    with locked(folder, exclusive=True):
        atomic_write(folder / GENERATION, uuid.uuid4().hex.encode())
        (folder / SNAPSHOT).unlink(missing_ok=True)
        for child in folder.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The snapshot's manifest as JSON, or None when there is none or it cannot be read (the caller checks its
    shape)."""
    try:
        manifest = json.loads((folder / SNAPSHOT).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    atomic_write(folder / SNAPSHOT, json.dumps(manifest).encode())


def plain_name(name: object) -> bool:
    """Whether a manifest's folder name is one this module made (a uuid's hex): nothing outside the folder."""
    return isinstance(name, str) and name.isalnum()


def link_in(source: Path, target: Path, sizes: dict[str, int]) -> None:
    """Hard-link the files of `source` into a new folder `target` (copies on another file system), after checking
    that each has the size its manifest gives (ValueError otherwise)."""
    target.mkdir(parents=True)
    for file, size in sizes.items():
        if (source / file).stat().st_size != size:
            raise ValueError(f"{source.name}/{file} is not the {size:,} bytes its snapshot says")
        try:
            os.link(source / file, target / file)
        except OSError:  # another file system
            shutil.copyfile(source / file, target / file)
