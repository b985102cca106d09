"""Theme relevance of a pool of items to one call-out: per-modality scores fused into one calibrated score.

How a score is made (all pure numpy):
1. Raw similarity per modality: the item's pooled vector and its best chunk (sentence, window of
   transcript segments, or frame) against the call-out's query vectors (title, brief, phrases, prompts).
   Pieces a curator marked as exemplars join the query rows; negative prompts push down.
2. Standard scores: each modality's raw scores are standardised over the pool (noisy transcripts and clean
   texts then compete fairly) and averaged over the modalities the item HAS (a missing modality is never a
   zero). The same is done for each OTHER call-out of the archive.
3. Smoothing over the pool: each item's standard score is blended with those of its nearest neighbours in
   the pool's own word-vector graph, for every call-out alike; pieces on one topic cluster even when each
   one's words barely touch the brief.
4. A zero-shot classifier: the score in [0, 1] is the softmax weight of this call-out among all call-outs
   plus a "none of them" option. An item that answers another call-out better is pushed down; with no
   other call-out this is a plain logistic of the standard score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np

from triage.scoring.modality import (
    MODALITIES,
    ModalityScores,
    PoolFeatures,
    score_rows,
    text_space_vectors,
)
from triage.scoring.types import CalloutQuery, Explanation, Item, Scored, unit


@dataclass(frozen=True)
class RelevanceParams:
    """Knobs of the relevance model. Defaults are chosen for the kind of problem, not for one corpus.

    Measured with Whisper transcripts and 40-word chunks on built corpora (issue 4 table in
    benchmarks/RESULTS.md); a change was kept only when it helped both tuning corpora and did not hurt the
    held-out ones.
    """

    pooled_weight: float = 0.4  # share of the whole-item vector against the best chunk
    max_weight: float = 0.0  # share of the best-matching query row against the mean query
    # Share of the classifier over call-outs against the item's own logistic score (0 ignores the other
    # call-outs). Pure classification measured best: other call-outs are the strongest evidence of what an
    # item is NOT about.
    contrast: float = 1.0
    negative_weight: float = 0.5
    modality_weights: dict[str, float] = field(
        default_factory=lambda: {"text": 1.0, "transcript": 1.0, "frames": 0.5})
    prior_n: float = 8.0  # pseudo-count shrinking small pools' statistics towards the prior below
    prior_mean: float = 0.0
    prior_std: float = 0.1
    # Logits of the classifier are slope * standard score; "none of the call-outs" has the logit
    # slope * center, i.e. an item must stand about one spread above the pool's median to win. With no other
    # call-out the score is the logistic slope * (z - center).
    slope: float = 1.0
    center: float = 1.0
    # kNN smoothing: a few neighbours (a topic's pieces are a small share of a pool) and a quarter of the
    # weight, so an item's own words still decide. Pools above smooth_max skip it: the neighbour search is
    # n^2 (measured on 2 busy cores: 0.4 s at 2k items, 2.4 s at 5k, 13 s at 10k).
    smooth_k: int = 5
    smooth_weight: float = 0.25
    smooth_max: int = 5_000


Graph = tuple[np.ndarray, np.ndarray]
WORDS = ("text", "transcript")  # the modalities in the text-encoder space, where search's floor is calibrated


def score_pool(items: Sequence[Item], query: CalloutQuery, params: RelevanceParams | None = None, *,
               graph: Graph | None | Literal["auto"] = "auto", features: PoolFeatures | None = None) -> list[Scored]:
    """Score every item of a pool against one call-out; one `Scored` per item, in input order.

    `graph` is the pool's neighbour graph from `smoothing_graph` and `features` its stacked vectors
    (`PoolFeatures(items)`): both depend on the pool only, so a caller that scores one pool many times can make
    them once. "auto" and None make them here.
    """
    return pool_scores(items, query, params, graph=graph, features=features).all()


def pool_scores(items: Sequence[Item], query: CalloutQuery, params: RelevanceParams | None = None, *,
                graph: Graph | None | Literal["auto"] = "auto", features: PoolFeatures | None = None) -> PoolScores:
    """`score_pool` as arrays: a ranking needs the scores only, and the explanations of the pieces it shows."""
    p = params or RelevanceParams()
    if not items:
        return PoolScores.of([])
    query = with_exemplars(items, query)
    passes = _passes(features if features is not None else PoolFeatures(items), len(items), query, p)
    this = passes[0]
    others = [o.fused for o in passes[1:]]
    if isinstance(graph, str):
        graph = smoothing_graph(items, p)
    fused = smooth(this.fused, graph, p.smooth_weight) if graph else this.fused
    others = [smooth(o, graph, p.smooth_weight) for o in others] if graph else others
    alone = classify(fused, [], p.slope, p.center)
    score = alone
    if others and p.contrast > 0:
        score = (1 - p.contrast) * alone + p.contrast * classify(fused, others, p.slope, p.center)
    return PoolScores(items, np.asarray(score, dtype=np.float64), _words_similarity(this), this, p)


def with_exemplars(items: Sequence[Item], query: CalloutQuery) -> CalloutQuery:
    """The call-out's query rows plus one row per exemplar a curator marked, in each space it has a vector:
    its words (typed text, else transcript) beside the call-out's texts, its frames beside their CLIP twins.

    An exemplar counts as much as one phrase of the brief. Measured (RESULTS, session 4): as rows, marked
    pieces help a little; mixed in as "nearness to the closest exemplar", they made search worse.
    """
    wanted = set(query.exemplar_ids)
    if not wanted:
        return query
    marked = [item for item in items if item.submission_id in wanted]
    words = [v for v in text_space_vectors(marked) if v is not None]
    frames = [v.pooled_vector() for v in (item.frames for item in marked) if v is not None and len(v.matrix)]
    text = np.vstack([query.text, *words]) if words else query.text
    clip = query.clip
    if frames and clip is not None and len(clip):
        clip = np.vstack([clip, *frames])
    return replace(query, text=text, clip=clip)


def like_query(item: Item) -> CalloutQuery | None:
    """One piece as a query ("more like this"): its whole-piece vector in each space it has, no other call-outs
    to contrast with. None when the piece has neither words nor frames."""
    words = text_space_vectors([item])[0]
    frames = item.frames.pooled_vector()[None, :] if item.frames is not None and len(item.frames.matrix) else None
    if words is None and frames is None:
        return None
    text = words[None, :] if words is not None else np.zeros((0, 0), dtype=np.float32)
    return CalloutQuery(text=text, clip=frames)


def smoothing_graph(items: Sequence[Item], params: RelevanceParams | None = None) -> Graph | None:
    """The pool's nearest-neighbour graph in the text space, or None where smoothing is off or too costly."""
    p = params or RelevanceParams()
    if not 0 < len(items) <= p.smooth_max:
        return None
    return pool_graph(text_space_vectors(items), p.smooth_k)


