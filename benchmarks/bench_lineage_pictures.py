"""Picture lineage at archive scale: one new 60 s video matched against an index of many videos, against all pairs.

The archive is synthetic: videos of 30-90 s whose frame tracks (4 frames a second, as frame_track.py samples) are
drawn shot by shot: each shot of 1-6 s has its own random hashes for every view, and each frame within it differs
from them by a few bits, as frames of one shot do. One video really holds 10 s of the query's frames (3 bits
changed in each), so the answer can be checked. The baseline matches the query with every video in an index of its
own (built beforehand), timed on --baseline-sample videos and scaled to the archive.

    .venv/bin/python benchmarks/bench_lineage_pictures.py [--pieces 10000] [--baseline-sample 300] [--repeats 3]
        [--build catch-up|one-at-a-time] [--folder DIR]

With --folder, the index is the service's: its merged postings go to files in DIR once big, and it keeps no merged
video's track but reads it from DIR/tracks (written there as ingest stores them) when a match checks it.

The query is timed twice: against the index with every video merged, and as an upload meets it (the upload added
first, so the pending videos' postings are sorted again before the lookups).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lineage_sound import AnonPeak, current_rss_mb  # noqa: E402

from triage.lineage import pictures  # noqa: E402
from triage.lineage.frame_track import PER_SECOND, FrameTrack  # noqa: E402

_VIEWS = ("plain", "mirrored", "centre", "upper", "upper_mirrored", "centre_upper")


def synthetic(seconds: float, rng: np.random.Generator) -> FrameTrack:
    """A video's frame track, shot by shot (see the module's docstring)."""
    count = int(seconds * PER_SECOND)
    shot = np.cumsum(rng.integers(4, 25, count))  # frames where each shot ends
    shot_of = np.searchsorted(shot, np.arange(count), "right")
    views = {}
    for name in _VIEWS:
        base = rng.integers(0, 2**63, shot_of[-1] + 1, dtype=np.int64).astype(np.uint64)[shot_of]
        views[name] = base ^ flips(rng, count, 2)
    return FrameTrack(np.arange(count, dtype=np.float32) / PER_SECOND, views["plain"], views["mirrored"],
                      views["centre"], np.zeros(count, bool), seconds, views["upper"], views["upper_mirrored"],
                      views["centre_upper"])


def flips(rng: np.random.Generator, count: int, bits: int) -> np.ndarray:
    """`count` masks of `bits` random bits each (a bit drawn twice flips once)."""
    out = np.zeros(count, np.uint64)
    for _ in range(bits):
        out ^= np.uint64(1) << rng.integers(0, 64, count).astype(np.uint64)
    return out


def planted(query: FrameTrack, rng: np.random.Generator) -> FrameTrack:
    """A 40 s video whose 10-20 s show the query's 30-40 s, each frame 3 bits off."""
    track = synthetic(40.0, rng)
    src = slice(int(30 * PER_SECOND), int(40 * PER_SECOND))
    dst = slice(int(10 * PER_SECOND), int(20 * PER_SECOND))
    fields = {}
    for name in _VIEWS:
        values = getattr(track, name).copy()
        values[dst] = getattr(query, name)[src] ^ flips(rng, dst.stop - dst.start, 3)
        fields[name] = values
    return FrameTrack(track.times, fields["plain"], fields["mirrored"], fields["centre"], track.blank,
                      track.duration, fields["upper"], fields["upper_mirrored"], fields["centre_upper"])


STORING = [0.0]  # seconds spent writing tracks, which ingest has done long before an index is built


def _index(folder: Path | None) -> tuple[pictures.PictureIndex, Callable[[str, FrameTrack], FrameTrack]]:
    """The index to measure, and what stores a video's track before it is added (nothing, without a folder)."""
    if folder is None:
        return pictures.PictureIndex(), lambda _, track: track
    tracks = folder / "tracks"
    tracks.mkdir(parents=True, exist_ok=True)

    def store(key: str, track: FrameTrack) -> FrameTrack:
        started = time.perf_counter()
        (tracks / f"{key}.npz").write_bytes(track.to_bytes())
        STORING[0] += time.perf_counter() - started
        return track

    def read(key: str) -> FrameTrack | None:
        path = tracks / f"{key}.npz"
        return FrameTrack.from_bytes(path.read_bytes()) if path.is_file() else None

    return pictures.PictureIndex(folder=folder / "postings", track_of=read), store


