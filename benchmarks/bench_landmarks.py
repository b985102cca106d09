"""Landmarks from stored peaks: what every process that matches sound pays per recording to build its index (a
restart, a `triage ingest`, each share of a rebuild), and what a query pays to hash its pairs under every speed.

The peaks are those of 60 s synthetic tunes (bench_lineage_sound.melody), found once and shared by every tree. Each
tree runs in a fresh child process; a digest of every landmark and query hash is compared across trees.

Run: .venv/bin/python benchmarks/bench_landmarks.py [--pieces 100] [--baseline /tmp/head] [--runs 2]
(`--baseline` is a tree of other code, such as `git archive <rev> triage | tar -x -C /tmp/head`, run alongside.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from common.child_json import run_child

HERE = Path(__file__).resolve().parent

CHILD = """
import hashlib, json, sys, time
import numpy as np
from triage.lineage.landmarks import Peaks, landmarks
from triage.lineage.sound_query import prepare
with np.load(sys.argv[1]) as z:
    pieces = [Peaks(z[f"t{i}"], z[f"f{i}"], 60.0) for i in range(int(z["count"]))]
digest = hashlib.sha256()
started = time.perf_counter()
for peaks in pieces:
    marks = landmarks(peaks)
    digest.update(marks.hashes.tobytes() + marks.times.tobytes())
built = (time.perf_counter() - started) / len(pieces)
started = time.perf_counter()
for peaks in pieces:
    query = prepare(peaks)
    digest.update(b"".join(keep.tobytes() + values.tobytes() for keep, values in query.hypotheses))
queried = (time.perf_counter() - started) / len(pieces)
print(json.dumps({"landmarks_ms": built * 1000, "prepare_ms": queried * 1000, "digest": digest.hexdigest()[:16]}))
"""


def make_peaks(count: int, path: Path) -> None:
    sys.path.insert(0, str(HERE))
    from bench_lineage_sound import melody  # type: ignore[import-not-found]

    from triage.lineage.landmarks import find_peaks

    arrays: dict[str, np.ndarray] = {"count": np.array(count)}
    for i in range(count):
        peaks = find_peaks(melody(60.0, seed=3000 + i))
        arrays[f"t{i}"], arrays[f"f{i}"] = peaks.times, peaks.logf
    np.savez(path, **arrays)  # type: ignore[arg-type]


def measure(tree: Path, peaks: Path) -> dict[str, object]:
    return run_child(CHILD, tree, str(peaks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=100)
    parser.add_argument("--baseline", type=Path, help="a tree of other code to measure alongside")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    trees = [("this", HERE.parent)] + ([("baseline", args.baseline)] if args.baseline else [])
    with tempfile.TemporaryDirectory() as folder:
        peaks = Path(folder) / "peaks.npz"
        make_peaks(args.pieces, peaks)
        print("| code | run | landmarks of a 60 s piece | its query hashes (21 speeds) | digest |")
        print("| --- | --- | --- | --- | --- |")
        for run in range(1, args.runs + 1):
            for name, tree in trees:
                out = measure(tree, peaks)
                print(f"| {name} | {run} | {out['landmarks_ms']:.2f} ms | {out['prepare_ms']:.2f} ms "
                      f"| {out['digest']} |", flush=True)


if __name__ == "__main__":
    main()
