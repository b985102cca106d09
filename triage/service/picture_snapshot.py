"""A saved copy of a big picture index, so that a new process loads the archive's pictures in seconds instead of
reading every stored frame track and sorting its postings again (at 100,000 videos: minutes before the first match).

A snapshot folder holds `snapshot.json` (the recipe, each merged video's key and frames by number, the postings'
count) and the merged part's folder (picture_index.py: a file of offsets and one a field). A merge writes a new folder
and never rewrites one, so saving hard-links the index's files and copies nothing, and loading hard-links them into
the loading index's own folder, as sound_snapshot.py does; locking, generations and erasure are snapshot_files.py's.
The loaded index holds no frame track: it reads one from the stored fingerprint when a match checks it.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from triage.lineage.picture_index import PictureIndex, SavedPictures, TrackOf, file_sizes
from triage.service.snapshot_files import (
    SNAPSHOT,
    drop,
    generation,
    link_in,
    locked,
    plain_name,
    read_manifest,
    write_manifest,
)

log = logging.getLogger(__name__)
_FORMAT = 1
__all__ = ["drop", "generation", "load", "save"]


def save(index: PictureIndex, folder: Path, recipe: str, since: str) -> bool:
    """Keep the index's merged part as the snapshot in `folder`, in place of the one there; False when the index
    cannot be saved as it stands (PictureIndex.saved) or the generation moved on since `since` (an erasure)."""
    saved = index.saved()
    if saved is None:
        return False
    with locked(folder, exclusive=True):
        if generation(folder) != since:
            return False
        name = uuid.uuid4().hex
        try:
            (folder / name).mkdir()
            for file in file_sizes(saved.count):
                os.link(saved.folder / file, folder / name / file)
        except OSError as exc:  # another file system, or files a sweep of tmp/ removed
            shutil.rmtree(folder / name, ignore_errors=True)
            log.warning("could not save the picture index's snapshot in %s: %s", folder, exc)
            return False
        before = _manifest(folder)
        write_manifest(folder, {"format": _FORMAT, "recipe": recipe, "folder": name, "count": saved.count,
                                "keys": saved.keys, "frames": saved.frames})
        if before is not None:
            shutil.rmtree(folder / before["folder"], ignore_errors=True)
    return True


def load(folder: Path, recipe: str, parent: Path, track_of: TrackOf) -> PictureIndex | None:
    """A new index (its own files under `parent`, reading tracks through `track_of`) holding the snapshot in
    `folder`; None when there is none, or it was made by another recipe or cannot be read (the caller builds the
    index)."""
    if not (folder / SNAPSHOT).is_file():
        return None
    with locked(folder, exclusive=False):
        manifest = _manifest(folder)
        if manifest is None or manifest.get("recipe") != recipe:
            return None
        index = PictureIndex(folder=parent, track_of=track_of)
        assert index.folder is not None
        target, count = index.folder / manifest["folder"], int(manifest["count"])
        try:
            link_in(folder / manifest["folder"], target, file_sizes(count))
            index.restore(SavedPictures(target, count, manifest["keys"], manifest["frames"]))
        except (OSError, ValueError) as exc:
            index.close()
            log.warning("the picture index's snapshot in %s cannot be read (%s): building the index again", folder,
                        exc)
            return None
    return index


def _manifest(folder: Path) -> dict[str, Any] | None:
    """The snapshot's manifest, checked for shape (a plain folder name, keys and frames alike)."""
    manifest = read_manifest(folder)
    try:
        ok = manifest is not None and manifest["format"] == _FORMAT and plain_name(manifest["folder"]) and \
            int(manifest["count"]) >= 0 and len(manifest["keys"]) == len(manifest["frames"])
    except (KeyError, TypeError, ValueError):
        ok = False
    return manifest if ok else None
