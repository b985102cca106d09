"""Raw similarity of each item's vectors in one modality to sets of query vectors, the whole pool at once.

A piece's raw score against one set of query rows (a call-out's title, brief, phrases...) blends two things:
its whole-piece vector, and its best candidate span: every chunk (sentence, transcript window or frame), plus
every pair of neighbouring chunks, since a joke's point often straddles a sentence boundary. Each candidate's
similarity to the query rows is their mean blended with their best (`max_weight`). Negative prompts subtract
the piece's closest approach to any of them.

The pool is scored as a few matrix products over `Rows` (every piece's chunk rows stacked, computed once per
pool) and segment reductions, with every call-out's query rows in the same products. A pair's row
unit(a + b) is never stored: its similarity to q is (a.q + b.q) / |a + b|, and the norms are kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from triage.scoring.types import Item, Vectors, unit

MODALITIES = ("text", "transcript", "frames")
_BLOCK = 1 << 15  # chunk rows per matrix product: bounds the temporary arrays, whatever the pool's size


@dataclass
class ModalityScores:
    raw: np.ndarray  # (n,) raw similarity, nan where the item lacks the modality
    best_span: np.ndarray  # (n, 2) first and last chunk index of the best-matching span ((0, 0) where missing)


@dataclass(frozen=True)
class Rows:
    """One modality of a pool, stacked: piece i's chunk rows are `matrix[starts[i]:starts[i + 1]]` (none: the piece
    lacks the modality). Present pieces' whole-piece vectors are `pooled`, in piece order."""

    matrix: np.ndarray  # (R, d) float32
    starts: np.ndarray  # (n + 1,) int64
    pair_norm: np.ndarray  # (R,) float32 |row r + row r+1|, nan where row r ends its piece (no pair)
    pooled: np.ndarray  # (p, d) float32, p = pieces that have the modality
    pooled_norm: np.ndarray  # (p,) float32

    @property
    def present(self) -> np.ndarray:
        return np.diff(self.starts) > 0


class PoolFeatures:
    """A pool's `Rows` per modality, each stacked on first use and kept: it depends on the pool only, so a
    caller that scores one pool many times (every search of a call-out) builds it once."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.items = list(items)
        self._rows: dict[str, Rows | None] = {}

    def rows(self, modality: str) -> Rows | None:
        """The modality's rows, or None when no piece has it. (Two threads may build it at once: same result.)"""
        if modality not in self._rows:
            vecs = pool_vectors(self.items, modality)
            self._rows[modality] = stack_rows(vecs) if any(v is not None for v in vecs) else None
        return self._rows[modality]


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