def current_anon_mb() -> float:
    """This process's anonymous resident memory now (Linux; 0 elsewhere): what memory-mapped files do not count in."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pieces", type=int, default=10_000)
    parser.add_argument("--baseline-sample", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--build", choices=["catch-up", "one-at-a-time"], default="one-at-a-time",
                        help="add the videos as a process catching up with the archive does (adds deferred), or one "
                             "at a time as ingest adds them")
    parser.add_argument("--folder", type=Path, help="postings on disk and tracks read from files here (see above)")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    rng = np.random.default_rng(1)
    query = synthetic(60.0, rng)

    anon = AnonPeak()
    before = current_rss_mb()
    t0 = time.perf_counter()
    index, store = _index(args.folder)
    sample = []
    with index.adds_deferred() if args.build == "catch-up" else contextlib.nullcontext():
        for i in range(args.pieces - 1):
            track = store(f"v{i}", synthetic(float(rng.uniform(30, 90)), rng))
            index.add(f"v{i}", track)
            if i < args.baseline_sample:
                sample.append(track)
        index.add("planted", store("planted", planted(query, rng)))
    index.compact()
    built = time.perf_counter() - t0 - STORING[0]
    where = "on disk" if index.on_disk else "in memory"
    print(f"index: {args.pieces:,} videos, {len(index._main.ids) / 1e6:.1f} M band postings ({where}), built "
          f"({args.build}) in {built:.1f} s (and {STORING[0]:.1f} s writing the tracks); RSS {current_rss_mb():.0f} "
          f"MB (+{current_rss_mb() - before:.0f}), peak anonymous memory {anon.peak:.0f} MB, anonymous now "
          f"{current_anon_mb():.0f} MB", flush=True)

    times, cpu, found = [], [], []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        found = pictures.match(index, "query", query)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"inverted index: {min(times) * 1000:.0f} ms per 60 s query, {min(cpu) * 1000:.0f} ms CPU (best of "
          f"{args.repeats}); found " + "; ".join(r.evidence for r in found), flush=True)
    uploads = []
    for n in range(args.repeats):
        track = synthetic(60.0, rng)
        t0 = time.perf_counter()
        index.add(f"upload{n}", store(f"upload{n}", track))
        pictures.match(index, f"upload{n}", track)
        uploads.append(time.perf_counter() - t0)
    print(f"an upload (added, then matched): {min(uploads) * 1000:.0f}-{max(uploads) * 1000:.0f} ms, "
          f"{len(index._pending)} videos pending; RSS {current_rss_mb():.0f} MB, anonymous {current_anon_mb():.0f} MB",
          flush=True)

    singles = []
    for i, track in enumerate(sample):
        one = pictures.PictureIndex()
        one.add(f"v{i}", track)
        one.compact()
        singles.append(one)
    t0, c0 = time.perf_counter(), time.process_time()
    for one in singles:
        pictures.match(one, "query", query)
    per_pair = (time.perf_counter() - t0) / max(1, len(singles))
    cpu_pair = (time.process_time() - c0) / max(1, len(singles))
    print(f"all pairs: {per_pair * 1000:.2f} ms a pair ({cpu_pair * 1000:.2f} ms CPU) on {len(singles)} videos, "
          f"{per_pair * args.pieces:.1f} s scaled to {args.pieces:,} ({per_pair * args.pieces / min(times):.0f}x "
          f"the index)")
    print(f"peak RSS of the whole run: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, peak "
          f"anonymous memory {anon.peak:.0f} MB")


if __name__ == "__main__":
    main()
