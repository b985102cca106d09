"""A saved picture index: loaded in another process's folder it is the index that was saved (the same postings,
lookups, keys and frames, and the same index after more adds and removals); erased videos never come back; a
snapshot of another recipe or damaged files is not loaded; every process owns its own links."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from tests.lineage.test_pictures import _random_track
from triage.lineage.frame_track import FrameTrack
from triage.lineage.picture_index import PictureIndex
from triage.service import picture_snapshot

FIELDS = ("starts", "ids", "times", "views")


def _index(folder: Path, stored: dict[str, FrameTrack]) -> PictureIndex:
    # on disk past 20,000 postings: about a dozen of these videos
    return PictureIndex(folder=folder, disk_above=20_000, track_of=stored.get)


def _built(tmp_path: Path, stored: dict[str, FrameTrack], videos: int = 40) -> PictureIndex:
    """An index on disk of `videos` random tracks (stored as the service stores them), some removed, all merged."""
    rng = np.random.default_rng(videos)
    index = _index(tmp_path / "tmp", stored)
    for n in range(videos):
        stored[f"v{n}"] = _random_track(rng, int(rng.integers(40, 400)))
        index.add(f"v{n}", stored[f"v{n}"])
        if n % 9 == 4:
            index.remove(f"v{n - 3}")
    index.compact()  # removed videos' postings gone: it can be saved
    assert index.on_disk
    return index


def _same_index(a: PictureIndex, b: PictureIndex) -> None:
    for field in FIELDS:
        assert np.array_equal(getattr(a._main, field), getattr(b._main, field)), field
    assert a.indexed() == b.indexed() and len(a) == len(b)
    assert all(a.number(key) == b.number(key) and a._frames[a.number(key)] == b._frames[b.number(key)]
               for key in a.indexed())
    keys = np.asarray(a._main.keys())[::37]
    assert all(np.array_equal(x, y) for x, y in zip(a.lookup(keys), b.lookup(keys), strict=True))


def test_a_loaded_snapshot_is_the_saved_index_and_goes_on_like_it(tmp_path: Path) -> None:
    stored: dict[str, FrameTrack] = {}
    index = _built(tmp_path, stored)
    assert picture_snapshot.save(index, tmp_path / "snap", "r1", since="")
    loaded = picture_snapshot.load(tmp_path / "snap", "r1", tmp_path / "tmp2", stored.get)
    assert loaded is not None and loaded.folder is not None and loaded.folder.parent == tmp_path / "tmp2"
    assert loaded.on_disk and not loaded._tracks  # it reads tracks when a match checks them
    _same_index(loaded, index)
    rng = np.random.default_rng(3)
    for n in range(20):  # more adds, removals and merges: still the same index
        stored[f"w{n}"] = _random_track(rng, 300)
        for one in (index, loaded):
            one.add(f"w{n}", stored[f"w{n}"])
            if n % 5 == 2:
                one.remove(f"v{n}")
    for one in (index, loaded):
        one.compact()
    _same_index(loaded, index)


def test_each_process_owns_its_links_and_the_snapshot_outlives_them(tmp_path: Path) -> None:
    stored: dict[str, FrameTrack] = {}
    index = _built(tmp_path, stored)
    assert picture_snapshot.save(index, tmp_path / "snap", "r1", since="")
    index.close()  # the saving index's own files gone: the snapshot's links still hold the postings
    first = picture_snapshot.load(tmp_path / "snap", "r1", tmp_path / "a", stored.get)
    second = picture_snapshot.load(tmp_path / "snap", "r1", tmp_path / "b", stored.get)
    assert first is not None and second is not None
    first.close()
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
    again = picture_snapshot.load(tmp_path / "snap", "r1", tmp_path / "c", stored.get)
    assert again is not None
    _same_index(again, second)


def test_pending_videos_are_left_out_and_caught_up_by_the_loader(tmp_path: Path) -> None:
    stored: dict[str, FrameTrack] = {}
    index = _built(tmp_path, stored)
    stored["late"] = _random_track(np.random.default_rng(1), 50)
    index.add("late", stored["late"])  # pending, in memory
    assert picture_snapshot.save(index, tmp_path / "snap", "r1", since="")
    loaded = picture_snapshot.load(tmp_path / "snap", "r1", tmp_path / "tmp2", stored.get)
    assert loaded is not None and "late" not in loaded and loaded.indexed() == index.indexed() - {"late"}
    assert loaded.number("v0") == index.number("v0")


def test_no_snapshot_while_removed_postings_remain_or_adds_are_deferred_or_in_memory(tmp_path: Path) -> None:
    stored: dict[str, FrameTrack] = {}
    index = _built(tmp_path, stored)
    index.remove("v0")  # merged: its postings stay until the next merge
    assert not picture_snapshot.save(index, tmp_path / "snap", "r1", since="")
    index.compact()
    with index.adds_deferred():
        assert index.saved() is None
    assert picture_snapshot.save(index, tmp_path / "snap", "r1", since="")
    small = PictureIndex(folder=tmp_path / "small", track_of=stored.get)  # in memory: nothing on disk to keep
    small.add("v1", stored["v1"])
    small.compact()
    assert not picture_snapshot.save(small, tmp_path / "snap2", "r1", since="")
    holding = PictureIndex(folder=tmp_path / "holding", disk_above=0)  # holds its tracks: a loaded one could not
    holding.add("v1", stored["v1"])
    holding.compact()
    assert holding.on_disk and not picture_snapshot.save(holding, tmp_path / "snap3", "r1", since="")


def test_a_drop_removes_the_snapshot_and_refuses_a_save_begun_before_it(tmp_path: Path) -> None:
    stored: dict[str, FrameTrack] = {}
    index = _built(tmp_path, stored)
    snap = tmp_path / "snap"
    assert picture_snapshot.save(index, snap, "r1", since="")
    since = picture_snapshot.generation(snap)  # a process reads this, then the database (an erased video still in)
    picture_snapshot.drop(snap)  # the erasure
    assert picture_snapshot.load(snap, "r1", tmp_path / "tmp2", stored.get) is None
    assert not [p for p in snap.iterdir() if p.is_dir()]
    assert not picture_snapshot.save(index, snap, "r1", since)
    assert picture_snapshot.save(index, snap, "r1", picture_snapshot.generation(snap))  # one begun after it lands


def test_a_new_save_replaces_the_old_folder(tmp_path: Path) -> None:
    stored: dict[str, FrameTrack] = {}
    index = _built(tmp_path, stored)
    snap = tmp_path / "snap"
    assert picture_snapshot.save(index, snap, "r1", since="")
    before = {p for p in snap.iterdir() if p.is_dir()}
    rng = np.random.default_rng(2)
    for n in range(30):
        stored[f"more{n}"] = _random_track(rng, 400)
        index.add(f"more{n}", stored[f"more{n}"])
    index.compact()
    assert picture_snapshot.save(index, snap, "r1", since="")
    after = {p for p in snap.iterdir() if p.is_dir()}
    assert len(before) == len(after) == 1 and not before & after


def test_another_recipe_or_damaged_files_are_not_loaded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    stored: dict[str, FrameTrack] = {}
    snap = tmp_path / "snap"
    assert picture_snapshot.save(_built(tmp_path, stored), snap, "r1", since="")
    assert picture_snapshot.load(snap, "another recipe", tmp_path / "tmp2", stored.get) is None
    part = next(p for p in snap.iterdir() if p.is_dir())
    starts = np.fromfile(part / "starts.bin", dtype=np.int64)
    starts[5:9] = starts[9]  # offsets that no longer add up (the sizes still do)
    starts[7] = starts[-1] + 1
    starts.tofile(part / "starts.bin")
    with caplog.at_level(logging.WARNING):
        assert picture_snapshot.load(snap, "r1", tmp_path / "tmp2", stored.get) is None
    assert "cannot be read" in caplog.text
    assert not (tmp_path / "tmp2").exists() or not any((tmp_path / "tmp2").iterdir())  # its links went with it
    with open(part / "ids.bin", "r+b") as f:
        f.truncate(12)  # a disk that lost the end of a file
    assert picture_snapshot.load(snap, "r1", tmp_path / "tmp3", stored.get) is None
    (snap / picture_snapshot.SNAPSHOT).write_text('{"format": 1, "folder": "../x", "count": 1, "keys": [], '
                                                  '"frames": []}')
    assert picture_snapshot.load(snap, "r1", tmp_path / "tmp4", stored.get) is None


def test_a_save_that_cannot_link_keeps_the_snapshot_before(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    stored: dict[str, FrameTrack] = {}
    index = _built(tmp_path, stored)
    snap = tmp_path / "snap"
    assert picture_snapshot.save(index, snap, "r1", since="")
    before = {p.name for p in snap.iterdir() if p.is_dir()}
    rng = np.random.default_rng(4)
    for n in range(30):
        stored[f"more{n}"] = _random_track(rng, 400)
        index.add(f"more{n}", stored[f"more{n}"])
    index.compact()
    assert index.main_folder is not None
    (index.main_folder / "views.bin").unlink()  # a sweep of tmp/ took a file from under the index
    with caplog.at_level(logging.WARNING):
        assert not picture_snapshot.save(index, snap, "r1", since="")
    assert "could not save" in caplog.text
    assert {p.name for p in snap.iterdir() if p.is_dir()} == before  # what it linked went; the old one stays
    loaded = picture_snapshot.load(snap, "r1", tmp_path / "tmp2", stored.get)
    assert loaded is not None and "more0" not in loaded and "v0" in loaded
