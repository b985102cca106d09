"""Archive-scale duplicate search: shared-item and near-frame candidates against every pair in the duration window.

Synthetic pools with 100 copies each. Spoken pieces: 10-60 s, random Chromaprint items at ~8 a second and band-hash
items at ~62 a second over the first 20 s, and the MinHash of a real text from Debian's fortunes as their words;
copies have 70% of items with a flipped bit, every fourth one trimmed, and 15% of their words misheard. Tempo
copies are played 1.1x faster: every item is two bits off, so only their words find them. Silent videos: 10-60 s,
12 random frame pHashes; copies have 6 bits flipped per frame, every other one mirrored. `find_duplicates` runs
whole with the default candidates (above 300 timed pieces: an inverted index on exact sound items, MinHash bands of
spoken words, an exact Hamming range search over frame hashes); the baseline, every pair within the duration window,
is timed on 2,000 sampled pairs and scaled to its pair count, since running it whole takes hours.

    .venv/bin/python benchmarks/bench_dedup.py [--sizes 1000 3000 10000]

With --frames, the near-frame search alone, old against new, on silent videos with harder copies (re-encoded,
recoloured until the frames test only just passes, trimmed, re-cut, every other one mirrored): the exact sweep
over every pair of frame hashes (timed whole up to --old-max videos; always also estimated from a sample of
20,000 query hashes, scaled), against sampled-bit tables, plus whole `find_duplicates` runs with each and the
copies they group.

    .venv/bin/python benchmarks/bench_dedup.py --frames [--sizes 10000 30000 100000] [--old-max 30000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from itertools import product
from pathlib import Path

import numpy as np

from triage.domain import MediaType
from triage.fingerprints import approx_mirror, frames_similarity, near_frame_pairs, sampled_frame_pairs
from triage.fingerprints.audio import stretched
from triage.fingerprints.frame_candidates import table_plan
from triage.fingerprints.frames import MATCH_LOOSE, MIRROR, as_codes, informative
from triage.fingerprints.text import text_minhash
from triage.scoring.dedup import DedupParams, _candidates, compare, find_duplicates
from triage.scoring.types import Fingerprint

FORTUNES = Path("/usr/share/games/fortunes")  # Debian's fortunes package: real texts for the pieces' words


def _reencode(items: np.ndarray, rng: np.random.Generator, trim: int = 0) -> np.ndarray:
    out = items[trim:].copy()
    hit = rng.random(len(out)) < 0.7
    out[hit] ^= np.uint32(1) << rng.integers(0, 32, int(hit.sum())).astype(np.uint32)
    return out


def fortunes_texts(n: int, rng: np.random.Generator) -> list[str]:
    """n real English texts of 80-400 characters from Debian's fortunes (words of realistic overlap)."""
    entries = []
    for path in sorted(FORTUNES.glob("*")):
        if path.is_file() and not path.suffix:
            entries += [e.strip() for e in path.read_text(encoding="latin-1").split("\n%\n") if 80 <= len(e) <= 400]
    return [str(t) for t in rng.choice(entries, n, replace=len(entries) < n)]


def misheard(text: str, rng: np.random.Generator, share: float = 0.15) -> str:
    """The text with a share of its words replaced, as a second transcription of the same speech might be."""
    words = text.split()
    return " ".join("#" * len(w) if rng.random() < share else w for w in words)