def pool_graph(vectors: Sequence[np.ndarray | None], k: int, block: int = 1024) -> Graph | None:
    """Each item's k nearest neighbours in the pool (cosine) and their weights (similarity, summing to 1).

    Returns (neighbours, weights), both (n, k); items without a vector have weight 0 and are never anyone's
    neighbour. None when fewer than k + 1 items have a vector.
    """
    ok = np.array([v is not None for v in vectors], dtype=bool)
    idx = np.flatnonzero(ok)
    if k <= 0 or len(idx) <= k:
        return None
    m = unit(np.stack([np.asarray(vectors[i], dtype=np.float32) for i in idx.tolist()]))
    n = len(vectors)
    nb = np.zeros((n, k), dtype=np.int64)
    w = np.zeros((n, k), dtype=np.float32)
    for lo in range(0, len(idx), block):
        sims = m[lo:lo + block] @ m.T
        rows = np.arange(sims.shape[0])
        sims[rows, lo + rows] = -np.inf  # never one's own neighbour
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        s = np.maximum(sims[rows[:, None], top], 0.0)
        total = s.sum(axis=1, keepdims=True)
        nb[idx[lo:lo + block]] = idx[top]
        w[idx[lo:lo + block]] = np.divide(s, total, out=np.zeros_like(s), where=total > 0)
    return nb, w


