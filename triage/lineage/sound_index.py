"""The sound matcher's inverted index: every indexed piece's landmarks, sorted by hash.

Adds go to a small pending part that is merged into the sorted arrays when it grows, and removals are tombstones
until then, so ingest can add one piece at a time without re-sorting the whole archive. A lookup skips hashes too
common to be evidence (stop words). Given a folder, an index grown past `DISK_ABOVE` landmarks keeps its sorted
postings in files there instead of in memory (sound_runs.py), with the same lookups.
"""

from __future__ import annotations

import shutil
import uuid
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from triage.lineage import sound_runs
from triage.lineage.landmarks import Landmarks
from triage.lineage.sound_runs import Postings

# A hash with this many times the average postings (over the values in use) is a stop word: music's commonest
# intervals, a drone shared by many pieces. On 2,000 synthetic pieces the lookups above 4x held 56% of a tune's
# hits for 29% of its lookups, so skipping them halves the work for a share of the evidence that the other 71%
# make up for. Small indexes (under _COMMON_FLOOR postings a value) skip nothing.
_COMMON = 4
_COMMON_FLOOR = 100
# Past this many landmarks (100 MB of postings; about 1,700 pieces of a minute) an index given a folder keeps its
# sorted postings on disk: merging them in memory peaks at several times their size. Its pending pieces then stay
# under PENDING_MAX landmarks in memory: more go to disk as a sorted run of their own, merged with the rest once the
# runs hold a quarter of the archive.
DISK_ABOVE = 8_000_000
PENDING_MAX = 2_000_000
_MAX_RUNS = 8
# Pending landmarks below this are never merged for the sake of a quarter of the archive: a merge would cost more
# than the lookups of a small pending part save.
MERGE_FLOOR = 200_000
# A deferred merge holds at most this many runs (three open files each) before merging the newest of them: some
# systems allow a process 1,024 open files, and catching up with 100,000 recordings writes some 240 runs.
_MAX_PARTS = 64


def _postings(pieces: list[tuple[int, Landmarks]]) -> Postings:
    if not pieces:
        return sound_runs.empty()
    h = np.concatenate([lm.hashes for _, lm in pieces])
    ids = np.concatenate([np.full(len(lm.hashes), i, np.int32) for i, lm in pieces])
    t = np.concatenate([lm.times for _, lm in pieces])
    order = np.argsort(h, kind="stable")
    return Postings(h[order], ids[order], t[order])


@dataclass(frozen=True)
class _Planned:
    """A merge of runs on disk planned while merges are deferred (SoundIndex.merges_deferred): its parts, oldest
    first, and the removed pieces to leave out, as they were when it was planned."""

    parts: tuple[Postings, ...]
    dead: np.ndarray

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)


Part = Postings | _Planned


@dataclass(frozen=True)
class Saved:
    """What a snapshot keeps of an index on disk (service/sound_snapshot.py): its sorted runs, the main part first,
    and by piece number each piece's key and seconds (None for a number given up, or a piece not merged yet)."""

    runs: list[Postings]
    keys: list[str | None]
    durations: list[float | None]
    per_value: float


def _parts(part: Part) -> tuple[Postings, ...]:
    return part.parts if isinstance(part, _Planned) else (part,)


def _merge(a: Postings, b: Postings) -> Postings:
    """Two sorted posting lists as one (a stable sort of the two: runs already in order sort fast)."""
    h = np.concatenate([a.hashes, b.hashes])
    order = np.argsort(h, kind="stable")
    return Postings(h[order], np.concatenate([a.ids, b.ids])[order], np.concatenate([a.times, b.times])[order])