def stack_rows(vecs: Sequence[Vectors | None]) -> Rows:
    """The pieces' rows as one `Rows` (no copy of them where they already lie one after another in one buffer)."""
    mats = [np.asarray(v.matrix, dtype=np.float32) for v in vecs if v is not None]
    starts = np.zeros(len(vecs) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([0 if v is None else len(v.matrix) for v in vecs])
    matrix = joined(mats)
    pooled = joined([v.pooled_vector()[None, :] for v in vecs if v is not None])
    norms = np.concatenate([np.linalg.norm(pooled[lo:lo + _BLOCK], axis=-1) for lo in range(0, len(pooled), _BLOCK)])
    # in blocks: no temporary of the pool's size
    return Rows(matrix, starts, _pair_norms(matrix, starts), pooled, norms)


def joined(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """The arrays' rows as one read-only matrix: a view when they lie one after another in one buffer (as
    `service.pool` loads a pool), else a copy."""
    first = arrays[0]
    root, at = _root(first), _address(first)
    end = at
    for a in arrays:
        if (a.dtype != np.float32 or a.ndim != 2 or a.shape[1] != first.shape[1] or not a.flags.c_contiguous
                or _address(a) != end or _root(a) is not root):
            return np.concatenate(arrays).astype(np.float32, copy=False)
        end += a.nbytes
    if not _address(root) <= at <= end <= _address(root) + root.nbytes:
        return np.concatenate(arrays)
    rows = sum(len(a) for a in arrays)
    # explicit strides: a row made with [None, :] has stride 0 on its first axis
    return np.lib.stride_tricks.as_strided(first, shape=(rows, first.shape[1]), strides=(first.shape[1] * 4, 4),
                                           writeable=False)


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _address(a: np.ndarray) -> int:
    return int(a.__array_interface__["data"][0])


def _pair_norms(matrix: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """|row r + row r+1| as `unit` computes it, nan where row r is the last of its piece."""
    out = np.full(len(matrix), np.nan, dtype=np.float32)
    for lo in range(0, max(len(matrix) - 1, 0), _BLOCK):
        hi = min(lo + _BLOCK, len(matrix) - 1)
        out[lo:hi] = np.linalg.norm(matrix[lo:hi] + matrix[lo + 1:hi + 1], axis=-1)
    out[starts[1:][starts[1:] > 0] - 1] = np.nan
    return out


def modality_scores(vecs: Sequence[Vectors | None], queries: np.ndarray, pooled_weight: float,
                    max_weight: float, negative: np.ndarray | None = None,
                    negative_weight: float = 0.0) -> ModalityScores:
    """Raw relevance of each item to the query rows: pooled vector and best span, blended."""
    if not any(v is not None for v in vecs):
        return ModalityScores(np.full(len(vecs), np.nan), np.zeros((len(vecs), 2), dtype=np.int64))
    scores = score_rows(stack_rows(vecs), [queries], pooled_weight, max_weight, [negative], negative_weight)[0]
    assert scores is not None  # the queries are not empty
    return scores


def score_rows(rows: Rows, queries: Sequence[np.ndarray | None], pooled_weight: float, max_weight: float,
               negatives: Sequence[np.ndarray | None] = (), negative_weight: float = 0.0,
               spans: int | None = None) -> list[ModalityScores | None]:
    """`modality_scores` of one pool against several sets of query rows (one per call-out) in the same products.

    `negatives[k]` are the negative prompts of `queries[k]`. A set that is None or empty gives None. Only the
    first `spans` sets (all when None) get their best spans; the others' are left at (0, 0).
    """
    sets = [None if q is None or not len(q) else unit(np.asarray(q, dtype=np.float32)) for q in queries]
    negs: list[np.ndarray | None] = [None] * len(sets)
    for k, neg in enumerate(negatives[:len(sets)]):
        if negative_weight > 0 and neg is not None and len(neg) and sets[k] is not None:
            negs[k] = unit(np.asarray(neg, dtype=np.float32))
    # The mean over query rows of a row's similarities is its similarity to the rows' mean: without the best row
    # (max_weight 0, the default) each set is one column, and a big pool's product is several times cheaper.
    columns = [b if b is None or max_weight else b.mean(axis=0, dtype=np.float64, keepdims=True).astype(np.float32)
               for b in sets]
    blocks = [b for b in (*columns, *negs) if b is not None]
    n = len(rows.starts) - 1
    if not blocks:
        return [None] * len(sets)
    q_all = np.concatenate(blocks)
    cols, at = [], 0
    for b in (*columns, *negs):
        cols.append(None if b is None else slice(at, at + len(b)))
        at += 0 if b is None else len(b)
    out = [np.full(n, np.nan) for _ in sets]
    best = [np.zeros((n, 2), dtype=np.int64) for _ in sets]
    present = rows.present
    first_pooled = np.concatenate([[0], np.cumsum(present)])
    for lo, hi in _piece_blocks(rows.starts, present):
        r0, r1 = int(rows.starts[lo]), int(rows.starts[hi])
        sims = rows.matrix[r0:r1] @ q_all.T
        pairs = _pair_sims(sims, rows.pair_norm[r0:r1])
        p0, p1 = int(first_pooled[lo]), int(first_pooled[hi])
        pooled = _pooled_sims(rows.pooled[p0:p1], rows.pooled_norm[p0:p1], q_all)
        seg = (rows.starts[lo:hi] - r0)[present[lo:hi]]
        which = lo + np.flatnonzero(present[lo:hi])
        ends = np.isnan(rows.pair_norm[r0:r1])
        for k, c in enumerate(cols[:len(sets)]):
            if c is None:
                continue
            whole = _aggregate(pooled[:, c], max_weight)
            chunk_top, chunk_at = _segment_argmax(_aggregate(sims[:, c], max_weight), seg)
            pair_top, pair_at = _segment_argmax(np.where(ends, -np.inf, _aggregate(pairs[:, c], max_weight)), seg)
            # the reference order is every chunk, then every pair: a pair wins only when strictly better
            use_pair = (pair_top > chunk_top) | (np.isnan(pair_top) & ~np.isnan(chunk_top))
            top = np.where(use_pair, pair_top, chunk_top)
            score = pooled_weight * whole.astype(np.float64) + (1 - pooled_weight) * top.astype(np.float64)
            nc = cols[len(sets) + k]
            if nc is not None:
                cand = np.maximum(sims[:, nc].max(axis=1), np.where(ends, -np.inf, pairs[:, nc].max(axis=1)))
                hit = np.maximum(np.maximum.reduceat(cand, seg), pooled[:, nc].max(axis=1)).astype(np.float64)
                score = score - negative_weight * np.maximum(hit, 0.0)
            out[k][which] = score
            if spans is None or k < spans:
                at_ = np.where(use_pair, pair_at, chunk_at) - seg
                best[k][which, 0] = at_
                best[k][which, 1] = at_ + use_pair
    return [None if s is None else ModalityScores(o, b) for s, o, b in zip(sets, out, best, strict=True)]


def _piece_blocks(starts: np.ndarray, present: np.ndarray) -> Iterator[tuple[int, int]]:
    """Runs of whole pieces of about _BLOCK rows (one bigger piece alone), skipping runs without rows."""
    n, lo = len(starts) - 1, 0
    while lo < n:
        hi = max(lo + 1, min(n, int(np.searchsorted(starts, starts[lo] + _BLOCK, side="right")) - 1))
        if present[lo:hi].any():
            yield lo, hi
        lo = hi


def _aggregate(sims: np.ndarray, max_weight: float) -> np.ndarray:
    """Blend the mean over query rows (the call-out as a whole) with the best row (one phrase hits)."""
    return (1 - max_weight) * sims.mean(axis=-1) + max_weight * sims.max(axis=-1)


def _pair_sims(sims: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """Each row's pair with the next row against the query rows: (a.q + b.q) / |a + b| (0 for a zero pair, as
    `unit` gives; rows that end a piece are left for the caller to mask)."""
    out = np.zeros_like(sims)
    if len(sims) > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(sims[:-1] + sims[1:], norms[:-1, None], out=out[:-1])
        out[:-1][norms[:-1] == 0] = 0.0
    return out


def _pooled_sims(pooled: np.ndarray, norms: np.ndarray, q: np.ndarray) -> np.ndarray:
    """unit(pooled) . q for each row, without a unit copy of the pooled matrix (0 for a zero vector)."""
    sims = pooled @ q.T
    with np.errstate(divide="ignore", invalid="ignore"):
        out = sims / norms[:, None]
    out[norms == 0] = 0.0
    return out


def _segment_argmax(values: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's max and the index of its first max (a nan counts as the max, as np.argmax has it)."""
    top = np.maximum.reduceat(values, seg)
    lengths = np.diff(np.append(seg, len(values)))
    hit = (values == np.repeat(top, lengths)) | np.isnan(values)
    first = np.minimum.reduceat(np.where(hit, np.arange(len(values)), len(values)), seg)
    return top, np.where(first < len(values), first, seg)
