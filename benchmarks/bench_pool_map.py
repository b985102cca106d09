"""The pool map's projection (issue 24): time and peak memory of the layout at 1,000 and 10,000 pieces.

Usage: python benchmarks/bench_pool_map.py [--sizes 1000 10000] [--dim 384]

Synthetic pools: unit text vectors around 12 themes (clustered, like real embeddings), plus a frame vector for a
third of the pieces. Each size runs in a fresh child process so its peak RSS is its own. Per size: a cold layout
(PCA to 50 dimensions, then t-SNE), the same pool again with its layout (kept as it is), 1% new pieces started
from the old layout, and the PNG `triage map` draws from the points.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from triage.domain import Chunk, MediaType
from triage.scoring.projection import pool_layout
from triage.scoring.types import Item, Vectors, unit


def synthetic(n: int, dim: int, seed: int = 0, start: int = 0) -> list[Item]:
    rng = np.random.default_rng(seed)
    themes = unit(rng.standard_normal((12, dim)).astype(np.float32))
    frame_themes = unit(rng.standard_normal((12, 512)).astype(np.float32))
    items = []
    for k in range(n):
        t = int(rng.integers(12))
        words = unit(themes[t] + 0.9 * unit(rng.standard_normal(dim).astype(np.float32)))
        item = Item(f"s{start + k:06d}", None, MediaType.VIDEO if k % 3 == 0 else MediaType.TEXT,
                    text=Vectors(words[None, :], [Chunk("", 0, 0)]))
        if k % 3 == 0:
            frame = unit(frame_themes[t] + 0.9 * unit(rng.standard_normal(512).astype(np.float32)))
            item.frames = Vectors(frame[None, :], [Chunk("", 0, 0, 0.0, 0.0)])
        items.append(item)
    return items


def one(n: int, dim: int) -> dict[str, float]:
    from triage.cli.map import save_png

    items = synthetic(n, dim)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t0 = time.perf_counter()
    first = pool_layout(items)
    cold = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    pool_layout(items, previous=first)
    same = time.perf_counter() - t0
    grown = items + synthetic(max(1, n // 100), dim, seed=1, start=n)
    t0 = time.perf_counter()
    second = pool_layout(grown, previous=first)
    warm = time.perf_counter() - t0
    spread = float(np.ptp(first.xy, axis=0).max())
    moved = float(np.median(np.linalg.norm(second.xy[:n] - first.xy, axis=1)) / spread)
    points = [{"submission_id": i.submission_id, "x": float(x), "y": float(y), "cluster": k % 12, "score": 0.5,
               "decision": None, "group": None} for k, (i, (x, y)) in enumerate(zip(items, first.xy, strict=True))]
    found = {"callout": "bench", "count": n, "points": points,
             "clusters": [{"id": c, "label": f"theme {c}", "size": 0, "x": 0.0, "y": 0.0} for c in range(12)]}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        save_png(found, Path(tmp) / "map.png", dpi=80)
        png = time.perf_counter() - t0
        png_kb = (Path(tmp) / "map.png").stat().st_size / 1024
    return {"n": n, "cold_s": round(cold, 2), "same_pool_s": round(same, 3), "plus_1pct_s": round(warm, 2),
            "moved_median_share": round(moved, 3), "traced_peak_mb": round(peak / 2**20, 1),
            "rss_peak_mb": round(rss / 1024, 1), "rss_before_mb": round(rss0 / 1024, 1),
            "png_s": round(png, 2), "png_kb": round(png_kb, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one(args.child, args.dim)))
        return
    for n in args.sizes:
        done = subprocess.run([sys.executable, __file__, "--child", str(n), "--dim", str(args.dim)],
                              capture_output=True, text=True, check=True)
        print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