class SoundIndex:
    """Landmarks of many pieces by hash. Adds go to a small pending part merged in when it grows; removals are
    tombstones until then, so ingest can add one piece at a time without re-sorting the whole archive. Merged
    pieces live only in the sorted arrays (about 12 bytes a landmark): in memory, or, for an index given a
    `folder` once it holds more than `disk_above` landmarks, in files there (sound_runs.py) that the index owns."""

    def __init__(self, assets: Iterable[str] = (), *, folder: Path | None = None,
                 disk_above: int | None = None, pending_max: int | None = None) -> None:
        self.assets: set[str] = set(assets)
        self._folder = folder / uuid.uuid4().hex if folder is not None else None  # its own: others may share `folder`
        self._disk_above = DISK_ABOVE if disk_above is None else disk_above  # read now: tests lower the bars
        self._pending_max = PENDING_MAX if pending_max is None else pending_max
        if self._folder is not None:  # an index dropped without close() takes its files with it
            weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        self._runs: list[Part] = []  # on disk: sorted runs of pieces not merged into the main part yet
        self._keys: list[str | None] = []
        self._ids: dict[str, int] = {}
        self._durations: dict[int, float] = {}
        self._waiting: dict[int, Landmarks] = {}  # pending pieces, not merged yet
        self._main: Part = _postings([])
        self._pending: list[int] = []
        self._pending_count = 0  # landmarks in the pending pieces
        self._per_value = 0.0  # postings per distinct hash in the merged part
        self._pending_postings: Postings | None = None
        self._dead = np.zeros(1024, dtype=bool)  # grown by doubling: one flag per piece number ever given
        self._dead_merged = False  # whether a removed piece's postings are still in the merged part
        self._deferring = False

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def indexed(self) -> set[str]:
        """The keys of the pieces it holds."""
        return set(self._ids)

    def add(self, key: str, marks: Landmarks) -> None:
        """Index a piece's landmarks under `key` (replacing what it had)."""
        if key in self._ids:
            self.remove(key)
        number = len(self._keys)
        self._keys.append(key)
        self._ids[key] = number
        self._durations[number] = marks.duration
        self._waiting[number] = marks
        if number >= len(self._dead):
            self._dead = np.concatenate([self._dead, np.zeros(len(self._dead), dtype=bool)])
        self._pending.append(number)
        self._pending_count += len(marks.hashes)
        self._pending_postings = None
        # Merging re-sorts everything: only when the pending part is a good fraction of the whole, so adding n
        # pieces one by one costs O(n log n) sorting in all, and a lookup's pending part stays small.
        if self._pending_count > max(MERGE_FLOOR, self._merged_count() // 4):
            self.compact()
        elif self._on_disk() and self._pending_count > self._pending_max:
            self._spill()

    def remove(self, key: str) -> None:
        """Forget a piece (no error when absent)."""
        number = self._ids.pop(key, None)
        if number is None:
            return
        if self._deferring and number not in self._waiting:
            self._settle()  # a planned merge's length would count the removed piece's postings: merge now
        self._keys[number] = None
        self._durations.pop(number)
        self._dead[number] = True
        marks = self._waiting.pop(number, None)
        if marks is None:
            self._dead_merged = True
        else:
            self._pending.remove(number)
            self._pending_count -= len(marks.hashes)
            self._pending_postings = None

    def compact(self) -> None:
        """Merge the pending pieces and drop the removed ones from the sorted arrays."""
        if self._folder is not None and self._merged_count() + self._pending_count > self._disk_above:
            self._write_pending()
            self._merge_runs()
            return
        main = self._main
        assert isinstance(main, Postings)  # a merge is planned only on disk, past the bar
        alive = ~self._dead[main.ids]
        merged = Postings(main.hashes[alive], main.ids[alive], main.times[alive])
        self._main = _merge(merged, _postings(sorted(self._waiting.items())))
        self._clear_pending()
        self._dead_merged = False
        h = self._main.hashes
        values = int(np.count_nonzero(h[1:] != h[:-1])) + 1 if len(h) else 1
        self._per_value = len(h) / values

    @contextmanager
    def merges_deferred(self) -> Iterator[None]:
        """Within, merges of the runs on disk are planned, not done, and done on leaving: adding many pieces (a
        process catching up with the archive) then writes each posting two or three times, not once for every merge
        of the growing main part. The index is the one the same adds give one at a time: the merges are the same,
        with the same parts, only later. No lookups within. (An index holding removed pieces' postings, or a
        removal within, merges as usual: a planned part's length would count those postings.)"""
        self._deferring = not self._dead_merged
        try:
            yield
        finally:
            self._settle()

    def _settle(self) -> None:
        """Do the planned merges; merges are no longer deferred."""
        self._deferring = False
        if isinstance(self._main, _Planned):
            self._main, distinct = self._done(self._main)
            self._per_value = len(self._main) / max(distinct, 1)
        self._runs = [self._done(run)[0] if isinstance(run, _Planned) else run for run in self._runs]

    def _done(self, planned: _Planned) -> tuple[Postings, int]:
        assert self._folder is not None
        merged = sound_runs.merge(list(planned.parts), planned.dead, self._folder)
        for part in planned.parts:
            sound_runs.delete(part)
        return merged

    def close(self) -> None:
        """Remove the index's files (an index in memory has none); its merged part is empty afterwards."""
        self._main, self._runs = sound_runs.empty(), []
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _on_disk(self) -> bool:
        return isinstance(self._main, _Planned) or self._main.folder is not None

    def _merged_count(self) -> int:
        return len(self._main) + sum(len(run) for run in self._runs)

    def _clear_pending(self) -> None:
        self._waiting, self._pending, self._pending_count, self._pending_postings = {}, [], 0, None

    def _spill(self) -> None:
        """The pending pieces to disk as a sorted run of their own. Many runs are merged into one (the main part
        is not rewritten for that); all of them into the main part once they hold a quarter of the archive, as the
        pending part is in memory."""
        self._write_pending()
        if sum(len(r) for r in self._runs) > max(MERGE_FLOOR, len(self._main) // 4):
            self._merge_runs()
        elif len(self._runs) > _MAX_RUNS:
            self._runs = [self._merged(self._runs)[0]]

    def _write_pending(self) -> None:
        assert self._folder is not None
        if self._pending:
            self._runs.append(sound_runs.write_run(self._folder, _postings(sorted(self._waiting.items()))))
            self._clear_pending()

    def _merge_runs(self) -> None:
        merged, distinct = self._merged([self._main, *self._runs])
        self._main, self._runs, self._dead_merged = merged, [], False
        if isinstance(merged, Postings):
            self._per_value = len(merged) / max(distinct, 1)

    def _merged(self, runs: list[Part]) -> tuple[Part, int]:
        """`runs` (oldest first) as one new run without the removed pieces, and its distinct hashes, the old runs'
        files removed; or, while merges are deferred, that merge planned (its distinct hashes not known yet: 0)."""
        planned = _Planned(tuple(part for run in runs for part in _parts(run)), self._dead.copy())
        if self._deferring:
            while len(planned.parts) > _MAX_PARTS:  # their files are held open: the newest merged into one now
                # (with no removals while deferred, merging any neighbours first leaves the same postings)
                newest, _ = self._done(_Planned(planned.parts[-_MAX_PARTS:], planned.dead))
                planned = _Planned((*planned.parts[:-_MAX_PARTS], newest), planned.dead)
            return planned, 0
        return self._done(planned)

    @property
    def main_folder(self) -> Path | None:
        """The folder of the merged part's files (None in memory, or while a merge is planned)."""
        return self._main.folder if isinstance(self._main, Postings) else None

    @property
    def folder(self) -> Path | None:
        """The index's own folder (its runs' files), when it was given one."""
        return self._folder

    def saved(self) -> Saved | None:
        """The merged part as it stands, for a snapshot; None while merges are deferred, for an index in memory, and
        for one whose runs still hold a removed piece's postings (an erased piece must not outlive its erasure in a
        snapshot). Pending pieces are left out: a snapshot is caught up from the database when it is loaded."""
        runs = [self._main, *self._runs]
        if self._deferring or self._dead_merged or not self._on_disk() or \
                not all(isinstance(run, Postings) for run in runs):
            return None
        keys = [None if number in self._waiting else key for number, key in enumerate(self._keys)]
        durations = [None if key is None else self._durations[number] for number, key in enumerate(keys)]
        return Saved(cast(list[Postings], runs), keys, durations, self._per_value)

    def restore(self, saved: Saved) -> None:
        """Take a snapshot's merged part as this empty index's own: its runs must be files in `folder`, which the
        index then owns (merges and close() remove them)."""
        assert not self._keys and self._folder is not None, "restored into an empty index with a folder"
        assert all(run.folder is not None and run.folder.parent == self._folder for run in saved.runs)
        self._main, self._runs = saved.runs[0], list(saved.runs[1:])
        self._keys = list(saved.keys)
        self._ids = {key: number for number, key in enumerate(self._keys) if key is not None}
        self._durations = {number: s for number, s in enumerate(saved.durations) if s is not None}
        self._dead = np.zeros(max(1024, 2 * len(self._keys)), dtype=bool)
        self._dead[:len(self._keys)] = [key is None for key in self._keys]
        self._per_value = saved.per_value

    def number(self, key: str) -> int | None:
        return self._ids.get(key)

    def key(self, number: int) -> str | None:
        return self._keys[number]

    def duration(self, number: int) -> float:
        """Seconds of the piece indexed under `number`."""
        return self._durations[number]

    def lookup(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every posting of every hash in `values`: (index into values, piece number, anchor time)."""
        if self._pending_postings is None:
            self._pending_postings = _postings([(i, self._waiting[i]) for i in self._pending])
        # The merged part's runs count together for stop words (as one merged array would); pending on its own.
        merged = [self._main, *self._runs]
        assert not self._deferring and all(isinstance(part, Postings) for part in merged), "merges are deferred"
        found = [*_lookup(cast(list[Postings], merged), values, self._common()),
                 *_lookup([self._pending_postings], values, self._common())]
        q = np.concatenate([f[0] for f in found])
        ids = np.concatenate([f[1] for f in found])
        t = np.concatenate([f[2] for f in found])
        alive = ~self._dead[ids]
        return q[alive], ids[alive], t[alive]

    def postings_per_value(self) -> float:
        """The merged part's postings per distinct hash: how many postings a lookup of one hash meets, on average."""
        return self._per_value

    def _common(self) -> int:
        return int(max(_COMMON_FLOOR, _COMMON * self._per_value))


def _lookup(parts: list[Postings], values: np.ndarray, common: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each part's postings of `values`, leaving out a hash that has more than `common` in the parts together."""
    # Searched in order (a sweep through the big arrays, not jumps to and fro), the bounds put back in values' order.
    order = np.argsort(values, kind="stable")
    bounds = []
    for post in parts:
        lo, hi = np.empty(len(values), np.intp), np.empty(len(values), np.intp)
        lo[order] = np.searchsorted(post.hashes, values[order], "left")
        hi[order] = np.searchsorted(post.hashes, values[order], "right")
        bounds.append((lo, hi))
    too_common = sum(hi - lo for lo, hi in bounds) > common
    out = []
    for post, (lo, hi) in zip(parts, bounds, strict=True):
        counts = hi - lo
        counts[too_common] = 0
        rows = np.repeat(np.arange(len(values)), counts)
        starts = np.repeat(lo, counts)
        within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        at = starts + within
        out.append((rows, np.asarray(post.ids[at]), np.asarray(post.times[at])))
    return out