def smooth(z: np.ndarray, graph: Graph | None, weight: float) -> np.ndarray:
    """Blend each score with the weighted mean of its neighbours' scores (one step of label propagation).

    Neighbours without a score are left out; an item with none of them keeps its own score.
    """
    if graph is None or weight <= 0:
        return z
    nb, w = graph
    vals = z[nb]
    w = np.where(np.isnan(vals), 0.0, w)
    total = w.sum(axis=1)
    mean = np.divide((w * np.nan_to_num(vals)).sum(axis=1), total, out=np.zeros(len(z)), where=total > 0)
    return np.where(total > 0, (1 - weight) * z + weight * mean, z)


def classify(z: np.ndarray, others: Sequence[np.ndarray], slope: float, center: float) -> np.ndarray:
    """Probability that each item answers this call-out rather than one of `others` or none of them.

    A softmax over the logits slope * z (this call-out, then each other one) and slope * center ("none").
    Items without a score (nan) get 0; another call-out's nan counts as no chance for it.
    """
    logits = np.stack([z, *others, np.full(len(z), center)]) * slope
    logits = np.where(np.isnan(logits), -np.inf, logits)
    top = logits.max(axis=0)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(logits - top)
    p = e[0] / e.sum(axis=0)
    return np.where(np.isnan(z), 0.0, p)


# --- internals ------------------------------------------------------------------------------------------

@dataclass
class _Pass:
    z: dict[str, np.ndarray]  # modality -> (n,) standard score, nan where missing
    raw: dict[str, ModalityScores]
    fused: np.ndarray  # (n,) fused standard score, nan where an item has no modality


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


def _passes(features: PoolFeatures, n: int, query: CalloutQuery, p: RelevanceParams) -> list[_Pass]:
    """Per-modality and fused standard scores of the pool against the call-out (first) and each other call-out,
    every call-out's rows in the same matrix products. Only the call-out itself has negative prompts."""
    others_clip = [query.others_clip[j] if j < len(query.others_clip) else None for j in range(len(query.others_text))]
    raw: list[dict[str, ModalityScores]] = [{} for _ in range(1 + len(query.others_text))]
    for modality in MODALITIES:
        rows = features.rows(modality)
        if rows is None:
            continue
        sets = [query.clip, *others_clip] if modality == "frames" else [query.text, *query.others_text]
        negative = query.negative_clip if modality == "frames" else query.negative_text
        scores = score_rows(rows, [None if q is None or not len(q) else unit(np.asarray(q, dtype=np.float32))
                                   for q in sets], p.pooled_weight, p.max_weight, [negative], p.negative_weight,
                            spans=1)  # the others' best spans explain nothing
        for k, s in enumerate(scores):
            if s is not None:
                raw[k][modality] = s
    return [_fused(r, n, p) for r in raw]


def _fused(raw: dict[str, ModalityScores], n: int, p: RelevanceParams) -> _Pass:
    """Each modality standardised over the pool, averaged over the modalities each item has."""
    z = {modality: _standardise(scores.raw, p) for modality, scores in raw.items()}
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


