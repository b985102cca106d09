"""The service's saved sound and picture indexes: a process that catches up with many recordings or videos saves
them, the next process starts from them without reading those pieces' peaks or frame tracks and finds the same
reuses; a saved piece no longer in the archive leaves the loaded index; an erasure drops the snapshots."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from tests.lineage.helpers import melody, noise, place
from triage import runtime
from triage.config import Settings
from triage.lineage import picture_index, sound_index
from triage.lineage.frame_track import FrameTrack
from triage.lineage.landmarks import find_peaks
from triage.lineage.types import Reuse
from triage.service import lineage_prints, lineage_update
from triage.service.lineage_prints import FRAMES, PEAKS, prints_of
from triage.service.lineage_update import forget_archive, rebuild_lineage, update_lineage
from triage.store.schema import Artifact, Content
from triage.store.store import Store

SR = 16_000


@pytest.fixture
def store(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(sound_index, "DISK_ABOVE", 3_000)  # a dozen tunes count as a big archive
    monkeypatch.setattr(sound_index, "PENDING_MAX", 1_000)
    monkeypatch.setattr(sound_index, "MERGE_FLOOR", 1_000)
    monkeypatch.setattr(lineage_update, "_SAVE_AFTER", 5)
    opened = runtime.open_store(settings)
    forget_archive(opened)
    yield opened
    forget_archive(opened)
    opened.close()


def _tunes(store: Store) -> dict[str, str]:
    """Ten tunes with their peaks stored, and a remix holding 8 s of the third under noise. Name -> sha."""
    audio = {f"tune{i}": melody(20.0, seed=20 + i) for i in range(10)}
    audio["remix"] = place(20.0, (5.0, audio["tune2"][3 * SR:11 * SR]), (0.0, noise(20.0, seed=3, level=0.05)))
    return {name: _stored_tune(store, name, sound) for name, sound in audio.items()}


def _stored_tune(store: Store, name: str, sound: np.ndarray) -> str:
    """A ready recording with its peaks stored, as ingest leaves it; its sha."""
    sha = hashlib.sha256(name.encode()).hexdigest()
    with store.db.session() as session:
        session.add(Content(sha256=sha, size=1, media_type="audio", probe={"duration": 20.0}, status="ready"))
    lineage_prints._save(store, [(sha, PEAKS, find_peaks(sound).to_bytes())])
    return sha


def _found(store: Store, sha: str) -> list[Reuse]:
    return lineage_update.match(lineage_update._archive(store), prints_of(store, [sha])[sha])


def _snapshot(store: Store) -> Path:
    return store.data_dir / "lineage" / "sound" / "snapshot.json"


def _peak_files(store: Store, shas: list[str]) -> list[Path]:
    with store.db.session() as session:
        return [store.files.resolve(str(art.path)) for art in session.query(Artifact)
                .filter(Artifact.kind == PEAKS, Artifact.sha256.in_(shas))]


def test_the_next_process_starts_from_the_saved_sound_and_finds_the_same(store: Store) -> None:
    shas = _tunes(store)
    update_lineage(store, [shas["remix"]])  # catches up with 11 recordings: saves them
    assert _snapshot(store).is_file()
    first = _found(store, shas["remix"])
    assert [r.source for r in first] == [shas["tune2"]]
    forget_archive(store)  # a new process
    for path in _peak_files(store, [sha for name, sha in shas.items() if name != "remix"]):
        path.unlink()  # only the snapshot holds the tunes' sound now
    saved_at = _snapshot(store).stat().st_mtime_ns
    update_lineage(store, [shas["remix"]])
    assert _found(store, shas["remix"]) == first
    assert _snapshot(store).stat().st_mtime_ns == saved_at  # nothing new indexed: not saved again


def test_a_process_that_merges_its_main_part_saves_again_and_the_old_files_go(store: Store) -> None:
    shas = _tunes(store)
    update_lineage(store, [shas["remix"]])
    forget_archive(store)  # a new process: it loads the snapshot, then uploads come one by one
    runs = {p.name for p in _snapshot(store).parent.iterdir() if p.is_dir()}
    main = lineage_update._archive(store).sound.main_folder
    for n in range(6):
        update_lineage(store, [_stored_tune(store, f"upload{n}", melody(20.0, seed=60 + n))])
    assert lineage_update._archive(store).sound.main_folder != main  # merged: a new main part
    now = {p.name for p in _snapshot(store).parent.iterdir() if p.is_dir()}
    assert now and not now & runs  # saved again, and the old runs' links removed
    forget_archive(store)
    assert 11 < len(lineage_update._archive(store).sound) <= 17  # uploads merged since are in it; pending ones not
    update_lineage(store, [shas["remix"]])
    assert len(lineage_update._archive(store).sound) == 17


def _restarted_without(store: Store, source: str, user: str) -> None:
    """Match `user` (saving the indexes), start a new process, fail `source`, match `user` again."""
    update_lineage(store, [user])
    forget_archive(store)
    with store.db.session() as session:  # the source failed a re-analysis (or was erased while this one slept)
        session.get(Content, source).status = "failed"
    update_lineage(store, [user])


def _an_erasure_finished(store: Store) -> None:
    """What an erasure killed after its transaction leaves for the next one to finish, finished."""
    from triage.service.erase import _finish_pending

    gone = hashlib.sha256(b"an erased piece").hexdigest()  # its rows went in the erasure's transaction
    (store.data_dir / "erasing.json").write_text(f'["{gone}"]')
    _finish_pending(store)


def test_a_saved_piece_gone_from_the_archive_leaves_the_loaded_index(store: Store) -> None:
    shas = _tunes(store)
    _restarted_without(store, shas["tune2"], shas["remix"])
    assert _found(store, shas["remix"]) == []
    assert shas["tune2"] not in lineage_update._archive(store).sound


def test_a_rebuild_saves_the_index_it_built(store: Store) -> None:
    shas = _tunes(store)
    rebuild_lineage(store)
    assert _snapshot(store).is_file()
    first = _found(store, shas["remix"])
    forget_archive(store)
    assert lineage_update._archive(store).sound.indexed() == set(shas.values())
    assert _found(store, shas["remix"]) == first and first


def test_an_erasure_drops_the_saved_sound(store: Store) -> None:
    shas = _tunes(store)
    update_lineage(store, [shas["remix"]])
    assert _snapshot(store).is_file()
    _an_erasure_finished(store)
    assert not _snapshot(store).exists()


def test_a_catch_up_cut_short_leaves_no_half_built_index(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    shas = _tunes(store)
    first_try = lineage_update._archive(store)

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(sound_index.SoundIndex, "compact", full_disk)
        with pytest.raises(OSError):
            update_lineage(store, [shas["remix"]])
    assert lineage_update._archive(store) is not first_try  # dropped: the next match builds it again
    update_lineage(store, [shas["remix"]])
    assert [r.source for r in _found(store, shas["remix"])] == [shas["tune2"]]


@pytest.fixture
def videos(store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Ten videos with their frame tracks stored, and a remix showing 5 s of the third. Name -> sha. The picture
    index moves to disk past 100 postings, and merges what is pending past 10 frames: ten short videos are big."""
    from tests.lineage.test_pictures import FPS, moving, track

    monkeypatch.setattr(picture_index, "DISK_ABOVE", 100)
    monkeypatch.setattr(picture_index, "_PENDING_FLOOR", 10)
    frames = {f"video{i}": moving(6.0, seed=200 + i) for i in range(10)}
    frames["remix"] = np.concatenate([moving(4.0, seed=60), frames["video2"][1 * FPS:6 * FPS], moving(3.0, seed=61)])
    shas = {}
    for name, video in frames.items():
        shas[name] = hashlib.sha256(name.encode()).hexdigest()
        with store.db.session() as session:
            session.add(Content(sha256=shas[name], size=1, media_type="video", probe={"duration": 6.0},
                                status="ready"))
        lineage_prints._save(store, [(shas[name], FRAMES, track(video, tmp_path / f"{name}.mp4").to_bytes())])
    return shas


