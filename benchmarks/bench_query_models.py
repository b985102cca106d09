"""How long a fresh process takes to have its query models ready and embed one query, and its peak memory: what a
server or a `triage search` pays before its first answer. Each measurement runs in a fresh child process.

Run: TRIAGE_MODELS_DIR=models HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_query_models.py
     [--baseline /tmp/head] [--runs 2]
(`--baseline` is a tree of other code, such as `git archive <rev> triage | tar -x -C /tmp/head`, run alongside.)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common.child_json import run_child

CHILD = """
import json, resource, sys, time
started = time.perf_counter()
from triage import runtime
from triage.config import Settings
models = runtime.query_encoders(Settings())
models.text.encode_queries(["a tiny story about the sea"])
parts = getattr(models.text, "parts", [models.text])
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "encoders": [type(p).__name__ for p in parts],
                  "transformers": "transformers" in sys.modules}))
"""


def measure(tree: Path) -> dict[str, object]:
    return run_child(CHILD, tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a tree of other code to measure alongside")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    trees = [("this", Path(__file__).resolve().parents[1])] + ([("baseline", args.baseline)] if args.baseline else [])
    print("| code | run | ready and one query embedded | peak RSS MB | text encoders | transformers imported |")
    print("| --- | --- | --- | --- | --- | --- |")
    for run in range(1, args.runs + 1):
        for name, tree in trees:
            out = measure(tree)
            print(f"| {name} | {run} | {out['seconds']:.1f} s | {out['peak_mb']:.0f} | {', '.join(out['encoders'])} "
                  f"| {out['transformers']} |", flush=True)


if __name__ == "__main__":
    main()