class PoolScores:
    """A pool's scores as arrays, in pool order; a piece's `Scored` (with its explanation) is built when asked for.

    Building 10,000 explanations cost more than the vector math of a search; a page shows twenty.
    """

    def __init__(self, items: Sequence[Item], score: np.ndarray, words_similarity: np.ndarray, run: _Pass | None,
                 params: RelevanceParams) -> None:
        self.score = score  # (n,) float64
        self.words_similarity = words_similarity  # (n,) float64, nan without words
        self._items = list(items)
        self._run, self._params = run, params
        self._made: dict[int, Scored] = {}
        self._per: dict[str, np.ndarray] | None = None
        self._best = np.zeros(0, dtype=np.int64)

    @classmethod
    def of(cls, scored: Sequence[Scored]) -> PoolScores:
        """Scores already built (a kept snapshot), as arrays."""
        out = cls([], np.array([s.score for s in scored], dtype=np.float64),
                  np.array([np.nan if s.words_similarity is None else s.words_similarity for s in scored]),
                  None, RelevanceParams())
        out.ids = [s.item_id for s in scored]
        out._made = dict(enumerate(scored))
        return out

    @cached_property
    def ids(self) -> list[str]:
        """The pieces' ids, in pool order (made on first use: a search ranks by table index and needs none)."""
        return [item.submission_id for item in self._items]

    def __len__(self) -> int:
        return len(self.score)

    def scored(self, i: int) -> Scored:
        """The i-th piece's `Scored`, exactly as `score_pool` gives it."""
        made = self._made.get(i)
        if made is None:
            made = self._made[i] = self._build(i)
        return made

    def all(self) -> list[Scored]:
        return [self.scored(i) for i in range(len(self.ids))]

    def aligned(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The scores in the order of `ids` (nan: that piece has none) and each one's index here (-1: none)."""
        if self.ids == list(ids):  # scored in pool order: the usual case
            return self.score, np.arange(len(self.ids))
        here = {sid: k for k, sid in enumerate(self.ids)}
        at = np.array([here.get(sid, -1) for sid in ids], dtype=np.int64)
        score = np.full(len(at), np.nan)
        score[at >= 0] = self.score[at[at >= 0]]
        return score, at

    def _build(self, i: int) -> Scored:
        run, item = self._run, self._items[i]
        assert run is not None  # a snapshot's pieces are all made in `of`
        if np.isnan(run.fused[i]):
            return Scored(item.submission_id, 0.0, {},
                          Explanation("none", 0.0, "nothing to compare: no words or frames"))
        if self._per is None:  # whole-pool passes, once: the same floats a pass over every piece gives
            self._per = {m: _logistic(z, self._params) for m, z in run.z.items()}
            self._best = _best_modality(self._per, self._params)
        mine = {m: float(v[i]) for m, v in self._per.items() if not np.isnan(v[i])}
        m = list(self._per)[int(self._best[i])]
        similar = float(self.words_similarity[i])
        why = _explain(item, m, run.raw[m].best_span[i].tolist(), mine[m])
        return Scored(item.submission_id, float(self.score[i]), mine, why, None if np.isnan(similar) else similar)


def _best_modality(per: dict[str, np.ndarray], p: RelevanceParams) -> np.ndarray:
    """Index (into `per`) of each item's strongest modality by weighted score; a tie goes to the later name."""
    names = list(per)
    best = np.full(len(next(iter(per.values()), [])), -np.inf)
    which = np.zeros(len(best), dtype=np.int64)
    for k in sorted(range(len(names)), key=lambda k: names[k]):
        value = p.modality_weights.get(names[k], 1.0) * np.asarray(per[names[k]])
        take = value >= best  # false for nan
        best = np.where(take, value, best)
        which = np.where(take, k, which)
    return which


def _words_similarity(run: _Pass) -> np.ndarray:
    """Each item's raw similarity in the text space (typed text or transcript, whichever is closer), nan without."""
    out = np.full(len(run.fused), np.nan)
    for m in WORDS:
        if m in run.raw:
            out = np.fmax(out, run.raw[m].raw)
    return out


def _logistic(z: np.ndarray, p: RelevanceParams) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-p.slope * (z - p.center))))


def _explain(item: Item, modality: str, span: list[int], score: float) -> Explanation:
    vecs = getattr(item, modality)
    lo, hi = span
    chunks = vecs.chunks[lo:hi + 1] if vecs is not None and vecs.chunks else []
    if not chunks:
        return Explanation(modality, score)
    if modality == "frames":
        return Explanation(modality, score, frame_time=chunks[0].start)
    first, last = chunks[0], chunks[-1]
    snippet = first.text.strip() if len(chunks) == 1 else " ".join(c.text.strip() for c in chunks if c.text)
    return Explanation(modality, score, snippet=snippet, start=first.start, end=last.end, char_start=first.char_start,
                       char_end=last.char_end)
