"""The sound index on disk: the same sorted postings and the same lookups as in memory, whatever the order of
adds, removals, spills and merges, with its files owned and removed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from triage.lineage import sound_runs
from triage.lineage.landmarks import Landmarks
from triage.lineage.sound_index import SoundIndex


def _landmarks(rng: np.random.Generator, count: int) -> Landmarks:
    # few distinct values, so hashes repeat across pieces and inside one, and some become stop words
    hashes = rng.choice(rng.integers(0, 2**32, 3000, dtype=np.uint64), count).astype(np.uint32)
    times = np.sort(rng.uniform(0, 60, count)).astype(np.float32)
    return Landmarks(hashes, times, 60.0)


def _history(seed: int) -> list[tuple[str, str, Landmarks | None]]:
    """Adds of 120 pieces, some re-added and some removed along the way."""
    rng = np.random.default_rng(seed)
    steps: list[tuple[str, str, Landmarks | None]] = []
    for n in range(120):
        steps.append(("add", f"p{n}", _landmarks(rng, int(rng.integers(2000, 30000)))))
        if n % 17 == 5:
            steps.append(("remove", f"p{n - 3}", None))
        if n % 23 == 7:
            steps.append(("add", f"p{n - 6}", _landmarks(rng, 8000)))  # replaced: a new number
    return steps


def _built(steps: list[tuple[str, str, Landmarks | None]], **options: object) -> SoundIndex:
    index = SoundIndex(**options)  # type: ignore[arg-type]
    for what, key, marks in steps:
        if what == "add":
            assert marks is not None
            index.add(key, marks)
        else:
            index.remove(key)
    return index


@pytest.mark.parametrize(("seed", "bucket"), [(1, 1 << 20), (2, 997)])
def test_on_disk_the_postings_and_lookups_are_those_in_memory(tmp_path: Path, seed: int, bucket: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sound_runs, "BUCKET", bucket)  # merged in one bucket, or in thousands
    steps = _history(seed)
    memory = _built(steps)
    disk = _built(steps, folder=tmp_path / "sound", disk_above=300_000, pending_max=100_000)
    assert disk._on_disk() and disk._runs  # it spilled runs and has not merged them all yet
    rng = np.random.default_rng(seed + 10)
    values = np.concatenate([memory._main.hashes[rng.integers(0, len(memory._main.hashes), 400)],
                             rng.integers(0, 2**32, 50, dtype=np.uint64).astype(np.uint32)])
    for index in (memory, disk):
        index.compact()
    assert isinstance(disk._main.hashes, np.memmap) and not disk._runs
    for field in ("hashes", "ids", "times"):
        assert np.array_equal(np.asarray(getattr(disk._main, field)), getattr(memory._main, field)), field
    assert disk._per_value == pytest.approx(memory._per_value)
    for a, b in zip(disk.lookup(values), memory.lookup(values), strict=True):
        assert np.array_equal(a, b)
    assert len(disk) == len(memory) and disk.key(5) == memory.key(5)


def test_lookups_before_the_runs_are_merged_count_stop_words_over_all_of_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    index = SoundIndex(folder=tmp_path / "sound")
    for n in range(4):  # four runs, each with one piece saying hash 7 sixty times: under the bar of 100 alone
        index.add(f"p{n}", Landmarks(np.concatenate([np.full(60, 7, np.uint32), _landmarks(rng, 500).hashes]),
                                     np.sort(rng.uniform(0, 60, 560)).astype(np.float32), 60.0))
        index._spill()
    assert len(index._runs) == 4 and index._common() == 100
    rows, _, _ = index.lookup(np.array([7], dtype=np.uint32))
    assert len(rows) == 0  # 240 postings in all: a stop word, as in one merged array


def test_merges_write_new_files_and_drop_the_old_ones_and_close_removes_them_all(tmp_path: Path) -> None:
    folder = tmp_path / "sound"
    disk = _built(_history(4), folder=folder, disk_above=300_000, pending_max=100_000)
    [own] = list(folder.iterdir())  # the index's own folder: several indexes may share `folder`
    live = {p.folder for p in [disk._main, *disk._runs]}
    assert set(own.iterdir()) == live
    disk.compact()
    assert set(own.iterdir()) == {disk._main.folder}
    disk.close()
    assert not own.exists() and len(disk._main) == 0
    again = _built(_history(4)[:50], folder=folder, disk_above=300_000, pending_max=100_000)
    assert again._on_disk()
    del again  # dropped without close(): its files go with it
    import gc

    gc.collect()
    assert list(folder.iterdir()) == []


def test_a_folder_removed_under_the_index_is_made_again_at_the_next_merge(tmp_path: Path) -> None:
    folder = tmp_path / "tmp" / "sound"
    disk = _built(_history(5)[:60], folder=folder, disk_above=300_000, pending_max=100_000)
    before = disk.lookup(disk._main.hashes[:100].copy())
    import shutil

    shutil.rmtree(tmp_path / "tmp")  # a sweep of the data dir's tmp/ by another process: the maps still read
    assert all(np.array_equal(a, b) for a, b in zip(disk.lookup(disk._main.hashes[:100].copy()), before,
                                                       strict=True))
    for what, key, marks in _history(5)[60:]:
        disk.add(key, marks) if what == "add" and marks is not None else disk.remove(key)
    disk.compact()
    assert disk._main.folder is not None and disk._main.folder.is_dir()


def test_an_index_without_a_folder_or_under_the_bar_stays_in_memory(tmp_path: Path) -> None:
    small = _built(_history(6)[:20], folder=tmp_path / "sound")
    small.compact()
    assert not small._on_disk() and not (tmp_path / "sound").exists()
    assert not sound_runs.empty().folder


def _adds_only(seed: int) -> list[tuple[str, str, Landmarks | None]]:
    """_history's pieces from the 41st on, each added once: no removals."""
    first = {step[1]: step for step in reversed(_history(seed)) if step[0] == "add" and int(step[1][1:]) > 40}
    return sorted(first.values(), key=lambda step: int(step[1][1:]))


