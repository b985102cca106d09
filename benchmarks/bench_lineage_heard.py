"""A text arriving after its readings: the heard-words index against all pairs (issue 19).

Synthetic readings of 300 words (transcripts at 0.4 s a word) drawn from a 20,000-word vocabulary; every 5,000th
holds 60 words of the query text, read aloud. The index (`lineage.heard.HeardIndex`) finds the readings of one
new 300-word text; the baseline runs the pairwise matcher (`words.match_pair`) on every reading, timed on
--baseline-sample readings and scaled to the archive. Memory is the process's peak RSS growth while indexing.

    .venv/bin/python benchmarks/bench_lineage_heard.py [--readings 20000] [--baseline-sample 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import time

from triage.lineage.heard import HeardIndex
from triage.lineage.words import PieceWords, match_pair

WORDS, STEP = 300, 0.4


def reading(words: list[str], form: str = "speech") -> PieceWords:
    n = len(words)
    return PieceWords(tuple(words), tuple(i * STEP for i in range(n)), tuple(i * STEP + 0.35 for i in range(n)),
                      "s", n * STEP, form)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=20_000)
    parser.add_argument("--baseline-sample", type=int, default=1_000)
    args = parser.parse_args()
    rng = random.Random(1)
    vocab = [f"w{i}" for i in range(20_000)]
    text = [rng.choice(vocab) for _ in range(WORDS)]
    pieces = []
    for i in range(args.readings):
        words = [rng.choice(vocab) for _ in range(WORDS)]
        if i % 5000 == 0:
            words[100:160] = text[50:110]
        pieces.append((f"r{i}", reading(words)))
    holders = {key for key, _ in pieces[::5000]}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"load {os.getloadavg()[0]:.1f}")

    before = peak_mb()
    index = HeardIndex()
    started = time.perf_counter()
    for key, words in pieces:
        index.add(key, [words])
    added = time.perf_counter() - started
    started = time.perf_counter()
    index.settle()
    settled = time.perf_counter() - started
    each = added / args.readings * 1e3
    print(f"{args.readings:,} readings of {WORDS} words: indexed in {added:.1f} s ({each:.2f} ms each), first sort "
          f"{settled:.2f} s, peak RSS +{peak_mb() - before:.0f} MB")

    query = " ".join(text)
    started = time.perf_counter()
    for _ in range(20):
        found = index.match("text", query)
    took = (time.perf_counter() - started) / 20
    assert {r.user for r in found} == holders, "the index missed a reading"
    other = " ".join(rng.choice(vocab) for _ in range(WORDS))
    started = time.perf_counter()
    for _ in range(20):
        index.match("other", other)
    none = (time.perf_counter() - started) / 20
    print(f"index: a text read by {len(holders)} readings found in {took * 1e3:.1f} ms; a text read by none "
          f"{none * 1e3:.1f} ms")

    sample = pieces[:args.baseline_sample]
    started = time.perf_counter()
    for key, words in sample:
        match_pair("text", query, key, words)
    per = (time.perf_counter() - started) / len(sample)
    print(f"all pairs (match_pair on every reading): {per * 1e3:.2f} ms a reading, {per * args.readings:.1f} s for "
          f"{args.readings:,} (timed on {len(sample):,}); the index is {per * args.readings / took:.0f}x faster")


if __name__ == "__main__":
    main()
