"""Spherical k-means: the one-product centre update is the plain per-cluster mean, and the pool's word counts,
made once, name clusters exactly as counting per cluster did."""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import numpy as np

from triage.scoring.cluster import kmeans, kmeans_starts
from triage.scoring.key_words import PoolWords, key_words
from triage.scoring.stopwords import STOP_WORDS
from triage.scoring.types import unit


def reference_kmeans(x: np.ndarray, k: int, seed: int = 0, iters: int = 50) -> np.ndarray:
    """The textbook loop: the same k-means++ starts, each centre the unit mean of its members by a mask."""
    c = kmeans_starts(x, k, seed)
    labels = np.zeros(len(x), dtype=int)
    for step in range(iters):
        new = np.argmax(x @ c.T, axis=1)
        if step and np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            if np.any(labels == j):
                c[j] = unit(x[labels == j].sum(axis=0))
    return labels


def test_kmeans_matches_the_textbook_loop() -> None:
    rng = np.random.default_rng(3)
    for n, d, k in ((60, 8, 3), (500, 16, 7), (2000, 32, 12)):
        centres = unit(rng.standard_normal((k, d)))
        x = unit(centres[rng.integers(k, size=n)] + 0.4 * rng.standard_normal((n, d))).astype(np.float32)
        assert np.array_equal(kmeans(x, k, seed=1), reference_kmeans(x, k, seed=1))


def reference_key_words(member_texts: list[str], all_texts: list[str], n: int) -> list[str]:
    """The plain way: each text's words as a set of keys, counted per cluster and over the pool."""
    def words(text: str) -> list[str]:
        return [w.strip("'") for w in re.findall(r"[a-z][a-z']+", text.lower())
                if w.strip("'") not in STOP_WORDS and len(w) > 2]
    docs = [words(t) for t in all_texts]
    vocab = {w for d in docs for w in d}
    stem = {}
    for w in vocab:
        for suffix in ("'s", "es", "s"):
            if w.endswith(suffix) and w[: -len(suffix)] in vocab:
                stem[w] = w[: -len(suffix)]
                break
    def keys(text: str) -> set[str]:
        return {stem.get(w, w) for w in words(text)}
    everywhere = Counter(k for t in all_texts for k in keys(t))
    inside = Counter(k for t in member_texts for k in keys(t))
    size, total = len(member_texts), len(all_texts)
    floor = min(size, max(2, math.ceil(0.2 * size)))
    scored = {w: (c / size) * math.log((c / size) / (everywhere[w] / total)) for w, c in inside.items()
              if c >= floor and c / size > everywhere[w] / total}
    pairs = {w: (c / size) * math.log(1 + total / everywhere[w]) for w, c in inside.items()
             if c >= min(2, size) and w not in scored}
    return [w for w, _ in sorted(scored.items(), key=lambda t: (-t[1], t[0]))] + \
        [w for w, _ in sorted(pairs.items(), key=lambda t: (-t[1], t[0]))]


def test_key_words_from_pool_counts_made_once() -> None:
    texts = ["Dogs bark.", "The dog barks, loud!", "A cat purrs.", "Cats purr so loud.", "dog and cat"]
    pool = PoolWords.of(texts)
    assert pool.total == 5
    count = dict(zip(pool.words, pool.everywhere.tolist(), strict=True))
    assert count["dog"] == 3 and count["loud"] == 2 and "dogs" not in count  # "dogs" folded into "dog"
    assert set(key_words([0, 1], pool, 2)) == {"bark", "dog"}  # "barks" folded into "bark"


def test_key_words_equal_counting_each_cluster_plainly() -> None:
    rng = random.Random(5)
    vocab = ["dog", "dogs", "dog's", "cat", "cats", "kettle", "kettles", "boil", "boils", "it's", "'tis", "the",
             "and", "ox", "zebra", "zebras", "o'clock", "rain", "rains", "rain's", "bus", "buses"]
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 12))) + rng.choice([".", "!", ""])
             for _ in range(300)]
    pool = PoolWords.of(texts)
    for size in (1, 2, 3, 10, 60, 300):
        members = rng.sample(range(len(texts)), size)
        assert key_words(members, pool, 40) == \
            reference_key_words([texts[i] for i in members], texts, 40)[:40]
