"""Where the lineage archive's big indexes live in a data dir: their sorted postings under tmp/ while a process uses
them, and their saved copies under lineage/ between processes (sound_snapshot.py, picture_snapshot.py). Saved copies
are derived data, made again from the stored fingerprints: not in backups, dropped by an erasure, and a copy made by
another recipe is not loaded.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from triage.lineage import landmarks, picture_index
from triage.lineage.picture_index import PictureIndex
from triage.lineage.sound_index import SoundIndex
from triage.service import picture_snapshot, snapshot_files, sound_snapshot
from triage.service.lineage_prints import FRAMES, MADE_BY, PEAKS, stored_track
from triage.store.store import Store

log = logging.getLogger(__name__)


def new_sound_index(store: Store) -> SoundIndex:
    """An empty sound index whose sorted postings go to the data dir's tmp/ once big (sound_index.DISK_ABOVE)."""
    return SoundIndex(folder=_sound_folder(store))


def new_picture_index(store: Store) -> PictureIndex:
    """An empty picture index whose postings go to the data dir's tmp/ once big (picture_index.DISK_ABOVE), and
    which reads merged videos' tracks from their stored artifacts when a match checks them."""
    return PictureIndex(folder=_pictures_folder(store), track_of=partial(stored_track, store))


def load_sound(store: Store, parent: Path | None = None) -> SoundIndex | None:
    """The saved sound index, its files linked under `parent` (the data dir's tmp/ by default); None when there is
    none or it cannot be loaded."""
    return sound_snapshot.load(_sound_dir(store), _sound_recipe(), parent or _sound_folder(store))


def load_pictures(store: Store, parent: Path | None = None) -> PictureIndex | None:
    """The saved picture index, as load_sound gives the sound index."""
    return picture_snapshot.load(_pictures_dir(store), _pictures_recipe(), parent or _pictures_folder(store),
                                 partial(stored_track, store))


def sound_generation(store: Store) -> str:
    """Read before the database, given to save_sound (see snapshot_files.py)."""
    return sound_snapshot.generation(_sound_dir(store))


def pictures_generation(store: Store) -> str:
    return picture_snapshot.generation(_pictures_dir(store))


def save_sound(store: Store, index: SoundIndex, since: str) -> bool:
    """Save the sound index for the next process; False when it cannot be saved as it stands or an erasure came
    since `since`."""
    saved = sound_snapshot.save(index, _sound_dir(store), _sound_recipe(), since)
    if saved:
        log.info("saved the sound index of %d recordings for the next process", len(index))
    return saved


def save_pictures(store: Store, index: PictureIndex, since: str) -> bool:
    """Save the picture index for the next process, as save_sound does the sound index."""
    saved = picture_snapshot.save(index, _pictures_dir(store), _pictures_recipe(), since)
    if saved:
        log.info("saved the picture index of %d videos for the next process", len(index))
    return saved


def drop_saved_indexes(store: Store) -> None:
    """Remove the saved sound and picture indexes (an erasure: they hold the erased pieces' postings); the next
    process that catches up with the archive saves new ones."""
    sound_snapshot.drop(_sound_dir(store))
    picture_snapshot.drop(_pictures_dir(store))


def unloadable_saved_indexes(store: Store) -> list[tuple[str, Path]]:
    """The saved indexes (kind, folder) that a new process would not load: damaged, or made by another recipe. It
    builds those again from the stored fingerprints, so they only take disk space (gigabytes at archive scale).
    Each is checked by loading it into a scratch folder, as a new process does."""
    saved: list[tuple[str, Path, Callable[[Store, Path], SoundIndex | PictureIndex | None]]] = [
        ("sound", _sound_dir(store), load_sound), ("picture", _pictures_dir(store), load_pictures)]
    found = []
    with tempfile.TemporaryDirectory(dir=store.files.tmp) as scratch:
        for kind, folder, load in saved:
            if not (folder / snapshot_files.SNAPSHOT).is_file():
                continue
            index = load(store, Path(scratch) / kind)
            if index is None:
                found.append((kind, folder))
            else:
                index.close()
    return found


def _sound_folder(store: Store) -> Path:
    return store.files.tmp / "lineage-sound"


def _pictures_folder(store: Store) -> Path:
    return store.files.tmp / "lineage-pictures"


def _sound_dir(store: Store) -> Path:
    return store.data_dir / "lineage" / "sound"


def _pictures_dir(store: Store) -> Path:
    return store.data_dir / "lineage" / "pictures"


def _sound_recipe() -> str:
    """What made a saved sound index's landmarks: the peaks' recipe and the landmarks' own (a digest of their
    output)."""
    return f"{MADE_BY[PEAKS]}+{landmarks.recipe()}"


def _pictures_recipe() -> str:
    """What made a saved picture index's postings: the frame tracks' recipe and the postings' own."""
    return f"{MADE_BY[FRAMES]}+{picture_index.RECIPE}"
