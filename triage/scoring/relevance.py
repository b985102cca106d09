"""Theme relevance of a pool of items to one call-out: per-modality scores fused into one calibrated score.

How a score is made (all pure numpy):
1. Raw similarity per modality: the item's pooled vector and its best chunk (sentence, window of
   transcript segments, or frame) against the call-out's query vectors (title, brief, phrases, prompts).
   Curator exemplars pull up (similarity to them counts), negative prompts push down.
2. Contrast: the same raw similarity against each OTHER call-out of the archive; each call-out's scores are
   standardised over the pool, and an item that answers another call-out better than this one is pushed down.
3. Pseudo-relevance feedback: the centroid of the pool's best first-pass items joins the query, for
   this call-out and the others alike, then steps 1-2 run again.
4. Fusion: standardised per-modality scores are averaged over the modalities the item HAS (a missing
   modality is never a zero), then mapped through a fixed logistic to [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from triage.scoring.modality import MODALITIES, ModalityScores, modality_scores, pool_vectors
from triage.scoring.types import CalloutQuery, Explanation, Item, Scored, unit


@dataclass(frozen=True)
class RelevanceParams:
    """Knobs of the relevance model. Defaults are chosen for the kind of problem, not for one corpus."""

    # Measured with Whisper transcripts and 40-word chunks on three built corpora (issue 4 table in
    # benchmarks/RESULTS.md): a larger share for the best chunk, and no pseudo-relevance feedback (its top
    # first-pass items are often off-theme among noisy transcripts, so it drifted), helped two corpora and
    # left the held-out third unchanged.
    pooled_weight: float = 0.4  # share of the whole-item vector against the best chunk
    max_weight: float = 0.0  # share of the best-matching query row against the mean query
    contrast: float = 0.5  # how hard "answers another call-out better" pushes down
    contrast_temperature: float = 0.5  # softness of the max over other call-outs (in standard units)
    feedback_k: int = 0  # pool items used for pseudo-relevance feedback (0 disables it)
    feedback_weight: float = 0.3
    exemplar_weight: float = 0.5
    negative_weight: float = 0.5
    modality_weights: dict[str, float] = field(
        default_factory=lambda: {"text": 1.0, "transcript": 1.0, "frames": 0.5})
    prior_n: float = 8.0  # pseudo-count shrinking small pools' statistics towards the prior below
    prior_mean: float = 0.0
    prior_std: float = 0.1
    slope: float = 1.6  # logistic mapping of the fused standard score to [0, 1]
    center: float = 1.25  # fused standard score that maps to 0.5


def score_pool(items: Sequence[Item], query: CalloutQuery,
               params: RelevanceParams | None = None) -> list[Scored]:
    """Score every item of a pool against one call-out; one `Scored` per item, in input order."""
    p = params or RelevanceParams()
    if not items:
        return []
    first = _standard_scores(items, query, p, feedback=None)
    feedback = None
    if p.feedback_k > 0 and len(items) >= 2 * p.feedback_k:
        feedback = _feedback_centroids(items, query, first, p)
    final = _standard_scores(items, query, p, feedback=feedback)
    return [_scored(item, i, final, p) for i, item in enumerate(items)]


# --- internals ------------------------------------------------------------------------------------------

@dataclass
class _Pass:
    z: dict[str, np.ndarray]  # modality -> (n,) standardised contrasted score, nan where missing
    raw: dict[str, ModalityScores]
    fused: np.ndarray  # (n,) fused standard score, nan where an item has no modality


def _queries(query: CalloutQuery, modality: str) -> tuple[np.ndarray | None, list[np.ndarray], np.ndarray | None]:
    if modality == "frames":
        return query.clip, list(query.others_clip), query.negative_clip
    return query.text, list(query.others_text), query.negative_text


def _standardise(raw: np.ndarray, p: RelevanceParams) -> np.ndarray:
    """Standard scores over the pool, shrunk towards the prior when the pool is small."""
    present = raw[~np.isnan(raw)]
    n = len(present)
    if n == 0:
        return raw
    w = n / (n + p.prior_n)
    mean = w * float(np.median(present)) + (1 - w) * p.prior_mean
    spread = float(np.std(present)) if n > 1 else p.prior_std
    std = max(w * spread + (1 - w) * p.prior_std, 1e-6)
    return (raw - mean) / std


def _standard_scores(items: Sequence[Item], query: CalloutQuery, p: RelevanceParams,
                     feedback: dict[str, list[np.ndarray | None]] | None) -> _Pass:
    n = len(items)
    z: dict[str, np.ndarray] = {}
    raw: dict[str, ModalityScores] = {}
    for modality in MODALITIES:
        vecs = pool_vectors(items, modality)
        if all(v is None for v in vecs):
            continue
        q, others, negative = _queries(query, modality)
        if q is None or len(q) == 0:
            continue
        exemplars = _exemplar_rows(items, vecs, query.exemplar_ids)
        fb = feedback.get(modality) if feedback else None
        this = modality_scores(vecs, _with_feedback(q, fb[0] if fb else None, p), p.pooled_weight,
                               p.max_weight, exemplars, p.exemplar_weight, negative, p.negative_weight)
        zs = _standardise(this.raw, p)
        other_z = []
        for j, o in enumerate(others):
            if o is None or len(o) == 0:
                continue
            ofb = fb[j + 1] if fb else None
            other = modality_scores(vecs, _with_feedback(o, ofb, p), p.pooled_weight, p.max_weight)
            other_z.append(_standardise(other.raw, p))
        if other_z and p.contrast > 0:
            stack = np.nan_to_num(np.stack(other_z), nan=-1e3) / p.contrast_temperature
            top = stack.max(axis=0)
            soft_max = p.contrast_temperature * (top + np.log(np.exp(stack - top).sum(axis=0)))
            zs = zs - p.contrast * np.maximum(soft_max - zs, 0.0)
        z[modality] = zs
        raw[modality] = this
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


def _with_feedback(q: np.ndarray, centroid: np.ndarray | None, p: RelevanceParams) -> np.ndarray:
    """The query rows, each moved towards the feedback centroid (Rocchio)."""
    q = unit(np.asarray(q, dtype=np.float32))
    if centroid is None:
        return q
    return unit(q + p.feedback_weight * centroid[None, :])


def _exemplar_rows(items: Sequence[Item], vecs: list, exemplar_ids: Sequence[str]) -> np.ndarray | None:
    wanted = set(exemplar_ids)
    rows = [v.pooled_vector() for item, v in zip(items, vecs, strict=True)
            if v is not None and item.submission_id in wanted]
    return unit(np.stack(rows)) if rows else None


def _feedback_centroids(items: Sequence[Item], query: CalloutQuery, first: _Pass,
                        p: RelevanceParams) -> dict[str, list[np.ndarray | None]]:
    """Per modality: the centroid of this call-out's top first-pass items, then one per other call-out.

    Other call-outs get their own feedback so the contrast stays fair; their first pass is computed
    with this call-out among their "others".
    """
    out: dict[str, list[np.ndarray | None]] = {}
    rankings = [first.fused]
    n_others = len(query.others_text)
    for j in range(n_others):
        swapped = _swap(query, j)
        rankings.append(_standard_scores(items, swapped, p, feedback=None).fused)
    for modality in first.z:
        vecs = pool_vectors(items, modality)
        cents: list[np.ndarray | None] = []
        for fused in rankings:
            order = [i for i in np.argsort(-np.nan_to_num(fused, nan=-np.inf), kind="stable")
                     if vecs[i] is not None][: p.feedback_k]
            cents.append(unit(np.mean([vecs[i].pooled_vector() for i in order], axis=0)) if order else None)
        out[modality] = cents
    return out


def _swap(query: CalloutQuery, j: int) -> CalloutQuery:
    """The query as seen from other call-out j: it becomes the target, this one joins the others."""
    others_text = [query.text, *[o for k, o in enumerate(query.others_text) if k != j]]
    clip = query.others_clip[j] if j < len(query.others_clip) else None
    others_clip = ([query.clip, *[o for k, o in enumerate(query.others_clip) if k != j]]
                   if query.clip is not None and query.others_clip else [])
    return CalloutQuery(text=query.others_text[j], clip=clip, others_text=others_text, others_clip=others_clip)


def _scored(item: Item, i: int, run: _Pass, p: RelevanceParams) -> Scored:
    fused = run.fused[i]
    if np.isnan(fused):
        return Scored(item.submission_id, 0.0, {}, Explanation("none", 0.0, "nothing to compare: no words or frames"))
    per = {m: _logistic(float(z[i]), p) for m, z in run.z.items() if not np.isnan(z[i])}
    best = max(per, key=lambda m: (p.modality_weights.get(m, 1.0) * per[m], m))
    return Scored(item.submission_id, _logistic(float(fused), p), per, _explain(item, best, run.raw[best], i, per[best]))


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
