"""Ranking and duplicate-detection metrics. Pure: ids in, numbers out."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations


def _group_of(groups: Iterable[Collection[str]]) -> dict[str, int]:
    return {member: g for g, group in enumerate(groups) for member in group}


def _gains(ranked: Sequence[str], relevant: Collection[str], groups: Iterable[Collection[str]],
           k: int) -> tuple[list[int], int]:
    """Binary gains of the top k, where a duplicate of an item already listed gains nothing,
    and the number of distinct relevant pieces (a duplicate group counts once)."""
    group = _group_of(groups)
    key = {item: ("g", group[item]) if item in group else ("i", item) for item in {*ranked, *relevant}}
    seen: set[tuple[str, object]] = set()
    gains = []
    for item in ranked[:k]:
        gains.append(int(item in relevant and key[item] not in seen))
        seen.add(key[item])
    distinct = len({key[item] for item in relevant})
    return gains, distinct


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10,
              groups: Iterable[Collection[str]] = ()) -> float:
    """nDCG@k with binary relevance; a duplicate of an item already listed counts as not relevant."""
    gains, distinct = _gains(ranked, relevant, list(groups), k)
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, distinct)))
    return dcg / ideal if ideal > 0 else 0.0


def precision_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10,
                   groups: Iterable[Collection[str]] = ()) -> float:
    """Share of the top k that is relevant and not a duplicate of an item already listed."""
    gains, _ = _gains(ranked, relevant, list(groups), k)
    return sum(gains) / k if k > 0 else 0.0


@dataclass(frozen=True)
class PairScores:
    precision: float
    recall: float
    f1: float
    predicted_pairs: int
    true_pairs: int


def _pairs(groups: Iterable[Collection[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for group in groups for p in combinations(sorted(set(group)), 2)}


def duplicate_pair_scores(predicted: Iterable[Collection[str]], truth: Iterable[Collection[str]]) -> PairScores:
    """Pairwise precision, recall and F1 of predicted duplicate groups against true ones.

    With no predicted pairs precision is 1 (nothing wrong was claimed); with no true pairs recall is 1.
    """
    pred, true = _pairs(predicted), _pairs(truth)
    hits = len(pred & true)
    precision = hits / len(pred) if pred else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return PairScores(precision, recall, f1, len(pred), len(true))
