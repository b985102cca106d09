"""Sub-theme clusters of a pool, with short readable labels from the members' own words (labels.py)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from triage.scoring.key_words import PoolWords, key_words
from triage.scoring.labels import Embed, candidates, cluster_label, pool_phrases
from triage.scoring.modality import text_space_vectors
from triage.scoring.types import Item, unit


@dataclass(frozen=True)
class Cluster:
    id: int
    label: str
    size: int
    members: tuple[str, ...]  # nearest the centre first
    key_words: tuple[str, ...]


def item_features(items: Sequence[Item], frames_weight: float = 0.5) -> np.ndarray:
    """One unit row per item: its word vector (text, else transcript) beside its frame vector, zeros where
    missing, so items are compared on what they have."""
    def part(name: str) -> np.ndarray | None:
        dims = {len(getattr(i, name).matrix[0]) for i in items if getattr(i, name) is not None
                and len(getattr(i, name).matrix)}
        if not dims:
            return None
        rows = np.zeros((len(items), dims.pop()), dtype=np.float32)
        at = [k for k, item in enumerate(items) if getattr(item, name) is not None and len(getattr(item, name).matrix)]
        if at:  # one pass over the stacked rows, not one call per item (300 ms per 100,000 items)
            rows[at] = unit(np.stack([getattr(items[k], name).pooled_vector() for k in at]))
        return rows
    words = [p for p in (part("text"), part("transcript")) if p is not None]
    word_rows = sum(words[1:], words[0]) if words else None
    frames = part("frames")
    pieces = [x for x in (word_rows, None if frames is None else frames_weight * frames) if x is not None]
    if not pieces:
        return np.zeros((len(items), 1), dtype=np.float32)
    return unit(np.concatenate(pieces, axis=1))


def kmeans_starts(x: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k-means++ starting centres (rows of `x`), each drawn with odds growing with its distance from those before."""
    rng = np.random.default_rng(seed)
    n = len(x)
    centres = [x[int(rng.integers(n))]]
    for _ in range(1, k):
        d = np.clip(1 - np.max(x @ np.stack(centres).T, axis=1), 0, None)
        centres.append(x[int(rng.choice(n, p=d / d.sum()))] if d.sum() > 0 else x[int(rng.integers(n))])
    return np.stack(centres)


