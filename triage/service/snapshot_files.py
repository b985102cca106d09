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
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from triage.store.files import atomic_write

log = logging.getLogger(__name__)
SNAPSHOT = "snapshot.json"
GENERATION = "generation"
_LOCK = ".lock"
Manifest = dict[str, Any]
Index = TypeVar("Index")


def save(folder: Path, since: str, what: str, link: Callable[[Path], Manifest]) -> bool:
    """Replace the snapshot in `folder`, unless its generation moved on since `since` (an erasure): `link(folder)`
    hard-links the index's files into new folders of `folder` and returns the manifest naming them; then the folders
    of the snapshot before go. False, with a warning naming `what` ("sound index"), when linking fails: what it
    linked goes."""
    with locked(folder, exclusive=True):
        if generation(folder) != since:
            return False
        before = {child.name for child in folder.iterdir() if child.is_dir()}
        try:
            manifest = link(folder)
        except OSError as exc:  # another file system, or files a sweep of tmp/ removed
            _remove_folders(folder, lambda name: name not in before)
            log.warning("could not save the %s's snapshot in %s: %s", what, folder, exc)
            return False
        write_manifest(folder, manifest)
        _remove_folders(folder, lambda name: name in before)
    return True


def load(folder: Path, recipe: str, what: str, valid: Callable[[Manifest], bool],
         opened: Callable[[Manifest], Index]) -> Index | None:
    """The index `opened` makes of the snapshot in `folder` (it links the files in, and removes its links when it
    fails); None when there is none, its manifest is not `valid` or names another recipe, or it cannot be read (the
    caller builds the index)."""
    if not (folder / SNAPSHOT).is_file():
        return None
    with locked(folder, exclusive=False):
        manifest = read_manifest(folder)
        if manifest is None or manifest.get("recipe") != recipe or not _checked(valid, manifest):
            return None
        try:
            return opened(manifest)
        except (OSError, ValueError) as exc:
            log.warning("the %s's snapshot in %s cannot be read (%s): building the index again", what, folder, exc)
            return None


def _checked(valid: Callable[[Manifest], bool], manifest: Manifest) -> bool:
    try:
        return bool(valid(manifest))
    except (KeyError, TypeError, ValueError):
        return False


def _remove_folders(folder: Path, which: Callable[[str], bool]) -> None:
    for child in folder.iterdir():
        if child.is_dir() and which(child.name):
            shutil.rmtree(child, ignore_errors=True)


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
        _remove_folders(folder, lambda _: True)


def read_manifest(folder: Path) -> Manifest | None:
    """The snapshot's manifest as JSON, or None when there is none or it cannot be read (the caller checks its
    shape)."""
    try:
        manifest = json.loads((folder / SNAPSHOT).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def write_manifest(folder: Path, manifest: Manifest) -> None:
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
