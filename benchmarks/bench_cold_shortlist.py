"""The first shortlist of a big call-out in a fresh process, nothing kept (no clusters on disk, no cache): load the
pool, group, cluster, score, rank. Each run is a fresh child process; this tree and `--baseline` alternate, and
their answers are compared byte for byte.

Run: .venv/bin/python benchmarks/bench_cold_shortlist.py --data-dir /tmp/big100k [--baseline /tmp/head] [--runs 2]
     [--sentences /usr/share/games/fortunes]

`--data-dir` is a pool made by `bench_big_pool.py shortlist --n 100000 --data-dir DIR` (call-out "bench"). Its
pieces say made-up tokens ("t34w8"), cut at every digit, so their labels cost little; `--sentences DIR` measures a
copy of it (made once, beside it, as DIR-sentences) whose every text says a fortune from DIR's files instead, as
real pieces say sentences (the vectors stay the synthetic ones).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
from pathlib import Path

from common.child_json import run_child

CHILD = """
import hashlib, json, resource, sys, time
from pathlib import Path
from triage import runtime
from triage.config import Settings
from triage.service.cache import PoolCache
from triage.service.shortlist import shortlist
root = Path(sys.argv[1])
settings = Settings(data_dir=root / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                    models_dir=root / "models")
store, models = runtime.open_store(settings), runtime.query_encoders(settings)
started = time.perf_counter()
answer = shortlist(store, models, "bench", limit=20, cache=PoolCache())
seconds = time.perf_counter() - started
digest = hashlib.sha256(json.dumps(answer, default=str, sort_keys=True).encode()).hexdigest()[:16]
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "digest": digest}))
"""


def with_sentences(data_dir: Path, folder: Path) -> Path:
    """A copy of the pool whose texts say fortunes (made once)."""
    copy = data_dir.with_name(data_dir.name + "-sentences")
    if (copy / "data" / "triage.db").exists():
        return copy
    said = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.suffix):
        parts = [" ".join(t.split()) for t in path.read_text(errors="replace").split("\n%\n")]
        said += [t for t in parts if 40 < len(t) < 400]
    shutil.copytree(data_dir, copy)
    rng = random.Random(5)
    db = sqlite3.connect(copy / "data" / "triage.db")
    with db:
        rows = db.execute("SELECT id, data FROM artifacts WHERE kind = 'text' ORDER BY id").fetchall()
        db.executemany("UPDATE artifacts SET data = ? WHERE id = ?",
                       [(json.dumps({**json.loads(data), "text": rng.choice(said)}), i) for i, data in rows])
    db.close()
    return copy


def measure(tree: Path, data_dir: Path) -> dict[str, object]:
    (data_dir / "data" / "scores" / "bench.clusters.json").unlink(missing_ok=True)  # nothing kept
    return run_child(CHILD, tree, str(data_dir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--sentences", type=Path, help="a folder of fortune files: measure a copy saying them")
    parser.add_argument("--baseline", type=Path, help="a tree of other code to measure alongside")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    data_dir = with_sentences(args.data_dir, args.sentences) if args.sentences else args.data_dir
    trees = [("this", Path(__file__).resolve().parents[1])] + ([("baseline", args.baseline)] if args.baseline else [])
    print(f"{data_dir}, load average {os.getloadavg()[0]:.2f}")
    print("| code | run | cold shortlist | peak RSS MB | answer digest |")
    print("| --- | --- | --- | --- | --- |")
    for run in range(1, args.runs + 1):
        for name, tree in trees:
            out = measure(tree, data_dir)
            print(f"| {name} | {run} | {out['seconds']:.1f} s | {out['peak_mb']:.0f} | {out['digest']} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
