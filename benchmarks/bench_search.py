"""Search and fingerprint speed: exact flat vs IVF at 100k and 1M vectors, and each fingerprint's cost.

    .venv/bin/python benchmarks/bench_search.py                       # full run (~5-8 min on 2 cores)
    .venv/bin/python benchmarks/bench_search.py --sizes 100000 --dims 384 --skip-fingerprints

Prints a Markdown section to stdout.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from triage import fingerprints as fp
from triage.domain import Frame
from triage.vectors import VectorIndex

CLUSTERS = 2000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered(n: int, d: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around CLUSTERS random centres (noise as large as the centre), built in chunks."""
    centres = rng.standard_normal((CLUSTERS, d)).astype(np.float32)
    out = np.empty((n, d), dtype=np.float32)
    for s in range(0, n, 100_000):
        e = min(n, s + 100_000)
        out[s:e] = unit(centres[rng.integers(0, CLUSTERS, e - s)] + rng.standard_normal((e - s, d), dtype=np.float32))
    return out, centres


def queries_for(centres: np.ndarray, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    d = centres.shape[1]
    near = centres[rng.integers(0, CLUSTERS, n)] + rng.standard_normal((n, d), dtype=np.float32)
    between = centres[rng.integers(0, CLUSTERS, n)] + centres[rng.integers(0, CLUSTERS, n)]
    return {"in-distribution": unit(near), "between clusters": unit(between)}


def latencies_ms(index: VectorIndex, queries: np.ndarray, k: int = 10, **kw: object) -> np.ndarray:
    out = []
    for q in queries:
        t = time.perf_counter()
        index.search(q[None, :], k, **kw)  # type: ignore[arg-type]
        out.append((time.perf_counter() - t) * 1000)
    return np.array(out)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth, strict=True)]))