def _tracks_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a stored frame track is read."""
    reads: list[int] = []
    original = FrameTrack.from_bytes

    def counted(data: bytes) -> FrameTrack:
        reads.append(1)
        return original(data)

    monkeypatch.setattr(FrameTrack, "from_bytes", staticmethod(counted))
    return reads


def test_the_next_process_starts_from_the_saved_pictures_and_finds_the_same(
        store: Store, videos: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    update_lineage(store, [videos["remix"]])  # catches up with 11 videos: saves their postings
    assert (store.data_dir / "lineage" / "pictures" / "snapshot.json").is_file()
    first = _found(store, videos["remix"])
    assert [r.source for r in first] == [videos["video2"]]
    forget_archive(store)  # a new process
    archive = lineage_update._archive(store)
    # every video merged before the save: the new process holds them all, and reads no track to catch up
    assert len(archive.pictures) == 11 and archive.pictures.on_disk and not archive.pictures._tracks
    reads = _tracks_read(monkeypatch)
    lineage_update._caught_up(store, archive)
    assert reads == []
    assert _found(store, videos["remix"]) == first


def test_an_erasure_drops_the_saved_pictures_and_a_gone_video_leaves_the_loaded_index(
        store: Store, videos: dict[str, str]) -> None:
    _restarted_without(store, videos["video2"], videos["remix"])
    assert _found(store, videos["remix"]) == []
    assert videos["video2"] not in lineage_update._archive(store).pictures
    assert (store.data_dir / "lineage" / "pictures" / "snapshot.json").is_file()
    _an_erasure_finished(store)
    assert not (store.data_dir / "lineage" / "pictures" / "snapshot.json").exists()
