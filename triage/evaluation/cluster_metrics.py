"""How well clusters match a known answer key: normalised mutual information and purity."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


def _entropy(counts: Sequence[int], n: int) -> float:
    return -sum(c / n * math.log(c / n) for c in counts if c)


def nmi(predicted: Sequence[object], truth: Sequence[object]) -> float:
    """Normalised mutual information (arithmetic-mean normalisation) between two labellings of the same items;
    1.0 for identical partitions, near 0 for unrelated ones; 1.0 when both put everything together."""
    if len(predicted) != len(truth):
        raise ValueError("both labellings must cover the same items")
    n = len(truth)
    if n == 0:
        return 1.0
    joint = Counter(zip(predicted, truth, strict=True))
    by_pred, by_true = Counter(predicted), Counter(truth)
    mi = sum(c / n * math.log(c * n / (by_pred[p] * by_true[t])) for (p, t), c in joint.items())
    h = (_entropy(list(by_pred.values()), n) + _entropy(list(by_true.values()), n)) / 2
    return 1.0 if h == 0 else max(0.0, min(1.0, mi / h))


def purity(predicted: Sequence[object], truth: Sequence[object]) -> float:
    """Share of items whose cluster's most common true label is their own (1.0 for one item per cluster)."""
    if len(predicted) != len(truth):
        raise ValueError("both labellings must cover the same items")
    if not truth:
        return 1.0
    members: dict[object, Counter] = {}
    for p, t in zip(predicted, truth, strict=True):
        members.setdefault(p, Counter())[t] += 1
    return sum(c.most_common(1)[0][1] for c in members.values()) / len(truth)
