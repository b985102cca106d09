"""Archive-scale duplicate search for sound: shared-item candidates against every pair in the duration window.

Synthetic pools of spoken pieces (10-60 s, random Chromaprint items at ~8 a second) with 100 re-encoded copies
(70% of items with a flipped bit, every fourth copy trimmed). `find_duplicates` runs whole with the default
candidates (an inverted index on exact items, above 300 timed pieces); the baseline, every pair within the
duration window, is timed on 2,000 sampled pairs and scaled to its pair count, since running it whole takes hours.

    .venv/bin/python benchmarks/bench_dedup.py [--sizes 1000 3000 10000]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from triage.domain import MediaType
from triage.scoring.dedup import DedupParams, _candidates, compare, find_duplicates
from triage.scoring.types import Fingerprint


def pool(n: int, copies: int = 100, seed: int = 0) -> list[Fingerprint]:
    rng = np.random.default_rng(seed)
    fps = []
    for i in range(n):
        duration = float(rng.uniform(10, 60))
        items = rng.integers(0, 2**32, int(duration * 8), dtype=np.uint64).astype(np.uint32)
        fps.append(Fingerprint(f"s{i:06d}", MediaType.AUDIO, f"sha{i}", audio=items, duration=duration,
                               has_speech=True))
    for j in range(copies):
        orig = fps[j]
        items = orig.audio[(16 if j % 4 == 0 else 0):].copy()  # type: ignore[index]
        hit = rng.random(len(items)) < 0.7
        items[hit] ^= np.uint32(1) << rng.integers(0, 32, int(hit.sum())).astype(np.uint32)
        fps.append(Fingerprint(f"c{j:06d}", MediaType.AUDIO, f"copy{j}", audio=items, duration=orig.duration,
                               has_speech=True))
    return fps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, numpy {np.__version__}; 100 copies per pool\n")
    print("| pieces | shared-item candidates: pairs | find_duplicates s | copies found "
          "| every pair in the window: pairs | estimated s |")
    print("| --- | --- | --- | --- | --- | --- |")
    everything = DedupParams(sound_lsh_above=10**9)
    for n in args.sizes:
        fps = pool(n)
        started = time.perf_counter()
        groups = find_duplicates(fps)
        wall = time.perf_counter() - started
        found = sum(1 for g in groups if {m[1:] for m in g.members} == {g.members[0][1:]})
        by_id = {f.submission_id: f for f in fps}
        all_pairs = sorted(_candidates(fps, everything))
        sample = [all_pairs[i] for i in np.random.default_rng(1).choice(len(all_pairs), 2000, replace=False)]
        started = time.perf_counter()
        for a, b in sample:
            compare(by_id[a], by_id[b])
        per_pair = (time.perf_counter() - started) / len(sample)
        print(f"| {n:,} | {len(_candidates(fps, DedupParams())):,} | {wall:.1f} | {found} / 100 "
              f"| {len(all_pairs):,} | {per_pair * len(all_pairs):,.0f} |")


if __name__ == "__main__":
    main()