def _same_index(a: SoundIndex, b: SoundIndex) -> None:
    assert len(a._runs) == len(b._runs) and a._per_value == b._per_value and list(a._waiting) == list(b._waiting)
    for part_a, part_b in zip([a._main, *a._runs], [b._main, *b._runs], strict=True):
        for field in ("hashes", "ids", "times"):
            assert np.array_equal(np.asarray(getattr(part_a, field)), np.asarray(getattr(part_b, field))), field
    values = np.asarray(a._main.hashes)[:: max(1, len(a._main) // 300)]  # type: ignore[union-attr]
    for x, y in zip(a.lookup(values), b.lookup(values), strict=True):
        assert np.array_equal(x, y)


@pytest.mark.parametrize("seed", [1, 2])
def test_adds_with_merges_deferred_build_the_index_one_at_a_time_builds_writing_less(
        tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process catching up adds thousands of pieces: with merges deferred, the main part is merged once instead of
    each time it grows by a quarter, and the index (main part, runs, pending pieces, stop-word bar, lookups) is the
    one the adds give one at a time, from an empty index and from one already on disk (with removed pieces' postings
    still in it, merges go on as usual)."""
    merged: list[int] = []
    merge = sound_runs.merge

    def counting(runs: list[sound_runs.Postings], dead: np.ndarray, parent: Path) -> tuple[sound_runs.Postings, int]:
        merged.append(sum(len(run) for run in runs))
        return merge(runs, dead, parent)

    monkeypatch.setattr(sound_runs, "merge", counting)
    options: dict[str, object] = {"disk_above": 300_000, "pending_max": 100_000}
    on_disk = [(what, f"old{key}", marks) for what, key, marks in _adds_only(seed + 5)[:25]]
    with_removals = _history(seed + 5)[:40]  # their postings still merged: merges are not deferred, same index
    for start in ([], on_disk, with_removals):
        one_by_one = _built(start + _adds_only(seed), folder=tmp_path / "one", **options)
        written_one = sum(merged)
        merged.clear()
        deferred = _built(start, folder=tmp_path / "deferred", **options)
        with deferred.merges_deferred():
            for _, key, marks in _adds_only(seed):
                assert marks is not None
                deferred.add(key, marks)
        assert deferred._on_disk()
        _same_index(deferred, one_by_one)
        if start is not with_removals:
            assert sum(merged) < written_one / 2, (sum(merged), written_one)
        merged.clear()


def test_a_deferred_merge_of_many_runs_merges_the_newest_first_to_the_same_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each run holds three files open: past _MAX_PARTS runs a deferred merge merges its newest ones at once (an
    intermediate run), and the index is still the one the adds give one at a time."""
    from triage.lineage import sound_index

    steps = _adds_only(4)
    one_by_one = _built(steps, folder=tmp_path / "one", disk_above=300_000, pending_max=50_000)
    monkeypatch.setattr(sound_index, "_MAX_PARTS", 3)
    deferred = SoundIndex(folder=tmp_path / "deferred", disk_above=300_000, pending_max=50_000)
    most = 0
    with deferred.merges_deferred():
        for _, key, marks in steps:
            assert marks is not None
            deferred.add(key, marks)
            most = max(most, *(len(sound_index._parts(part)) for part in [deferred._main, *deferred._runs]))
    assert 2 <= most <= 3  # merges were planned, never over three runs
    _same_index(deferred, one_by_one)


def test_a_removal_while_merges_are_deferred_merges_first(tmp_path: Path) -> None:
    steps = _adds_only(3)
    one_by_one = _built(steps + [("remove", steps[30][1], None)], folder=tmp_path / "one", disk_above=300_000,
                        pending_max=100_000)
    deferred = SoundIndex(folder=tmp_path / "deferred", disk_above=300_000, pending_max=100_000)
    with deferred.merges_deferred():
        for _, key, marks in steps:
            assert marks is not None
            deferred.add(key, marks)
        deferred.remove(steps[30][1])
        assert not deferred._deferring
    _same_index(deferred, one_by_one)


def test_a_merge_of_many_small_runs_reads_buckets_of_about_the_bucket_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes crowd into part of their range; with one cut a run, 60 runs of 1,500 postings were cut near one
    median. The cuts are quantiles over all runs, so no bucket is much over BUCKET, and the merge is one sort."""
    monkeypatch.setattr(sound_runs, "BUCKET", 1000)
    rng = np.random.default_rng(8)
    runs = []
    for number in range(60):
        hashes = np.sort((rng.pareto(1.5, 1500) * 1e5).astype(np.uint32))
        runs.append(sound_runs.write_run(tmp_path, sound_runs.Postings(
            hashes, np.full(1500, number, np.int32), rng.uniform(0, 60, 1500).astype(np.float32))))
    edges = sound_runs._edges(runs)
    everything = np.sort(np.concatenate([np.asarray(run.hashes) for run in runs]))
    sizes = np.diff(np.concatenate([[0], np.searchsorted(everything, edges), [len(everything)]]))
    assert sizes.max() <= 2 * 1000 + np.unique(everything, return_counts=True)[1].max(), sizes.max()
    merged, distinct = sound_runs.merge(runs, np.zeros(60, dtype=bool), tmp_path)
    order = np.argsort(np.concatenate([np.asarray(run.hashes) for run in runs]), kind="stable")
    assert np.array_equal(np.asarray(merged.ids), np.concatenate([np.asarray(run.ids) for run in runs])[order])
    assert np.array_equal(np.asarray(merged.hashes), everything) and distinct == len(np.unique(everything))