def kmeans(x: np.ndarray, k: int, seed: int = 0, iters: int = 50) -> np.ndarray:
    """Spherical k-means (cosine) with k-means++ starts; deterministic for a given seed."""
    n = len(x)
    c = kmeans_starts(x, k, seed)
    labels = np.zeros(n, dtype=int)
    for step in range(iters):
        new = np.argmax(x @ c.T, axis=1)
        if step and np.array_equal(new, labels):
            break
        labels = new
        member = (labels[:, None] == np.arange(k)[None, :]).astype(x.dtype)
        # Every centre in one matrix product instead of a mask per cluster; as (d, n) @ (n, k), which BLAS does
        # about 4x faster than (k, n) @ (n, d) when n is 100,000 and k a dozen.
        sums = (x.T @ member).T
        filled = member.sum(axis=0) > 0
        c[filled] = unit(sums[filled])
    return labels


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette with cosine distance (0 for a single cluster). Vectorised: O(n^2) memory, so callers
    pass a sample of large pools."""
    ks, index = np.unique(labels, return_inverse=True)
    if len(ks) < 2:
        return 0.0
    dist = np.clip(1 - x @ x.T, 0, None)
    onehot = np.eye(len(ks), dtype=dist.dtype)[index]
    sizes = onehot.sum(axis=0)
    per_cluster = dist @ onehot  # summed distance from each point to each cluster
    own = sizes[index]
    a = per_cluster[np.arange(len(x)), index] / np.maximum(own - 1, 1)
    mean_to = per_cluster / sizes
    mean_to[np.arange(len(x)), index] = np.inf
    b = mean_to.min(axis=1)
    denom = np.maximum(a, b)
    s = np.where((own > 1) & (denom > 0), (b - a) / np.where(denom > 0, denom, 1), 0.0)
    return float(s.mean())


def k_bounds(n: int, k_min: int, k_max: int) -> tuple[int, int]:
    """The range of k to try for n items: from about sqrt(n/2) (the usual rule of thumb) to sqrt(n).

    Silhouette on sentence-embedding cosines is nearly flat, and its maximum often sits at 2-4 clusters
    that mix sub-themes; starting at the rule of thumb keeps it choosing among plausible sizes."""
    hi = max(1, min(k_max, int(math.sqrt(n))))
    lo = min(hi, max(k_min, 2, round(math.sqrt(n / 2))))
    return lo, hi


def choose_k(x: np.ndarray, k_min: int, k_max: int, seed: int, sample: int) -> int:
    """The k within `k_bounds` with the best silhouette, judged on a fixed random sample of at most
    `sample` rows so that large pools cost the same as mid-sized ones."""
    n = len(x)
    lo, hi = k_bounds(n, k_min, k_max)
    if n > sample:
        x = x[np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))]
    best_k, best_s = 1, -2.0
    for kk in range(lo, hi + 1):
        if kk < 2:
            continue
        s = silhouette(x, kmeans(x, kk, seed))
        if s > best_s + 1e-9:
            best_k, best_s = kk, s
    return best_k


def cluster_pool(items: Sequence[Item], k: int | None = None, k_min: int = 2, k_max: int = 12,
                 seed: int = 0, label_words: int = 3, sample: int = 1500, embed: Embed | None = None,
                 label_candidates: int = 12) -> list[Cluster]:
    """Clusters of the pool, largest first. k is chosen by silhouette within `k_bounds`
    (on a sample of at most `sample` items) unless given. Pools too small to split make one cluster.

    A label is a phrase or two that several members share ("cheddar cheese and sandwiches"), else the quoted
    opening of the piece nearest the centre, else its kinds of media ("3 videos without speech"); `key_words`
    are the members' shared single words. `embed` is the text encoder the items' word vectors came from. With
    it, both are chosen among the cluster's `label_candidates` best by how near each lies to its members'
    word vectors as well: the topic's words rather than an adverb or a stray string the members happen to
    share.
    """
    n = len(items)
    if n == 0:
        return []
    x = item_features(items)
    chosen = choose_k(x, k_min, k_max, seed, sample) if k is None else max(1, min(k, n))
    labels = kmeans(x, chosen, seed) if chosen > 1 else np.zeros(n, dtype=int)
    texts, kinds = [i.words for i in items], [i.media_type.value for i in items]
    phrases = pool_phrases(texts)
    word_vectors = _unit_rows(text_space_vectors(items)) if embed is not None else []
    groups = []
    pool_words = PoolWords.of(texts)
    for j in np.unique(labels):
        idx = np.flatnonzero(labels == j)
        centre = unit(x[idx].mean(axis=0))
        at = [int(i) for i in idx[np.argsort(-(x[idx] @ centre), kind="stable")]]
        words = key_words(at, pool_words, label_words if embed is None else label_candidates)
        groups.append((at, words, candidates(at, phrases, label_candidates)))
    groups.sort(key=lambda g: (-len(g[0]), items[g[0][0]].submission_id))
    if embed is not None:  # one encoder call for every cluster's candidates, not two per cluster
        embed = _remembered(embed, (t for _, words, found in groups for t in (*words, *found.forms.values())))
    clusters = []
    for cid, (at, words, found) in enumerate(groups):
        vectors = [word_vectors[i] for i in at] if embed is not None else []
        key = words if embed is None else _nearest_words(words, vectors, embed, label_words)
        label = cluster_label(at, found, texts, kinds, _word_centre(at, word_vectors), embed)
        clusters.append(Cluster(cid, label, len(at), tuple(items[i].submission_id for i in at), tuple(key)))
    return clusters


def _remembered(embed: Embed, texts: Iterable[str]) -> Embed:
    """`embed` run once over `texts`, then answered from memory (and asked again only for a text not among
    them): the encoder's cost per call, not per text, dominates a few words at a time."""
    known: dict[str, np.ndarray] = {}

    def run(asked: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(asked) if t not in known]
        if new:
            known.update(zip(new, np.asarray(embed(new), dtype=np.float32), strict=True))
        return np.stack([known[t] for t in asked]) if asked else np.zeros((0, 0), dtype=np.float32)

    run(list(texts))
    return run


def _unit_rows(vectors: list[np.ndarray | None]) -> list[np.ndarray | None]:
    """Each vector at unit length (None stays None): rows of one size in one pass, not one call per vector."""
    present = {k: v for k, v in enumerate(vectors) if v is not None}
    if len({len(v) for v in present.values()}) != 1:  # none, or of several sizes (a pool between two models)
        return [None if v is None else unit(v) for v in vectors]
    out: list[np.ndarray | None] = [None] * len(vectors)
    for k, row in zip(present, unit(np.stack(list(present.values()))), strict=True):
        out[k] = row
    return out


def _word_centre(members: list[int], word_vectors: list[np.ndarray | None]) -> np.ndarray | None:
    """The members' mean word vector (None without an encoder, or when none of them has words); `word_vectors`
    are at unit length."""
    present = [v for v in (word_vectors[i] for i in members) if v is not None] if word_vectors else []
    return unit(np.mean(present, axis=0)) if present else None


def _nearest_words(candidates: list[str], member_vectors: list[np.ndarray | None], embed: Embed,
                   n: int) -> list[str]:
    """The n best candidates when their order as shared words and their order by closeness to the members'
    mean word vector count the same (sum of the two ranks; ties keep the shared-word order)."""
    present = [v for v in member_vectors if v is not None]  # at unit length
    if not candidates or not present:
        return candidates[:n]
    centre = unit(np.mean(present, axis=0))
    closeness = unit(np.asarray(embed(candidates), dtype=np.float32)) @ centre
    closeness_rank = np.argsort(np.argsort(-closeness, kind="stable"), kind="stable")
    order = np.argsort(np.arange(len(candidates)) + closeness_rank, kind="stable")
    return [candidates[i] for i in order[:n]]
