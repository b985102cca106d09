"""A saved copy of a big picture index, so that a new process loads the archive's pictures in seconds instead of
reading every stored frame track and sorting its postings again (at 100,000 videos: minutes before the first match).

A snapshot folder holds `snapshot.json` (the recipe, each merged video's key and frames by number, the postings'
count) and the merged part's folder (picture_index.py: a file of offsets and one a field). A merge writes a new folder
and never rewrites one, so saving hard-links the index's files and copies nothing, and loading hard-links them into
the loading index's own folder, as sound_snapshot.py does; locking, generations and erasure are snapshot_files.py's.
The loaded index holds no frame track: it reads one from the stored fingerprint when a match checks it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from triage.lineage.picture_index import PictureIndex, SavedPictures, TrackOf, file_sizes
from triage.service import snapshot_files
from triage.service.snapshot_files import SNAPSHOT, Manifest, drop, generation, link_in, plain_name

_FORMAT = 1
__all__ = ["SNAPSHOT", "drop", "generation", "load", "save"]


def save(index: PictureIndex, folder: Path, recipe: str, since: str) -> bool:
    """Keep the index's merged part as the snapshot in `folder`, in place of the one there; False when the index
    cannot be saved as it stands (PictureIndex.saved) or the generation moved on since `since` (an erasure)."""
    saved = index.saved()
    if saved is None:
        return False

    def link(into: Path) -> Manifest:
        part = into / uuid.uuid4().hex
        part.mkdir()
        for file in file_sizes(saved.count):
            os.link(saved.folder / file, part / file)
        return {"format": _FORMAT, "recipe": recipe, "folder": part.name, "count": saved.count, "keys": saved.keys,
                "frames": saved.frames}

    return snapshot_files.save(folder, since, "picture index", link)


def load(folder: Path, recipe: str, parent: Path, track_of: TrackOf) -> PictureIndex | None:
    """A new index (its own files under `parent`, reading tracks through `track_of`) holding the snapshot in
    `folder`; None when there is none, or it was made by another recipe or cannot be read (the caller builds the
    index)."""

    def opened(manifest: Manifest) -> PictureIndex:
        index = PictureIndex(folder=parent, track_of=track_of)
        assert index.folder is not None
        target, count = index.folder / manifest["folder"], int(manifest["count"])
        try:
            link_in(folder / manifest["folder"], target, file_sizes(count))
            index.restore(SavedPictures(target, count, manifest["keys"], manifest["frames"]))
        except (OSError, ValueError):
            index.close()
            raise
        return index

    return snapshot_files.load(folder, recipe, "picture index", _valid, opened)


def _valid(manifest: Manifest) -> bool:
    """Whether the manifest has the shape this module writes (a plain folder name, keys and frames alike)."""
    return bool(manifest["format"] == _FORMAT and plain_name(manifest["folder"]) and int(manifest["count"]) >= 0
                and len(manifest["keys"]) == len(manifest["frames"]))