def bench_search(n: int, d: int, nq: int, threads: int) -> list[str]:
    rng = np.random.default_rng(n + d)
    vectors, centres = clustered(n, d, rng)
    ids = np.arange(n, dtype=np.int64)
    qs = queries_for(centres, nq, rng)
    rows = []

    base = rss_mb()
    t = time.perf_counter()
    flat = VectorIndex.build(ids, vectors, exact_max=n + 1, threads=threads)
    flat_build = time.perf_counter() - t
    flat_mem = rss_mb() - base
    flat_lat = latencies_ms(flat, qs["in-distribution"][: max(20, nq // 4)])
    truth = {name: flat.search(q, 10)[1] for name, q in qs.items()}
    pool = np.sort(rng.choice(ids, max(10, n // 100), replace=False))
    pool_truth = flat.search(qs["in-distribution"], 10, allowed=pool)[1]
    flat_pool_lat = latencies_ms(flat, qs["in-distribution"][: max(20, nq // 4)], allowed=pool)
    rows.append(f"| {n:,} | {d} | flat (exact) | {flat_build:.1f} s | {flat_mem:,.0f} MB | "
                f"{np.median(flat_lat):.1f} | {np.percentile(flat_lat, 95):.1f} | 1.000 | 1.000 | "
                f"{np.percentile(flat_pool_lat, 95):.1f} | 1.000 |")
    del flat

    base = rss_mb()
    t = time.perf_counter()
    ivf = VectorIndex.build(ids, vectors, exact_max=min(50_000, n - 1), threads=threads)
    ivf_build = time.perf_counter() - t
    ivf_mem = rss_mb() - base
    ivf_lat = latencies_ms(ivf, qs["in-distribution"])
    rec = {name: recall(ivf.search(q, 10)[1], truth[name]) for name, q in qs.items()}
    pool_lat = latencies_ms(ivf, qs["in-distribution"], allowed=pool)
    pool_rec = recall(ivf.search(qs["in-distribution"], 10, allowed=pool)[1], pool_truth)
    rows.append(f"| {n:,} | {d} | ivf nlist={ivf._index.nlist} nprobe={ivf.nprobe} | {ivf_build:.1f} s | "
                f"{ivf_mem:,.0f} MB | {np.median(ivf_lat):.1f} | {np.percentile(ivf_lat, 95):.1f} | "
                f"{rec['in-distribution']:.3f} | {rec['between clusters']:.3f} | "
                f"{np.percentile(pool_lat, 95):.1f} | {pool_rec:.3f} |")
    default = ivf.nprobe
    for nprobe in (default // 4, default // 2, default * 2):
        ivf.nprobe = nprobe
        lat = latencies_ms(ivf, qs["in-distribution"])
        rec = {name: recall(ivf.search(q, 10)[1], truth[name]) for name, q in qs.items()}
        rows.append(f"| {n:,} | {d} | same ivf, nprobe={ivf.nprobe} | | | {np.median(lat):.1f} | "
                    f"{np.percentile(lat, 95):.1f} | {rec['in-distribution']:.3f} | "
                    f"{rec['between clusters']:.3f} | | |")
    return rows


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t) / repeat


def speech(seconds: float) -> np.ndarray:
    """espeak-ng speech (fortunes are not needed: a repeated pangram paragraph) at 16 kHz."""
    text = ("The quick brown fox jumps over the lazy dog near the river bank while the sun sets slowly. " * 40)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(path), "-ar", "16000", "-ac", "1",
                        str(path.with_suffix(".16k.wav"))], check=True)
        with wave.open(str(path.with_suffix(".16k.wav"))) as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    reps = int(np.ceil(seconds * 16000 / len(pcm)))
    return np.tile(pcm, reps)[: int(seconds * 16000)]


def naive_audio_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Baseline: one numpy XOR per offset in a Python loop."""
    best = 0.0
    for k in range(-(len(b) - 1), len(a)):
        i0, i1 = max(0, k), min(len(a), len(b) + k)
        if i1 - i0 >= 16:
            diff = np.bitwise_count(a[i0:i1] ^ b[i0 - k:i1 - k]).sum()
            best = max(best, 1 - diff / (32 * (i1 - i0)))
    return best


def bench_fingerprints() -> list[str]:
    rng = np.random.default_rng(0)
    rows = []
    small = rng.integers(0, 256, (9, 16, 3), dtype=np.uint8)
    from PIL import Image

    frame = np.asarray(Image.fromarray(small).resize((1280, 720), Image.Resampling.BICUBIC))
    rows.append(f"| pHash, one 1280x720 frame | {timed(lambda: fp.image_phash(frame), 50) * 1000:.2f} ms | |")
    frames = [Frame(float(i), np.asarray(Image.fromarray(np.roll(small, i, axis=1)).resize((320, 180))))
              for i in range(16)]
    ha = fp.frame_phashes(frames)
    hb = fp.frame_phashes(frames[::-1])
    rows.append(f"| frames_similarity, 16 vs 16 frames "
                f"| {1 / timed(lambda: fp.frames_similarity(ha, hb), 200):,.0f} pairs/s | |")

    audio = speech(300)
    minute = audio[: 60 * 16000]
    rows.append(f"| Chromaprint, 1 min of audio (libchromaprint) "
                f"| {timed(lambda: fp.audio_fingerprint(minute), 5) * 1000:.0f} ms | |")
    fa30 = fp.audio_fingerprint(audio[:30 * 16000])
    fb30 = fp.audio_fingerprint(audio[16000:31 * 16000] * 0.4)
    t_new = timed(lambda: fp.audio_similarity(fa30, fb30), 200)
    t_naive = timed(lambda: naive_audio_agreement(fa30, fb30), 10)
    rows.append(f"| audio_similarity, 30 s vs 30 s (all offsets) | {1 / t_new:,.0f} pairs/s | "
                f"Python loop over offsets: {1 / t_naive:,.0f} pairs/s |")
    fa5 = fp.audio_fingerprint(audio)
    fb5 = fp.audio_fingerprint(audio[3 * 16000:] * 0.4)
    t_vote = timed(lambda: fp.audio_similarity(fa5, fb5), 20)
    t_naive5 = timed(lambda: naive_audio_agreement(fa5, fb5), 2)
    rows.append(f"| audio_similarity, 5 min vs 5 min (offset voting) | {1 / t_vote:,.0f} pairs/s "
                f"(score {fp.audio_similarity(fa5, fb5):.2f}) "
                f"| Python loop over offsets: {1 / t_naive5:,.1f} pairs/s |")

    short = ("I stepped onto my front lawn at dawn and found forty garden gnomes in a circle. " * 12)[:1000]
    long = short * 20
    rows.append(f"| text_minhash, 1,000 characters | {timed(lambda: fp.text_minhash(short), 50) * 1000:.2f} ms | |")
    rows.append(f"| text_minhash, 20,000 characters | {timed(lambda: fp.text_minhash(long), 10) * 1000:.1f} ms | |")
    ma, mb = fp.text_minhash(short), fp.text_minhash(long)
    rows.append(f"| minhash_similarity | {1 / timed(lambda: fp.minhash_similarity(ma, mb), 2000):,.0f} pairs/s | |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[384, 512])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-fingerprints", action="store_true")
    args = parser.parse_args()

    if not args.skip_search:
        print("| vectors | dim | index | build | memory (RSS growth) | median ms | p95 ms | recall@10 "
              "(near clusters) | recall@10 (between clusters) | p95 ms, 1% pool filter | recall@10, pool |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for n in args.sizes:
            for d in args.dims:
                for row in bench_search(n, d, args.queries, args.threads):
                    print(row, flush=True)
        print()
    if not args.skip_fingerprints:
        print("| fingerprint | speed | baseline (same run) |")
        print("| --- | --- | --- |")
        for row in bench_fingerprints():
            print(row, flush=True)


if __name__ == "__main__":
    main()
