"""Sorted sound postings (hash, piece, time) in memory or in files on disk, and their merge bucket by bucket.

An archive of 100,000 pieces of about a minute holds some 480 million landmarks: 5.8 GB of postings, and merging
them by one sort in memory needs several times that. On disk, a sorted run is three flat files read through
memory maps (the operating system pages in what lookups touch, and can drop it again), and a merge walks the hash
range in buckets of about a million postings a run: each run's bucket, read from its file, oldest run first, sorted
together (a stable sort, so equal hashes stay in the order of the pieces' numbers, as the merge in memory leaves
them) and appended to the next run's files. Memory stays at about one bucket's worth.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

BUCKET = 1 << 20  # postings a run gives each bucket of a merge: 12 MB
FIELDS = (("hashes", np.uint32), ("ids", np.int32), ("times", np.float32))


@dataclass(frozen=True)
class Postings:
    """Postings sorted by hash: plain arrays, or memory maps of a run's files (`folder` is then where they are)."""

    hashes: np.ndarray  # sorted uint32
    ids: np.ndarray  # int32 piece number
    times: np.ndarray  # float32 anchor time
    folder: Path | None = None
    # the run's files, held open: a merge reads them (and a sweep of tmp/ that removed them removes nothing it needs)
    files: dict[str, BinaryIO] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.hashes)


def empty() -> Postings:
    return Postings(np.zeros(0, np.uint32), np.zeros(0, np.int32), np.zeros(0, np.float32))


def open_run(folder: Path, count: int) -> Postings:
    """The run written in `folder`, memory-mapped (an empty run maps nothing)."""
    if count == 0:
        return Postings(np.zeros(0, np.uint32), np.zeros(0, np.int32), np.zeros(0, np.float32), folder=folder)
    hashes, ids, times = (np.memmap(folder / f"{name}.bin", dtype=dtype, mode="r", shape=(count,))
                          for name, dtype in FIELDS)
    return Postings(hashes, ids, times, folder=folder, files={name: (folder / f"{name}.bin").open("rb")
                                                              for name, _ in FIELDS})


def write_run(parent: Path, postings: Postings) -> Postings:
    """Sorted postings written as a new run under `parent`, returned memory-mapped."""
    folder = _new_folder(parent)
    with _Writer(folder) as out:
        out.append(postings.hashes, postings.ids, postings.times)
    return open_run(folder, len(postings))


def merge(runs: list[Postings], dead: np.ndarray, parent: Path) -> tuple[Postings, int]:
    """The runs (oldest first) as one sorted run under `parent`, pieces flagged in `dead` left out; and how many
    distinct hashes it holds. Each bucket of the hash range is merged on its own."""
    folder = _new_folder(parent)
    distinct = 0
    edges = _edges(runs)
    bounds = [np.concatenate([[0], np.searchsorted(run.hashes, edges), [len(run)]]) for run in runs]
    with _Writer(folder) as out:
        for bucket in range(len(edges) + 1):
            parts = [(run, int(b[bucket]), int(b[bucket + 1])) for run, b in zip(runs, bounds, strict=True)]
            ids = np.concatenate([_read(run, "ids", lo, hi) for run, lo, hi in parts])
            if not len(ids):
                continue
            alive = ~dead[ids]
            hashes = np.concatenate([_read(run, "hashes", lo, hi) for run, lo, hi in parts])[alive]
            times = np.concatenate([_read(run, "times", lo, hi) for run, lo, hi in parts])[alive]
            order = np.argsort(hashes, kind="stable")
            hashes = hashes[order]
            out.append(hashes, ids[alive][order], times[order])
            distinct += int(np.count_nonzero(hashes[1:] != hashes[:-1])) + 1 if len(hashes) else 0
    return open_run(folder, out.count), distinct


def _edges(runs: list[Postings]) -> np.ndarray:
    """Hash values that cut the runs into buckets of about BUCKET postings in all. Hashes are far from even over
    their range (a landmark's frequency is in its top bits, and music's are low), so the cuts are quantiles of a
    sample of every run, each sampled hash standing for `step` postings: with every run cut at its own BUCKET-th
    postings instead, 240 runs of 2 million (a process catching up with 100,000 recordings) gave 240 cuts near one
    median and a bucket of half of everything. uint32 like the hashes: a wider type would make searchsorted copy a
    whole memory-mapped run to compare."""
    if sum(len(run) for run in runs) <= BUCKET:
        return np.zeros(0, np.uint32)
    step = max(1, BUCKET // (4 * len(runs)))
    sample = np.sort(np.concatenate([np.asarray(run.hashes[step // 2::step]) for run in runs]))
    return np.unique(sample[BUCKET // step::BUCKET // step]).astype(np.uint32)


def _read(run: Postings, name: str, lo: int, hi: int) -> np.ndarray:
    """Postings lo:hi of one field, read from the run's file rather than through its memory map: a merge reads every
    run whole, and pages read through a map count in the process's memory until it is dropped."""
    values: np.ndarray = getattr(run, name)
    if name not in run.files:
        return values[lo:hi]
    size = values.dtype.itemsize
    return np.frombuffer(os.pread(run.files[name].fileno(), (hi - lo) * size, lo * size), dtype=values.dtype)


def delete(postings: Postings) -> None:
    """Remove a run's files (a memory map still open keeps reading them until it is dropped)."""
    for f in postings.files.values():
        f.close()
    if postings.folder is not None:
        shutil.rmtree(postings.folder, ignore_errors=True)


def _new_folder(parent: Path) -> Path:
    folder = parent / uuid.uuid4().hex
    folder.mkdir(parents=True)  # parents too: a sweep of tmp/ may have removed them meanwhile
    return folder


class _Writer:
    """Appends postings to a run's three files."""

    def __init__(self, folder: Path) -> None:
        self.files = [(folder / f"{name}.bin").open("wb") for name, _ in FIELDS]
        self.count = 0

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *_: object) -> None:
        for f in self.files:
            f.close()

    def append(self, hashes: np.ndarray, ids: np.ndarray, times: np.ndarray) -> None:
        for f, values, (_, dtype) in zip(self.files, (hashes, ids, times), FIELDS, strict=True):
            f.write(np.ascontiguousarray(values, dtype=dtype).tobytes())
        self.count += len(hashes)