def spoken_pool(n: int, copies: int = 100, seed: int = 0, tempo: bool = False) -> list[Fingerprint]:
    """With tempo, copies are played 1.1x faster: their sound items are all new, their words mostly the same."""
    rng = np.random.default_rng(seed)
    texts = fortunes_texts(n, rng) if FORTUNES.is_dir() else None
    fps = []
    for i in range(n):
        duration = float(rng.uniform(10, 60))
        items = rng.integers(0, 2**32, int(duration * 8), dtype=np.uint64).astype(np.uint32)
        bands = rng.integers(0, 2**32, int(min(duration, 20.0) * 62), dtype=np.uint64).astype(np.uint32)
        fps.append(Fingerprint(f"s{i:06d}", MediaType.AUDIO, f"sha{i}", audio=items, audio_bands=bands,
                               duration=duration, has_speech=True,
                               minhash=text_minhash(texts[i]) if texts else None))
    for j in range(copies):
        orig = fps[j]
        words = text_minhash(misheard(texts[j], rng)) if texts else None
        if tempo:
            # every item off by two bits: no item comes through bit for bit, as measured on real 1.1x copies
            audio = stretched(orig.audio, 1 / 1.1)  # type: ignore[arg-type]
            audio = audio ^ (np.uint32(1) << rng.integers(0, 16, len(audio)).astype(np.uint32)) \
                ^ (np.uint32(1) << rng.integers(16, 32, len(audio)).astype(np.uint32))
            fps.append(Fingerprint(f"c{j:06d}", MediaType.AUDIO, f"copy{j}", duration=orig.duration / 1.1,  # type: ignore[operator]
                                   has_speech=True, audio=audio, minhash=words,
                                   audio_bands=rng.integers(0, 2**32, len(orig.audio_bands), dtype=np.uint64  # type: ignore[arg-type]
                                                            ).astype(np.uint32)))
            continue
        trim = 2 if j % 4 == 0 else 0  # seconds
        fps.append(Fingerprint(f"c{j:06d}", MediaType.AUDIO, f"copy{j}", duration=orig.duration, has_speech=True,
                               audio=_reencode(orig.audio, rng, 8 * trim),  # type: ignore[arg-type]
                               audio_bands=_reencode(orig.audio_bands, rng, 62 * trim),  # type: ignore[arg-type]
                               minhash=words))
    return fps


def tempo_pool(n: int, copies: int = 100, seed: int = 0) -> list[Fingerprint]:
    return spoken_pool(n, copies, seed, tempo=True)


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


def _flip(h: int, rng: np.random.Generator, bits: int) -> int:
    for bit in rng.choice(64, bits, replace=False):
        h ^= 1 << int(bit)
    return h


def hard_silent_video_pool(n: int, copies: int = 100, seed: int = 0) -> list[Fingerprint]:
    """silent_video_pool's originals; copies cycle through five kinds, every other one mirrored: re-encoded (6
    bits off per frame), recoloured to the limit (12 bits: each frame scores 2/3, the test needs 0.6), trimmed
    to 8 of 12 frames (6 bits), trimmed to 9 and recoloured (11 bits), re-cut (8 frames 10 bits off, 4 others)."""
    rng = np.random.default_rng(seed + 1)
    fps = silent_video_pool(n, copies=0, seed=seed)
    for j in range(copies):
        orig, kind = fps[j], j % 5
        kept = orig.frames[:8] if kind == 2 else orig.frames[:9] if kind == 3 else orig.frames
        bits = (6, 12, 6, 11, 10)[kind]
        frames = [(t, _flip(h, rng, bits)) for t, h in kept]
        if kind == 4:
            frames = frames[:8] + [(float(t), int(h)) for t, h in zip(range(8, 12), rng.integers(0, 2**63, 4),
                                                                      strict=True)]
        frames = [(t, approx_mirror(h) if j % 2 else h) for t, h in frames]
        duration = orig.duration * len(kept) / len(orig.frames)  # type: ignore[operator]
        fps.append(Fingerprint(f"c{j:06d}", MediaType.VIDEO, f"copy{j}", frames=frames, duration=duration))
    return fps


def _exact_sweep_estimate(frame_sets: list, sample: int = 20_000) -> float:
    """Seconds the exact sweep would take, from timing a random sample of its query hashes: each hash is searched
    among the later hashes and their mirror images, on average half of all, so the whole sweep costs about half
    of every hash searched against everything. Leaves out the bookkeeping after the search."""
    import faiss

    hashes = np.concatenate([informative(f) for f in frame_sets])
    index = faiss.IndexBinaryFlat(64)
    index.add(as_codes(np.stack([hashes, hashes ^ MIRROR], axis=1).reshape(-1)))
    queries = as_codes(hashes[np.random.default_rng(2).choice(len(hashes), sample, replace=False)])
    started = time.perf_counter()
    index.range_search(queries, MATCH_LOOSE)
    return (time.perf_counter() - started) / sample * len(hashes) / 2


