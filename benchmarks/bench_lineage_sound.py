"""Sound lineage at archive scale: one new 60 s piece matched against an index of many pieces, against all pairs.

The archive is synthetic: pieces of 30-90 s whose landmark hashes are drawn from the hashes real audio gives
(numpy melodies, noise) so that common hashes are as common as they are in practice, at 80 landmarks a second.
One of them really holds a 12 s excerpt of the query's melody (mixed under noise), so the answer can be checked.
The baseline compares the query with every piece in turn (the same hypotheses and offset voting, the query hashed
once, each piece in an index of its own built beforehand): it is timed on --baseline-sample pieces and scaled
to the archive, since running it whole takes minutes.

    .venv/bin/python benchmarks/bench_lineage_sound.py [--pieces 10000] [--baseline-sample 300] [--folder DIR]
        [--build catch-up|one-at-a-time]

With --folder, the index keeps its sorted postings in files there once past sound_index.DISK_ABOVE landmarks, as the
service's does (in the data dir's tmp/); the RSS printed after the build is then what the process holds, not the
postings (their pages are the operating system's to keep or drop).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import threading
import time
from pathlib import Path

import numpy as np

from triage.lineage.landmarks import DT_BITS, SAMPLE_RATE, Landmarks, find_peaks, landmarks
from triage.lineage.sound import match, prepare
from triage.lineage.sound_index import SoundIndex

SR = SAMPLE_RATE
RATE = 80  # landmarks a second: music 50-60, speech ~130, noise capped near 300


def melody(seconds: float, seed: int) -> np.ndarray:
    """Random notes with harmonics; each tune in its own tuning, as an archive's recordings are in many keys."""
    rng = np.random.default_rng(seed)
    tuning = 2 ** rng.uniform(0, 1 / 12)
    out = np.zeros(int(seconds * SR), dtype=np.float32)
    t = 0.0
    while t < seconds:
        length = float(rng.uniform(0.12, 0.4))
        n = int(min(length, seconds - t) * SR)
        tt = np.arange(n) / SR
        f0 = 110.0 * tuning * 2 ** (rng.integers(0, 36) / 12)
        env = np.exp(-tt * rng.uniform(3, 9)) * np.minimum(1.0, tt / 0.005)
        note = sum(np.sin(2 * np.pi * f0 * k * tt) / k for k in range(1, 6))
        out[int(t * SR):int(t * SR) + n] += (0.25 * env * note).astype(np.float32)
        t += length
    return out


def hash_pool() -> np.ndarray:
    """Hashes as real audio gives them, to draw synthetic pieces from."""
    rng = np.random.default_rng(0)
    parts = [landmarks(find_peaks(melody(30.0, seed))).hashes for seed in range(1000, 1040)]
    parts += [landmarks(find_peaks((0.1 * rng.standard_normal(30 * SR)).astype(np.float32))).hashes]
    return np.concatenate(parts)


def synthetic(pool: np.ndarray, rng: np.random.Generator) -> Landmarks:
    """Frequencies of one pooled hash with the time step of another: the pool's skew, and the variety of an
    archive rather than of twenty tunes."""
    seconds = float(rng.uniform(30, 90))
    n = int(seconds * RATE)
    low = np.uint32((1 << DT_BITS) - 1)
    values = (pool[rng.integers(0, len(pool), n)] & ~low) | (pool[rng.integers(0, len(pool), n)] & low)
    return Landmarks(values, np.sort(rng.uniform(0, seconds, n)).astype(np.float32), seconds)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field)) / 1024


class AnonPeak:
    """The highest anonymous memory (RssAnon) seen, sampled every 20 ms: the process's own memory. Peak RSS also
    counts the pages of memory-mapped files, which the operating system keeps or drops as it needs."""

    def __init__(self) -> None:
        self.peak = current_rss_mb("RssAnon")
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while True:
            self.peak = max(self.peak, current_rss_mb("RssAnon"))
            time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pieces", type=int, default=10_000)
    parser.add_argument("--baseline-sample", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folder", type=Path, help="keep the sorted postings on disk here (the service's way)")
    parser.add_argument("--build", choices=["catch-up", "one-at-a-time"], default="catch-up",
                        help="add the pieces as a process catching up with the archive does (merges deferred to the "
                             "end), or one at a time as ingest adds them (the same index)")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")

    rng = np.random.default_rng(1)
    pool = hash_pool()
    query_audio = melody(60.0, seed=7)
    planted = melody(40.0, seed=8)
    start = int(10 * SR)
    planted[start:start + 12 * SR] += query_audio[30 * SR:42 * SR]  # the query's 30-42 s at the piece's 10-22 s
    planted += (0.03 * rng.standard_normal(len(planted))).astype(np.float32)
    query = find_peaks(query_audio)

    before = rss_mb()
    anon = AnonPeak()
    t0 = time.perf_counter()
    index = SoundIndex(folder=args.folder)
    pieces = []  # the baseline's sample; the index keeps its own copy of the rest
    postings = 0
    with index.merges_deferred() if args.build == "catch-up" else contextlib.nullcontext():
        for i in range(args.pieces - 1):
            piece = synthetic(pool, rng)
            index.add(f"p{i}", piece)
            postings += len(piece.hashes)
            if i < args.baseline_sample:
                pieces.append(piece)
        index.add("planted", landmarks(find_peaks(planted)))
        index.compact()
    built = time.perf_counter() - t0
    on_disk = sum(f.stat().st_size for f in args.folder.rglob("*.bin")) if args.folder else 0
    print(f"index: {args.pieces:,} pieces, {postings / 1e6:.1f} M landmarks, built ({args.build}) in {built:.1f} s, "
          f"peak RSS +{rss_mb() - before:.0f} MB, peak anonymous memory {anon.peak:.0f} MB, RSS now "
          f"{current_rss_mb():.0f} MB, {on_disk / 2**30:.2f} GiB of postings on disk")

    times, cpu = [], []
    found = []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        found = match(index, "query", query)  # hashing the query under every hypothesis included
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    # CPU time as well as wall time: on a shared machine the wall clock also counts other people's work
    print(f"inverted index: {min(times) * 1000:.0f} ms per 60 s query, {min(cpu) * 1000:.0f} ms CPU (best of "
          f"{args.repeats}); found " + "; ".join(r.evidence for r in found))
    print(f"peak RSS so far (index and queries): {rss_mb():.0f} MB, peak anonymous memory {anon.peak:.0f} MB")

    singles = []
    for i, piece in enumerate(pieces):
        one = SoundIndex()
        one.add(f"p{i}", piece)
        one.compact()
        singles.append(one)
    prepared = prepare(query)
    t0, c0 = time.perf_counter(), time.process_time()
    for one in singles:
        match(one, "query", prepared)
    per_pair = (time.perf_counter() - t0) / max(1, len(singles))
    cpu_pair = (time.process_time() - c0) / max(1, len(singles))
    print(f"all pairs: {per_pair * 1000:.2f} ms a pair ({cpu_pair * 1000:.2f} ms CPU) on {len(singles)} pieces, "
          f"{per_pair * args.pieces:.1f} s scaled to {args.pieces:,} pieces "
          f"({per_pair * args.pieces / min(times):.0f}x the index; CPU {cpu_pair * args.pieces / min(cpu):.0f}x)")
    print(f"peak RSS of the whole run: {rss_mb():.0f} MB")
    index.close()


if __name__ == "__main__":
    main()
