"""A saved sound index: loaded in another process's folder it is the index that was saved (the same postings,
lookups, keys and seconds, and the same index after more adds and removals); erased pieces never come back; a
snapshot of other landmarks or damaged files is not loaded; every process owns its own links."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from tests.lineage.test_sound_runs import _built, _history, _landmarks, _same_index
from triage.lineage.sound_index import SoundIndex
from triage.service import sound_snapshot

BARS = {"disk_above": 300_000, "pending_max": 100_000}


def _saved_index(tmp_path: Path) -> tuple[SoundIndex, Path]:
    index = _built(_history(8)[:90], folder=tmp_path / "tmp", **BARS)
    index.compact()  # removed pieces' postings gone: it can be saved
    assert sound_snapshot.save(index, tmp_path / "snap", "r1", since="")
    return index, tmp_path / "snap"


def test_a_loaded_snapshot_is_the_saved_index_and_goes_on_like_it(tmp_path: Path) -> None:
    index, snap = _saved_index(tmp_path)
    loaded = sound_snapshot.load(snap, "r1", tmp_path / "tmp2")
    assert loaded is not None and loaded.folder is not None and loaded.folder.parent == tmp_path / "tmp2"
    _same_index(loaded, index)
    assert loaded.indexed() == index.indexed() and len(loaded) == len(index)
    assert all(loaded.duration(loaded.number(k)) == index.duration(index.number(k)) for k in index.indexed())
    for what, key, marks in _history(8)[90:]:  # more adds, removals and merges: still the same index
        for one in (index, loaded):
            one.add(key, marks) if what == "add" and marks is not None else one.remove(key)
    for one in (index, loaded):
        one.compact()
    _same_index(loaded, index)


def test_each_process_owns_its_links_and_the_snapshot_outlives_them(tmp_path: Path) -> None:
    index, snap = _saved_index(tmp_path)
    index.close()  # the saving index's own files gone: the snapshot's links still hold the postings
    first = sound_snapshot.load(snap, "r1", tmp_path / "a")
    second = sound_snapshot.load(snap, "r1", tmp_path / "b")
    assert first is not None and second is not None
    first.compact()
    first.close()
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
    values = np.asarray(second._main.hashes)[::50]
    again = sound_snapshot.load(snap, "r1", tmp_path / "c")
    assert again is not None
    assert all(np.array_equal(x, y) for x, y in zip(again.lookup(values), second.lookup(values), strict=True))


def test_pending_pieces_are_left_out_and_caught_up_by_the_loader(tmp_path: Path) -> None:
    index = _built(_history(9)[:40], folder=tmp_path / "tmp", **BARS)
    index.compact()
    rng = np.random.default_rng(1)
    index.add("late", _landmarks(rng, 3000))  # pending, in memory
    assert sound_snapshot.save(index, tmp_path / "snap", "r1", since="")
    loaded = sound_snapshot.load(tmp_path / "snap", "r1", tmp_path / "tmp2")
    assert loaded is not None and "late" not in loaded and loaded.indexed() == index.indexed() - {"late"}


def test_no_snapshot_while_removed_postings_remain_or_merges_are_deferred_or_in_memory(tmp_path: Path) -> None:
    index = _built(_history(8)[:90], folder=tmp_path / "tmp", **BARS)
    index.compact()
    index.remove("p3")  # merged: its postings stay in the runs until the next merge
    assert not sound_snapshot.save(index, tmp_path / "snap", "r1", since="")
    index.compact()
    with index.merges_deferred():
        assert index.saved() is None
    assert sound_snapshot.save(index, tmp_path / "snap", "r1", since="")
    small = _built(_history(8)[:5])  # in memory: nothing on disk to keep
    assert not sound_snapshot.save(small, tmp_path / "snap2", "r1", since="")


def test_a_drop_removes_the_snapshot_and_refuses_a_save_begun_before_it(tmp_path: Path) -> None:
    index, snap = _saved_index(tmp_path)
    since = sound_snapshot.generation(snap)  # a process reads this, then the database (an erased piece still in)
    sound_snapshot.drop(snap)  # the erasure
    assert sound_snapshot.load(snap, "r1", tmp_path / "tmp2") is None
    assert not [p for p in snap.iterdir() if p.is_dir()]
    assert not sound_snapshot.save(index, snap, "r1", since)
    assert sound_snapshot.save(index, snap, "r1", sound_snapshot.generation(snap))  # one begun after it lands


def test_a_new_save_replaces_the_old_runs(tmp_path: Path) -> None:
    index, snap = _saved_index(tmp_path)
    before = {p for p in snap.iterdir() if p.is_dir()}
    rng = np.random.default_rng(2)
    for n in range(30):
        index.add(f"more{n}", _landmarks(rng, 20000))
    index.compact()
    assert sound_snapshot.save(index, snap, "r1", since="")
    after = {p for p in snap.iterdir() if p.is_dir()}
    assert not before & after and len(after) == 1 + len(index._runs)


def test_other_landmarks_or_damaged_files_are_not_loaded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _, snap = _saved_index(tmp_path)
    assert sound_snapshot.load(snap, "another recipe", tmp_path / "tmp2") is None
    run = next(p for p in snap.iterdir() if p.is_dir())
    with open(run / "ids.bin", "r+b") as f:
        f.truncate(12)  # a disk that lost the end of a file
    with caplog.at_level(logging.WARNING):
        assert sound_snapshot.load(snap, "r1", tmp_path / "tmp2") is None
    assert "cannot be read" in caplog.text
    assert not (tmp_path / "tmp2").exists() or not any((tmp_path / "tmp2").iterdir())  # its links went with it
    (snap / sound_snapshot.SNAPSHOT).write_text('{"format": 1, "runs": [{"folder": "../x", "count": 1}]}')
    assert sound_snapshot.load(snap, "r1", tmp_path / "tmp3") is None
