"""Archive-scale duplicate search: shared-item and near-frame candidates against every pair in the duration window.

Synthetic pools with 100 copies each. Spoken pieces: 10-60 s, random Chromaprint items at ~8 a second and band-hash
items at ~62 a second over the first 20 s; copies have 70% of items with a flipped bit, every fourth one trimmed. Silent videos: 10-60 s, 12 random frame pHashes;
copies have 6 bits flipped per frame, every other one mirrored. `find_duplicates` runs whole with the default
candidates (above 300 timed pieces: an inverted index on exact sound items, an exact Hamming range search over
frame hashes); the baseline, every pair within the duration window, is timed on 2,000 sampled pairs and scaled to its
pair count, since running it whole takes hours.

    .venv/bin/python benchmarks/bench_dedup.py [--sizes 1000 3000 10000]
"""

from __future__ import annotations

import argparse
import platform
import time
from itertools import product

import numpy as np

from triage.domain import MediaType
from triage.fingerprints import approx_mirror
from triage.scoring.dedup import DedupParams, _candidates, compare, find_duplicates
from triage.scoring.types import Fingerprint


def _reencode(items: np.ndarray, rng: np.random.Generator, trim: int = 0) -> np.ndarray:
    out = items[trim:].copy()
    hit = rng.random(len(out)) < 0.7
    out[hit] ^= np.uint32(1) << rng.integers(0, 32, int(hit.sum())).astype(np.uint32)
    return out


def spoken_pool(n: int, copies: int = 100, seed: int = 0) -> list[Fingerprint]:
    rng = np.random.default_rng(seed)
    fps = []
    for i in range(n):
        duration = float(rng.uniform(10, 60))
        items = rng.integers(0, 2**32, int(duration * 8), dtype=np.uint64).astype(np.uint32)
        bands = rng.integers(0, 2**32, int(min(duration, 20.0) * 62), dtype=np.uint64).astype(np.uint32)
        fps.append(Fingerprint(f"s{i:06d}", MediaType.AUDIO, f"sha{i}", audio=items, audio_bands=bands,
                               duration=duration, has_speech=True))
    for j in range(copies):
        orig = fps[j]
        trim = 2 if j % 4 == 0 else 0  # seconds
        fps.append(Fingerprint(f"c{j:06d}", MediaType.AUDIO, f"copy{j}", duration=orig.duration, has_speech=True,
                               audio=_reencode(orig.audio, rng, 8 * trim),  # type: ignore[arg-type]
                               audio_bands=_reencode(orig.audio_bands, rng, 62 * trim)))  # type: ignore[arg-type]
    return fps


def silent_video_pool(n: int, copies: int = 100, seed: int = 0) -> list[Fingerprint]:
    rng = np.random.default_rng(seed)
    fps = []
    for i in range(n):
        frames = [(float(t), int(h)) for t, h in enumerate(rng.integers(0, 2**63, 12))]
        fps.append(Fingerprint(f"s{i:06d}", MediaType.VIDEO, f"sha{i}", frames=frames,
                               duration=float(rng.uniform(10, 60))))
    for j in range(copies):
        orig = fps[j]
        frames = []
        for t, h in orig.frames:
            for bit in rng.choice(64, 6, replace=False):
                h ^= 1 << int(bit)
            frames.append((t, approx_mirror(h) if j % 2 else h))
        fps.append(Fingerprint(f"c{j:06d}", MediaType.VIDEO, f"copy{j}", frames=frames, duration=orig.duration))
    return fps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, numpy {np.__version__}; 100 copies per pool\n")
    print("| pool | pieces | candidate pairs | find_duplicates s | copies found "
          "| baseline: every pair in the window | baseline: estimated s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    everything = DedupParams(sound_lsh_above=10**9)
    find_duplicates(silent_video_pool(400, copies=2, seed=9))  # load FAISS and SciPy before any timing
    for (kind, make), n in product((("spoken", spoken_pool), ("silent video", silent_video_pool)), args.sizes):
        fps = make(n)
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
        print(f"| {kind} | {n:,} | {len(_candidates(fps, DedupParams())):,} | {wall:.1f} | {found} / 100 "
              f"| {len(all_pairs):,} | {per_pair * len(all_pairs):,.0f} |")


if __name__ == "__main__":
    main()
