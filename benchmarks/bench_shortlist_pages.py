"""Deep pages of a diverse shortlist: the vectorised MMR against the loop it replaced, same pool, same run.

    .venv/bin/python benchmarks/bench_shortlist_pages.py                 # 10,000 pieces (~2 min on 2 cores)
    .venv/bin/python benchmarks/bench_shortlist_pages.py --pieces 2000

A synthetic pool of unit word vectors (384-d, 40 topics) with random scores; shortlist pages of 24 at
diversity 0.3, as the web page asks for them, and the whole list, as `triage export --decision any` does.
Both implementations must give the same order. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping

import numpy as np

from triage.domain import MediaType
from triage.scoring import shortlist as module
from triage.scoring.shortlist import shortlist
from triage.scoring.types import Explanation, Item, Scored, Vectors


def loop_mmr(order: list[str], by_id: Mapping[str, Scored], items: Mapping[str, Item], diversity: float,
             want: int) -> list[str]:
    """The baseline: greedy MMR with a Python loop over every remaining piece at every step (before session 7)."""
    vecs = [module._vector(items[i]) for i in order]
    rel = np.array([by_id[i].score for i in order])
    max_sim = np.zeros(len(order))
    chosen: list[int] = []
    left = list(range(len(order)))
    while left and len(chosen) < want:
        gains = [(1 - diversity) * rel[k] - diversity * max_sim[k] for k in left]
        k = left[int(np.argmax(gains))]
        chosen.append(k)
        left.remove(k)
        if vecs[k] is not None:
            for j in left:
                v = vecs[j]
                if v is not None and len(v) == len(vecs[k]):  # type: ignore[arg-type]
                    max_sim[j] = max(max_sim[j], float(v @ vecs[k]))
    return [order[k] for k in chosen] + [order[k] for k in left]


def pool(n: int, seed: int = 0) -> tuple[list[Scored], dict[str, Item]]:
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((40, 384))
    items, scored = {}, []
    for k in range(n):
        v = topics[k % 40] + rng.standard_normal(384)
        v = (v / np.linalg.norm(v)).astype(np.float32)
        sid = f"s{k:06d}"
        items[sid] = Item(sid, None, MediaType.TEXT, text=Vectors(v[None, :], []))
        scored.append(Scored(sid, float(rng.random()), {}, Explanation("text", 0.0)))
    return scored, items


def timed(scored: list[Scored], items: dict[str, Item], offset: int, limit: int | None) -> tuple[float, list[str]]:
    t = time.perf_counter()
    page = shortlist(scored, items, diversity=0.3, offset=offset, limit=limit)
    return time.perf_counter() - t, [e.item_id for e in page.entries]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=10_000)
    parser.add_argument("--baseline-max", type=int, default=2_400,
                        help="skip the loop where it would rank more than this many (it takes minutes)")
    args = parser.parse_args()
    scored, items = pool(args.pieces)
    cases = [("page 1", 0, 24), ("page 10", 216, 24), ("page 100", 2_376, 24), ("the whole list", 0, None)]
    print(f"| {args.pieces:,} pieces, diversity 0.3 | vectorised MMR | loop (baseline) | same order |")
    print("| --- | --- | --- | --- |")
    vectorised = module._mmr
    for label, offset, limit in cases:
        want = args.pieces if limit is None else min(args.pieces, offset + limit)
        if offset >= args.pieces:
            continue
        new_s, new = timed(scored, items, offset, limit)
        if want <= args.baseline_max:
            module._mmr = loop_mmr  # type: ignore[assignment]
            try:
                old_s, old = timed(scored, items, offset, limit)
            finally:
                module._mmr = vectorised  # type: ignore[assignment]
            print(f"| {label} | {new_s:.2f} s | {old_s:.2f} s | {'yes' if new == old else 'NO'} |")
        else:
            print(f"| {label} | {new_s:.2f} s | not run (ranks {want:,}) | |")


if __name__ == "__main__":
    main()
