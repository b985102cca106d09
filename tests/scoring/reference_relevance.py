"""The per-piece scoring as it was before the pool was scored as stacked matrices (issue 21), kept verbatim as
the reference the vectorised path must agree with: one small matrix product per piece and per call-out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from triage.scoring.modality import MODALITIES, pool_vectors
from triage.scoring.relevance import (
    WORDS,
    RelevanceParams,
    _standardise,
    classify,
    smooth,
    smoothing_graph,
    with_exemplars,
)
from triage.scoring.types import CalloutQuery, Explanation, Item, Scored, Vectors, unit


@dataclass
class ModalityScores:
    raw: np.ndarray
    best_span: list[tuple[int, int]]


def _spans(vecs: Vectors, windows: bool) -> tuple[np.ndarray, list[tuple[int, int]]]:
    m = np.asarray(vecs.matrix, dtype=np.float32)
    spans = [(k, k) for k in range(len(m))]
    rows = [m]
    if windows and len(m) > 1:
        rows.append(unit(m[:-1] + m[1:]))
        spans += [(k, k + 1) for k in range(len(m) - 1)]
    return np.concatenate(rows), spans


def _aggregate(sims: np.ndarray, max_weight: float) -> np.ndarray:
    return (1 - max_weight) * sims.mean(axis=-1) + max_weight * sims.max(axis=-1)


def modality_scores(vecs: Sequence[Vectors | None], queries: np.ndarray, pooled_weight: float,
                    max_weight: float, negative: np.ndarray | None = None, negative_weight: float = 0.0,
                    windows: bool = True) -> ModalityScores:
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


@dataclass
class _Pass:
    z: dict[str, np.ndarray]
    raw: dict[str, ModalityScores]
    fused: np.ndarray


def _standard_scores(items: Sequence[Item], text: np.ndarray | None, clip: np.ndarray | None,
                     p: RelevanceParams, extras: CalloutQuery | None = None) -> _Pass:
    n = len(items)
    z: dict[str, np.ndarray] = {}
    raw: dict[str, ModalityScores] = {}
    for modality in MODALITIES:
        q = clip if modality == "frames" else text
        vecs = pool_vectors(items, modality)
        if q is None or len(q) == 0 or all(v is None for v in vecs):
            continue
        negative = None
        if extras is not None:
            negative = extras.negative_clip if modality == "frames" else extras.negative_text
        scores = modality_scores(vecs, unit(np.asarray(q, dtype=np.float32)), p.pooled_weight, p.max_weight,
                                 negative, p.negative_weight)
        z[modality] = _standardise(scores.raw, p)
        raw[modality] = scores
    fused = np.full(n, np.nan)
    total = np.zeros(n)
    weight = np.zeros(n)
    for modality, zs in z.items():
        w = p.modality_weights.get(modality, 1.0)
        ok = ~np.isnan(zs)
        total[ok] += w * zs[ok]
        weight[ok] += w
    has = weight > 0
    fused[has] = total[has] / weight[has]
    return _Pass(z=z, raw=raw, fused=fused)


def score_pool(items: Sequence[Item], query: CalloutQuery, params: RelevanceParams | None = None) -> list[Scored]:
    p = params or RelevanceParams()
    if not items:
        return []
    query = with_exemplars(items, query)
    this = _standard_scores(items, query.text, query.clip, p, query)
    others = [_standard_scores(items, t, query.others_clip[j] if j < len(query.others_clip) else None, p).fused
              for j, t in enumerate(query.others_text)]
    graph = smoothing_graph(items, p)
    fused = smooth(this.fused, graph, p.smooth_weight) if graph else this.fused
    others = [smooth(o, graph, p.smooth_weight) for o in others] if graph else others
    alone = classify(fused, [], p.slope, p.center)
    score = alone
    if others and p.contrast > 0:
        score = (1 - p.contrast) * alone + p.contrast * classify(fused, others, p.slope, p.center)
    return [_scored(item, i, this, float(score[i]), p) for i, item in enumerate(items)]


def _scored(item: Item, i: int, run: _Pass, score: float, p: RelevanceParams) -> Scored:
    if np.isnan(run.fused[i]):
        return Scored(item.submission_id, 0.0, {}, Explanation("none", 0.0, "nothing to compare: no words or frames"))
    per = {m: _logistic(float(z[i]), p) for m, z in run.z.items() if not np.isnan(z[i])}
    best = max(per, key=lambda m: (p.modality_weights.get(m, 1.0) * per[m], m))
    return Scored(item.submission_id, score, per, _explain(item, best, run.raw[best], i, per[best]),
                  _words_similarity(run, i))


def _words_similarity(run: _Pass, i: int) -> float | None:
    raw = [float(run.raw[m].raw[i]) for m in WORDS if m in run.raw and not np.isnan(run.raw[m].raw[i])]
    return max(raw) if raw else None


def _logistic(z: float, p: RelevanceParams) -> float:
    return float(1.0 / (1.0 + np.exp(-p.slope * (z - p.center))))


def _explain(item: Item, modality: str, scores: ModalityScores, i: int, score: float) -> Explanation:
    vecs = getattr(item, modality)
    lo, hi = scores.best_span[i]
    chunks = vecs.chunks[lo:hi + 1] if vecs is not None and vecs.chunks else []
    if not chunks:
        return Explanation(modality, score)
    if modality == "frames":
        return Explanation(modality, score, frame_time=chunks[0].start)
    snippet = " ".join(c.text.strip() for c in chunks if c.text)
    return Explanation(modality, score, snippet=snippet, start=chunks[0].start, end=chunks[-1].end,
                       char_start=chunks[0].char_start, char_end=chunks[-1].char_end)