def _copies_grouped(fps: list[Fingerprint], params: DedupParams) -> tuple[int, float]:
    started = time.perf_counter()
    groups = find_duplicates(fps, params=params)
    wall = time.perf_counter() - started
    return sum(1 for g in groups if {m[1:] for m in g.members} == {g.members[0][1:]}), wall


def frames_main(sizes: list[int], old_max: int) -> None:
    exact, sampled = DedupParams(frame_sample_above=10**12), DedupParams(frame_sample_above=0)
    print(f"machine: {platform.machine()}, numpy {np.__version__}, {len(os.sched_getaffinity(0))} cores; "
          f"100 copies planted per pool\n")
    print("| silent videos | frame hashes | tables x bits | exact sweep s | sampled tables s "
          "| same candidates | find_duplicates exact s | find_duplicates sampled s | copies found exact / sampled "
          "| load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    warm = [f.frames for f in silent_video_pool(400, copies=2, seed=9)] + [[(0.0, 1234567)]]  # an image too
    near_frame_pairs(warm, 0.6), sampled_frame_pairs(warm, 0.6)  # load FAISS and start the threads first
    find_duplicates(silent_video_pool(400, copies=2, seed=9), params=sampled)  # and SciPy
    for n in sizes:
        fps = hard_silent_video_pool(n)
        sets = [f.frames for f in fps]
        passing = sum(frames_similarity(fps[j].frames, fps[n + j].frames) >= 0.6 for j in range(100))
        started = time.perf_counter()
        new = sampled_frame_pairs(sets, 0.6)
        new_s = time.perf_counter() - started
        sizes = np.array([len(informative(f)) for f in sets])
        tables, bits = table_plan(sizes, 0.6, DedupParams().frame_miss) or (0, 0)
        estimate = _exact_sweep_estimate(sets)
        if n <= old_max:
            started = time.perf_counter()
            old = near_frame_pairs(sets, 0.6)
            old_s, same = f"{time.perf_counter() - started:.1f} (est. {estimate:.1f})", str(old == new)
            found_old, dup_old = _copies_grouped(fps, exact)
            old_dup, old_found = f"{dup_old:.1f}", str(found_old)
        else:
            old_s, same = f"est. {estimate:.0f}", "-"
            old_dup, old_found = "-", "-"
        found_new, dup_new = _copies_grouped(fps, sampled)
        print(f"| {n:,} | {sizes.sum():,} | {tables} x {bits} | {old_s} | {new_s:.1f} | {same} | {old_dup} "
              f"| {dup_new:.1f} | {old_found} / {found_new} of {passing} passing | {os.getloadavg()[0]:.1f} |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--frames", action="store_true", help="the near-frame search alone, old against new")
    parser.add_argument("--old-max", type=int, default=30_000, help="with --frames: time the exact sweep whole up "
                        "to this many videos, beyond on a sample")
    args = parser.parse_args()
    if args.frames:
        frames_main(args.sizes or [10_000, 30_000, 100_000], args.old_max)
        return
    args.sizes = args.sizes or [1000, 3000, 10000]
    print(f"machine: {platform.machine()}, numpy {np.__version__}; 100 copies per pool\n")
    print("| pool | pieces | candidate pairs | find_duplicates s | copies found "
          "| baseline: every pair in the window | baseline: estimated s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    everything = DedupParams(sound_lsh_above=10**9)
    find_duplicates(silent_video_pool(400, copies=2, seed=9))  # load FAISS and SciPy before any timing
    kinds = (("spoken", spoken_pool), ("spoken, copies 1.1x faster", tempo_pool), ("silent video", silent_video_pool))
    for (kind, make), n in product(kinds, args.sizes):
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
