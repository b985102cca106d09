"""A saved copy of a big sound index, so that a new process loads the archive's sound in seconds instead of
deriving every landmark again from the stored peaks (at 100,000 recordings: minutes before the first match).

A snapshot folder holds `snapshot.json` (the recipe that made the landmarks, each piece's key and seconds by number,
the runs in order) and one folder per sorted run (sound_runs.py: three flat files). A run's files are never
rewritten once written, so saving hard-links the index's own files and copies nothing, and loading hard-links the
snapshot's files into the loading index's own folder: every process owns and removes its own links, and none can
pull a file from under another. A snapshot made by another recipe is ignored. Locking, generations and erasure are
snapshot_files.py's.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from triage.lineage import sound_runs
from triage.lineage.sound_index import Saved, SoundIndex
from triage.service import snapshot_files
from triage.service.snapshot_files import SNAPSHOT, Manifest, drop, generation, link_in, plain_name

_FORMAT = 1
__all__ = ["SNAPSHOT", "drop", "generation", "load", "save"]


def save(index: SoundIndex, folder: Path, recipe: str, since: str) -> bool:
    """Keep the index's merged part as the snapshot in `folder`, in place of the one there; False when the index
    cannot be saved as it stands (SoundIndex.saved) or the generation moved on since `since` (an erasure)."""
    saved = index.saved()
    if saved is None:
        return False

    def link(into: Path) -> Manifest:
        names = [uuid.uuid4().hex for _ in saved.runs]
        for run, name in zip(saved.runs, names, strict=True):
            _link_run(run, into / name)
        return {"format": _FORMAT, "recipe": recipe, "per_value": saved.per_value, "keys": saved.keys,
                "durations": saved.durations,
                "runs": [{"folder": name, "count": len(run)} for run, name in zip(saved.runs, names, strict=True)]}

    return snapshot_files.save(folder, since, "sound index", link)


def load(folder: Path, recipe: str, parent: Path) -> SoundIndex | None:
    """A new index (its own files under `parent`, like SoundIndex(folder=parent)) holding the snapshot in `folder`;
    None when there is none, or it was made by another recipe or cannot be read (the caller builds the index)."""

    def opened(manifest: Manifest) -> SoundIndex:
        index = SoundIndex(folder=parent)
        assert index.folder is not None
        try:
            runs = [_linked_in(folder / run["folder"], index.folder / run["folder"], run["count"])
                    for run in manifest["runs"]]
        except (OSError, ValueError):
            index.close()
            raise
        index.restore(Saved(runs, manifest["keys"], manifest["durations"], float(manifest["per_value"])))
        return index

    return snapshot_files.load(folder, recipe, "sound index", _valid, opened)


def _valid(manifest: Manifest) -> bool:
    """Whether the manifest has the shape this module writes (runs named by plain folder names, keys and seconds
    alike)."""
    return bool(manifest["format"] == _FORMAT and len(manifest["keys"]) == len(manifest["durations"]) and
                len(manifest["runs"]) >= 1 and
                all(plain_name(run["folder"]) and int(run["count"]) >= 0 for run in manifest["runs"]))


def _link_run(run: sound_runs.Postings, target: Path) -> None:
    """The run's files in `target`: hard links, or copies read from the run's open files (another file system, or
    files a sweep of tmp/ has unlinked while the run kept them open)."""
    assert run.folder is not None
    target.mkdir()
    for name, _ in sound_runs.FIELDS:
        file = f"{name}.bin"
        try:
            os.link(run.folder / file, target / file)
        except OSError:
            opened = run.files.get(name)
            if opened is None and len(run):
                raise
            with open(target / file, "wb") as out:
                if opened is not None:
                    opened.seek(0)
                    shutil.copyfileobj(opened, out)


def _linked_in(source: Path, target: Path, count: int) -> sound_runs.Postings:
    """The snapshot's run in `source` linked into `target` (the loading index's folder) and opened there."""
    link_in(source, target, {f"{name}.bin": count * np.dtype(dtype).itemsize for name, dtype in sound_runs.FIELDS})
    return sound_runs.open_run(target, count)
