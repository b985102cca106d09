"""Spherical k-means: the one-product centre update is the plain per-cluster mean, and the pool's word counts,
made once, name clusters exactly as counting per cluster did."""

from __future__ import annotations

import numpy as np

from triage.scoring.cluster import PoolWords, _key_words, _stems, kmeans, kmeans_starts
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


def test_key_words_from_pool_counts_made_once() -> None:
    docs = [["dogs", "bark"], ["dog", "barks", "loud"], ["cat", "purrs"], ["cats", "purr", "loud"], ["dog", "cat"]]
    pool = PoolWords.of(docs)
    assert pool.stem == _stems(docs) and pool.total == 5
    assert pool.everywhere["dog"] == 3 and pool.everywhere["loud"] == 2  # "dogs" folded into "dog"
    assert set(_key_words([docs[0], docs[1]], pool, 2)) == {"bark", "dog"}  # "barks" folded into "bark"
