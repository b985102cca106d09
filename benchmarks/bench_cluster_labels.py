"""Clustering a big pool whose pieces say real sentences: sub-themes found, then named by shared phrases and key
words. The synthetic pools of bench_big_pool.py say made-up tokens ("t34w8"), cut at every digit, so they never
exercise the labels; here each piece says a fortune (Debian's `fortune` files: `apt-get install fortunes`),
with a unit vector near its fortune file's direction. Each tree runs in a fresh child process; the clusters
(members and labels) of every tree are compared.

Run: .venv/bin/python benchmarks/bench_cluster_labels.py [--n 100000] [--baseline /tmp/head] [--runs 2]
(`--baseline` is a tree of other code, such as `git archive <rev> triage | tar -x -C /tmp/head`, run alongside.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common.child_json import run_child

CHILD = """
import hashlib, json, random, resource, sys, time
from pathlib import Path
import numpy as np
from triage.domain import Chunk, MediaType
from triage.scoring.cluster import cluster_pool
from triage.scoring.types import Item, Vectors, unit
n, folder = int(sys.argv[1]), Path(sys.argv[2])
said = []
for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.suffix):
    parts = [" ".join(t.split()) for t in path.read_text(errors="replace").split("\\n%\\n")]
    said += [(path.name, t) for t in parts if 40 < len(t) < 400]
files = sorted({f for f, _ in said})
rng, gen = random.Random(5), np.random.default_rng(5)
direction = {f: unit(gen.standard_normal(64).astype(np.float32)) for f in files}
items = []
for i in range(n):
    f, text = rng.choice(said)
    v = unit(direction[f] + 0.6 * gen.standard_normal(64).astype(np.float32))[None, :]
    items.append(Item(f"s{i}", f"s{i}", MediaType.TEXT, text=Vectors(v, [Chunk(text, 0, len(text))]), words=text))
started = time.perf_counter()
clusters = cluster_pool(items)
seconds = time.perf_counter() - started
digest = hashlib.sha256(repr([(c.label, c.members, c.key_words) for c in clusters]).encode()).hexdigest()[:16]
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "clusters": len(clusters), "digest": digest, "labels": [c.label for c in clusters[:3]]}))
"""


def measure(tree: Path, n: int, folder: Path) -> dict[str, object]:
    return run_child(CHILD, tree, str(n), str(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--fortunes", type=Path, default=Path("/usr/share/games/fortunes"))
    parser.add_argument("--baseline", type=Path, help="a tree of other code to measure alongside")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if not args.fortunes.is_dir():
        sys.exit(f"no fortune files in {args.fortunes}: apt-get install fortunes, or pass --fortunes DIR")
    trees = [("this", Path(__file__).resolve().parents[1])] + ([("baseline", args.baseline)] if args.baseline else [])
    print(f"| code | run | cluster_pool of {args.n:,} pieces | peak RSS MB | clusters | digest | first labels |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for run in range(1, args.runs + 1):
        for name, tree in trees:
            out = measure(tree, args.n, args.fortunes)
            print(f"| {name} | {run} | {out['seconds']:.2f} s | {out['peak_mb']:.0f} | {out['clusters']} "
                  f"| {out['digest']} | {'; '.join(map(str, out['labels']))} |", flush=True)


if __name__ == "__main__":
    main()
