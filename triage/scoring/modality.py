"""Raw similarity of each item's vectors in one modality to a set of query vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from triage.scoring.types import Item, Vectors, unit

MODALITIES = ("text", "transcript", "frames")


@dataclass
class ModalityScores:
    raw: np.ndarray  # (n,) raw similarity, nan where the item lacks the modality
    best_span: list[tuple[int, int]]  # first and last chunk index of the best-matching span


def pool_vectors(items: Sequence[Item], modality: str) -> list[Vectors | None]:
    """Each item's vectors of one modality (None where missing or empty)."""
    out: list[Vectors | None] = []
    for item in items:
        v = getattr(item, modality)
        out.append(v if v is not None and len(v.matrix) > 0 else None)
    return out


def text_space_vectors(items: Sequence[Item]) -> list[np.ndarray | None]:
    """Each item's whole-piece vector in the text-encoder space (typed text, else transcript), or None."""
    out: list[np.ndarray | None] = []
    for item in items:
        v = item.text if item.text is not None and len(item.text.matrix) else item.transcript
        out.append(v.pooled_vector() if v is not None and len(v.matrix) else None)
    return out


def _spans(vecs: Vectors, windows: bool) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Candidate spans: every chunk, plus (for words) every pair of neighbours, since a joke's point
    often straddles a sentence boundary."""
    m = np.asarray(vecs.matrix, dtype=np.float32)
    spans = [(k, k) for k in range(len(m))]
    rows = [m]
    if windows and len(m) > 1:
        rows.append(unit(m[:-1] + m[1:]))
        spans += [(k, k + 1) for k in range(len(m) - 1)]
    return np.concatenate(rows), spans


def _aggregate(sims: np.ndarray, max_weight: float) -> np.ndarray:
    """Blend the mean over query rows (the call-out as a whole) with the best row (one phrase hits)."""
    return (1 - max_weight) * sims.mean(axis=-1) + max_weight * sims.max(axis=-1)


def modality_scores(vecs: Sequence[Vectors | None], queries: np.ndarray, pooled_weight: float,
                    max_weight: float, negative: np.ndarray | None = None, negative_weight: float = 0.0,
                    windows: bool = True) -> ModalityScores:
    """Raw relevance of each item to the query rows: pooled vector and best span, blended."""
    q = unit(np.asarray(queries, dtype=np.float32))
    neg = unit(np.asarray(negative, dtype=np.float32)) if negative is not None and len(negative) else None
    raw = np.full(len(vecs), np.nan)
    best: list[tuple[int, int]] = [(0, 0)] * len(vecs)
    for i, v in enumerate(vecs):
        if v is None:
            continue
        cand, spans = _spans(v, windows)
        span_scores = _aggregate(cand @ q.T, max_weight)
        k = int(np.argmax(span_scores))
        pooled = unit(v.pooled_vector())
        score = pooled_weight * float(_aggregate(pooled[None, :] @ q.T, max_weight)[0]) \
            + (1 - pooled_weight) * float(span_scores[k])
        if neg is not None and negative_weight > 0:
            hit = max(float((neg @ pooled).max()), float((cand @ neg.T).max()))
            score -= negative_weight * max(hit, 0.0)
        raw[i] = score
        best[i] = spans[k]
    return ModalityScores(raw=raw, best_span=best)
