"""The sound matcher's inverted index: every indexed piece's landmarks, sorted by hash.

Adds go to a small pending part that is merged into the sorted arrays when it grows, and removals are tombstones
until then, so ingest can add one piece at a time without re-sorting the whole archive. A lookup skips hashes too
common to be evidence (stop words).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from triage.lineage.landmarks import Landmarks

# A hash with this many times the average postings (over the values in use) is a stop word: music's commonest
# intervals, a drone shared by many pieces. On 2,000 synthetic pieces the lookups above 4x held 56% of a tune's
# hits for 29% of its lookups, so skipping them halves the work for a share of the evidence that the other 71%
# make up for. Small indexes (under _COMMON_FLOOR postings a value) skip nothing.
_COMMON = 4
_COMMON_FLOOR = 100


@dataclass(frozen=True)
class _Postings:
    hashes: np.ndarray  # sorted uint32
    ids: np.ndarray  # int32 piece number
    times: np.ndarray  # float32 anchor time


def _postings(pieces: list[tuple[int, Landmarks]]) -> _Postings:
    if not pieces:
        return _Postings(np.zeros(0, np.uint32), np.zeros(0, np.int32), np.zeros(0, np.float32))
    h = np.concatenate([lm.hashes for _, lm in pieces])
    ids = np.concatenate([np.full(len(lm.hashes), i, np.int32) for i, lm in pieces])
    t = np.concatenate([lm.times for _, lm in pieces])
    order = np.argsort(h, kind="stable")
    return _Postings(h[order], ids[order], t[order])


def _merge(a: _Postings, b: _Postings) -> _Postings:
    """Two sorted posting lists as one (a stable sort of the two: runs already in order sort fast)."""
    h = np.concatenate([a.hashes, b.hashes])
    order = np.argsort(h, kind="stable")
    return _Postings(h[order], np.concatenate([a.ids, b.ids])[order], np.concatenate([a.times, b.times])[order])


class SoundIndex:
    """Landmarks of many pieces by hash. Adds go to a small pending part merged in when it grows; removals are
    tombstones until then, so ingest can add one piece at a time without re-sorting the whole archive. Merged
    pieces live only in the sorted arrays (about 12 bytes a landmark)."""

    def __init__(self, assets: Iterable[str] = ()) -> None:
        self.assets: set[str] = set(assets)
        self._keys: list[str | None] = []
        self._ids: dict[str, int] = {}
        self._durations: dict[int, float] = {}
        self._waiting: dict[int, Landmarks] = {}  # pending pieces, not merged yet
        self._main = _postings([])
        self._pending: list[int] = []
        self._pending_count = 0  # landmarks in the pending pieces
        self._per_value = 0.0  # postings per distinct hash in the merged part
        self._pending_postings: _Postings | None = None
        self._dead = np.zeros(1024, dtype=bool)  # grown by doubling: one flag per piece number ever given

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

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
        if self._pending_count > max(200_000, len(self._main.hashes) // 4):
            self.compact()

    def remove(self, key: str) -> None:
        """Forget a piece (no error when absent)."""
        number = self._ids.pop(key, None)
        if number is None:
            return
        self._keys[number] = None
        self._durations.pop(number)
        self._dead[number] = True
        marks = self._waiting.pop(number, None)
        if marks is not None:
            self._pending.remove(number)
            self._pending_count -= len(marks.hashes)
            self._pending_postings = None

    def compact(self) -> None:
        """Merge the pending pieces and drop the removed ones from the sorted arrays."""
        alive = ~self._dead[self._main.ids]
        merged = _Postings(self._main.hashes[alive], self._main.ids[alive], self._main.times[alive])
        self._main = _merge(merged, _postings(sorted(self._waiting.items())))
        self._waiting, self._pending, self._pending_count, self._pending_postings = {}, [], 0, None
        h = self._main.hashes
        values = int(np.count_nonzero(h[1:] != h[:-1])) + 1 if len(h) else 1
        self._per_value = len(h) / values

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
        found = [_lookup(p, values, self._common()) for p in (self._main, self._pending_postings)]
        q = np.concatenate([f[0] for f in found])
        ids = np.concatenate([f[1] for f in found])
        t = np.concatenate([f[2] for f in found])
        alive = ~self._dead[ids]
        return q[alive], ids[alive], t[alive]

    def _common(self) -> int:
        return int(max(_COMMON_FLOOR, _COMMON * self._per_value))


def _lookup(post: _Postings, values: np.ndarray, common: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo = np.searchsorted(post.hashes, values, "left")
    hi = np.searchsorted(post.hashes, values, "right")
    counts = hi - lo
    counts[counts > common] = 0
    rows = np.repeat(np.arange(len(values)), counts)
    starts = np.repeat(lo, counts)
    within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    at = starts + within
    return rows, post.ids[at], post.times[at]
