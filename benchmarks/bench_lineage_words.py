"""Words lineage: how long a shared run ordinary language makes by chance, and the time to match one piece against
10,000 and 100,000 indexed texts, against matching it with every text in turn (all pairs).

    .venv/bin/python benchmarks/bench_lineage_words.py --chance      # runs between unrelated fortunes
    .venv/bin/python benchmarks/bench_lineage_words.py --errors      # quotes read with word errors: found, bounds
    .venv/bin/python benchmarks/bench_lineage_words.py --sizes 10000 100000

Texts are Debian's fortunes (apt install fortunes), the material of ../shared/eval; the archive's texts are drawn
from a word-pair chain over them, so stock phrases recur at their real rates without whole sentences repeating.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from triage.domain import Segment, Transcript, Word
from triage.lineage.words import (
    MIN_WORDS,
    WordIndex,
    match_pair,
    shingle_hashes,
    speech_words,
    text_words,
    word_tokens,
)

FORTUNES = Path("/usr/share/games/fortunes")


def fortunes() -> list[str]:
    """Every fortune, once (the files repeat some under several topics)."""
    seen: dict[str, str] = {}
    for path in sorted(FORTUNES.glob("*")):
        if path.suffix or not path.is_file():
            continue
        for entry in path.read_text(encoding="utf-8", errors="replace").split("\n%\n"):
            words = " ".join(entry.split())
            if len(words.split()) >= 8:
                seen.setdefault(" ".join(w for w, _, _ in word_tokens(words)), words)
    return list(seen.values())


def chance(texts: list[str]) -> None:
    """Longest passage (covered words) between every pair of different fortunes, through the index with no floor."""
    index = WordIndex(min_words=3, max_postings=10**9)
    for i, text in enumerate(texts):
        index.add(str(i), text)
    record: Counter[int] = Counter()
    top: list[tuple[float, str, str]] = []
    started = time.perf_counter()
    for i, text in enumerate(texts):
        best: dict[str, float] = defaultdict(float)
        for reuse in index.match(str(i), text_words(text)):
            best[reuse.source] = max(best[reuse.source], reuse.score)
        for source, score in best.items():
            record[int(score)] += 1
            top.append((score, source, str(i)))
    pairs = len(texts) * (len(texts) - 1)
    print(f"{len(texts)} fortunes, {pairs:,} ordered pairs, {time.perf_counter() - started:.0f} s")
    for words in sorted(record):
        print(f"  longest shared passage {words:3d} words: {record[words]} pairs")
    print("longest ones (read them: a repeated quotation is real reuse, not chance):")
    for score, source, user in sorted(top, reverse=True)[:12]:
        print(f"  {score:.0f}: {texts[int(source)][:70]!r} / {texts[int(user)][:70]!r}")


def errors(texts: list[str], quotes: int = 200) -> None:
    """40-word passages read aloud (0.4 s a word) between unrelated words, with substituted, dropped and added
    words at several rates: how many are found, and how far the found range's ends are from the truth."""
    long = [t for t in texts if 60 <= len(t.split()) <= 150]
    vocab = [w for t in long[:2000] for w in t.split()]
    rng = random.Random(1)

    def noisy(words: list[str], rate: float) -> list[str]:
        out: list[str] = []
        for word in words:
            roll = rng.random()
            if roll < rate * 0.6:
                out.append(rng.choice(vocab))
            elif roll < rate * 0.8:
                continue
            else:
                out += [word, rng.choice(vocab)] if roll < rate else [word]
        return out

    for rate in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3):
        found, misses = 0, []
        for _ in range(quotes):
            source = rng.choice(long).split()
            at = rng.randrange(0, max(1, len(source) - 40))
            before, after = rng.choice(long).split()[:30], rng.choice(long).split()[:30]
            said = before + noisy(source[at:at + 40], rate) + after
            words = tuple(Word(i * 0.4, i * 0.4 + 0.35, f" {w}", 0.9) for i, w in enumerate(said))
            reading = Transcript(" ".join(said), (Segment(0, words[-1].end, "", 0, 0, words),), "en", words[-1].end,
                                 "synthetic")
            matches = match_pair("a", " ".join(source), "b", speech_words(reading))
            if matches:
                found += 1
                best = max(matches, key=lambda r: r.score)
                misses.append(max(abs(best.user_span.start - len(before) * 0.4),
                                  abs(best.user_span.end - (len(said) - len(after)) * 0.4 + 0.05)))
        misses.sort()
        middle = misses[len(misses) // 2] if misses else 0.0
        high = misses[int(len(misses) * 0.9)] if misses else 0.0
        print(f"word errors {rate:.0%}: {found}/{quotes} found; range ends off by {middle:.2f} s (median), "
              f"{high:.2f} s (90th percentile)")


def archive(texts: list[str], size: int, seed: int) -> list[str]:
    """`size` texts of 40-200 words from a word-pair chain over the fortunes."""
    follow: dict[str, list[str]] = defaultdict(list)
    for text in texts:
        words = text.split()
        for first, second in zip(words, words[1:], strict=False):
            follow[first].append(second)
    starts = [t.split()[0] for t in texts]
    rng = random.Random(seed)
    out = []
    for _ in range(size):
        word = rng.choice(starts)
        words = [word]
        for _ in range(rng.randint(40, 200)):
            word = rng.choice(follow.get(word) or starts)
            words.append(word)
        out.append(" ".join(words))
    return out


def timing(texts: list[str], size: int) -> None:
    pool = archive(texts, size, seed=size)
    planted = pool[size // 2].split()
    query = " ".join(archive(texts, 1, seed=-1)[0].split()[:60] + planted[:60] + ["thanks", "for", "listening"])
    started = time.perf_counter()
    index = WordIndex()
    for i, text in enumerate(pool):
        index.add(str(i), text)
    index.match("warm-up", text_words("sort the tail first"))
    built = time.perf_counter() - started
    words = text_words(query)
    started = time.perf_counter()
    runs = 20
    for _ in range(runs):
        found = index.match("new", words)
    per_query = (time.perf_counter() - started) / runs
    assert any(r.source == str(size // 2) for r in found), "the planted passage was not found"
    started = time.perf_counter()
    for i, text in enumerate(archive(texts, runs, seed=-2)):  # ingest: each new text indexed, the next matched
        index.add(f"new-{i}", text)
        index.match(f"new-{i}", words)
    per_ingest = (time.perf_counter() - started) / runs
    postings = sum(a.nbytes for part in (index._main, index._sorted_tail())
                   for a in (part.hashes, part.pieces, part.positions))
    print(f"{size:>7} texts: index built in {built:.1f} s ({postings / 2**20:.0f} MiB of postings, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB); "
          f"one piece matched in {per_query * 1000:.1f} ms ({per_ingest * 1000:.1f} ms with a text added before "
          f"each); {len(found)} passage(s)")
    started = time.perf_counter()
    wanted = set(shingle_hashes(words.words).tolist())
    hits = 0
    for i, text in enumerate(pool):  # all pairs: every text tokenised and compared, then the shared ones aligned
        shared = wanted.intersection(shingle_hashes([w for w, _, _ in word_tokens(text)]).tolist())
        if len(shared) >= MIN_WORDS // 3:
            hits += len(match_pair(str(i), text, "new", words))
    print(f"{'':>7}        all pairs: {time.perf_counter() - started:.2f} s for the same piece ({hits} passage(s))")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chance", action="store_true", help="measure runs between unrelated fortunes")
    parser.add_argument("--errors", action="store_true", help="measure quotes read with word errors")
    parser.add_argument("--limit", type=int, default=0, help="use only this many fortunes for --chance")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    texts = fortunes()
    if args.errors:
        errors(texts)
        return
    if args.chance:
        chance(texts[:args.limit] if args.limit else texts)
        return
    np.random.seed(0)
    for size in args.sizes:
        timing(texts, size)


if __name__ == "__main__":
    main()
