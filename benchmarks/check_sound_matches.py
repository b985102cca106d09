"""Print every sound match of one query against a synthetic archive, in full, to compare two versions of the code.

    .venv/bin/python benchmarks/check_sound_matches.py [--tree DIR] [--pieces 3000] > this.txt
    .venv/bin/python benchmarks/check_sound_matches.py --tree /tmp/head --pieces 3000 > before.txt
    cmp this.txt before.txt

The archive is bench_lineage_sound.py's (synthetic pieces drawn from real hashes) plus four pieces that hold parts
of the query: three melodies with an excerpt mixed in, and a quieter copy of half the query. `--tree` is a tree of
other code (`git archive REV triage benchmarks | tar -x -C DIR`); each `Reuse` is printed with every field, so two
outputs are equal only when the matches are, to the last digit. Timing and memory go to stderr.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--pieces", type=int, default=3000)
    args = parser.parse_args()
    sys.path[:0] = [str(args.tree), str(args.tree / "benchmarks")]
    import numpy as np
    from bench_lineage_sound import SR, hash_pool, melody, synthetic  # type: ignore[import-not-found]

    from triage.lineage.landmarks import find_peaks, landmarks
    from triage.lineage.sound import match
    from triage.lineage.sound_index import SoundIndex

    rng = np.random.default_rng(1)
    pool = hash_pool()
    query = melody(60.0, seed=7)
    index = SoundIndex()
    for i in range(args.pieces):
        index.add(f"p{i}", synthetic(pool, rng))
    for k, (start, seconds) in enumerate([(30, 12), (5, 6), (44, 8)]):
        piece = melody(40.0, seed=8 + k)
        piece[10 * SR:(10 + seconds) * SR] += query[start * SR:(start + seconds) * SR]
        piece += (0.03 * rng.standard_normal(len(piece))).astype(np.float32)
        index.add(f"planted{k}", landmarks(find_peaks(piece)))
    index.add("half-copy", landmarks(find_peaks(query[20 * SR:50 * SR] * 0.5)))
    index.compact()
    started = time.process_time()
    found = match(index, "query", find_peaks(query))
    print(f"{time.process_time() - started:.2f} s CPU for the query; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", file=sys.stderr)
    for reuse in found:
        print(reuse)


if __name__ == "__main__":
    main()
