"""A cluster's key words: the single words its members share more than the pool does (c-TF-IDF with a floor).

The pool's words are counted once, as (piece, word) pairs over integer ids: a cluster's counts are then one count
over its members' pairs (at 100,000 pieces, sets of words per piece and a Counter per cluster took seconds).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from triage.scoring.phrases import distinct_pairs
from triage.scoring.stopwords import STOP_WORDS

_WORD = re.compile(r"[a-z][a-z']+")


def _stems(vocab: Iterable[str]) -> dict[str, str]:
    """A plural or possessive and its singular share one key when both occur in the pool ("dogs" -> "dog")."""
    words = set(vocab)
    out = {}
    for w in words:
        for suffix in ("'s", "es", "s"):
            if w.endswith(suffix) and w[: -len(suffix)] in words:
                out[w] = w[: -len(suffix)]
                break
    return out


@dataclass(frozen=True)
class PoolWords:
    """The pool's word keys (plurals folded into singulars), which pieces say each, and in how many pieces each
    occurs. A word is three letters or more and not a stop word."""

    words: list[str]  # key id -> word
    pair_piece: np.ndarray  # (piece, key) pairs, each once
    pair_word: np.ndarray
    everywhere: np.ndarray  # key id -> pieces that say it
    total: int

    @classmethod
    def of(cls, texts: Sequence[str]) -> PoolWords:
        found = [_WORD.findall(t.lower()) for t in texts]
        index: dict[str, int] = {}
        flat = np.array([index.setdefault(w, len(index)) for f in found for w in f], dtype=np.int64)
        # Decided once per distinct word, not per occurrence: stop words and short words have no key.
        said = [w.strip("'") for w in index]
        kept = [s if s not in STOP_WORDS and len(w) > 2 else None for w, s in zip(index, said, strict=True)]
        stem = _stems(s for s in kept if s is not None)
        keys: dict[str, int] = {}
        key_of = np.array([-1 if s is None else keys.setdefault(stem.get(s, s), len(keys)) for s in kept],
                          dtype=np.int64)
        piece = np.repeat(np.arange(len(texts), dtype=np.int64), [len(f) for f in found])
        key = key_of[flat] if len(flat) else flat
        pair_piece, pair_word, _ = distinct_pairs(piece[key >= 0], key[key >= 0], len(keys))
        return cls(list(keys), pair_piece, pair_word, np.bincount(pair_word, minlength=len(keys)), len(texts))


def key_words(members: Sequence[int], pool: PoolWords, n: int) -> list[str]:
    """c-TF-IDF with a floor: words that several members share (at least 2, and a fifth of the cluster) and
    that are more common here than in the pool, counted once per member so one long or quirky piece cannot
    name the cluster alone; then words that at least two members share, so a label is rarely a single word."""
    member = np.zeros(pool.total, dtype=bool)
    member[np.asarray(members, dtype=np.int64)] = True
    inside = np.bincount(pool.pair_word[member[pool.pair_piece]], minlength=len(pool.words))
    size, total = len(members), pool.total
    floor = min(size, max(2, math.ceil(0.2 * size)))
    scored = {}
    for k in np.flatnonzero(inside >= floor):
        share, base = int(inside[k]) / size, int(pool.everywhere[k]) / total
        if share > base:
            scored[pool.words[k]] = share * math.log(share / base)
    broad = [w for w, _ in sorted(scored.items(), key=lambda t: (-t[1], t[0]))]
    pairs = {}
    for k in np.flatnonzero(inside >= min(2, size)):
        if pool.words[k] not in scored:
            pairs[pool.words[k]] = (int(inside[k]) / size) * math.log(1 + total / int(pool.everywhere[k]))
    return (broad + [w for w, _ in sorted(pairs.items(), key=lambda t: (-t[1], t[0]))])[:n]
