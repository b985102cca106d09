"""A pool's pieces as points in 2-D (PCA to 50 dimensions, then t-SNE, scikit-learn), for the pool map.

Pure: rows in, a `Layout` out. The rows are fitted in the order of their digests (a hash of each row), so the
same pool gives the same picture whatever order its pieces came in, and the fit is seeded. Pools of fewer than
`MIN_TSNE` distinct rows are laid out by PCA alone (t-SNE has nothing to learn from them).

Given the previous layout of the pool, a changed pool starts from where its pieces were (new pieces at the mean
of their nearest kept pieces, without the early exaggeration that would first pull the picture apart) and the
result is turned, scaled and moved onto the previous one (Procrustes on the kept pieces): the points a curator
has already seen stay roughly where they were. An unchanged pool keeps its layout as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from triage.scoring.cluster import item_features
from triage.scoring.types import Item

SEED = 0
PERPLEXITY = 30.0
PCA_DIMS = 50
MIN_TSNE = 5  # fewer distinct rows than this: PCA alone
COLD_STEPS = 750  # t-SNE's gradient steps from scratch (the first 250 exaggerated)
WARM_STEPS = 300  # from the previous layout
NEIGHBOURS = 10  # where a new piece starts in a warm fit: the mean of its nearest kept pieces


@dataclass(frozen=True)
class Layout:
    """Positions of the pieces, one row of `xy` per id; `digests` say what each row was when it was placed."""

    ids: tuple[str, ...]
    digests: tuple[str, ...]
    xy: np.ndarray  # (n, 2) float64

    def position(self) -> dict[str, tuple[float, float]]:
        return {i: (float(x), float(y)) for i, (x, y) in zip(self.ids, self.xy, strict=True)}


def digest(row: np.ndarray) -> str:
    """What a piece's row was when it was placed: a changed vector (another model, a reprocess) is a new piece."""
    return hashlib.sha256(np.ascontiguousarray(row, dtype="<f4").tobytes()).hexdigest()[:16]


def pool_layout(items: Sequence[Item], previous: Layout | None = None, seed: int = SEED) -> Layout:
    """The layout of a pool's items from their joined vectors (words beside frames, as the clusters see them)."""
    if not items:
        return Layout((), (), np.zeros((0, 2)))
    return project([i.submission_id for i in items], item_features(items), previous, seed)


def project(ids: Sequence[str], x: np.ndarray, previous: Layout | None = None, seed: int = SEED) -> Layout:
    """The 2-D layout of rows `x` (one per id). With `previous` (this pool's last layout), kept pieces stay
    roughly where they were; without, the same rows always give the same picture."""
    if not len(ids):
        return Layout((), (), np.zeros((0, 2)))
    x = np.asarray(x, dtype=np.float32).reshape(len(ids), -1)
    digests = tuple(digest(r) for r in x)
    before = {} if previous is None else {i: k for k, i in enumerate(previous.ids)}
    kept = [k for k, (i, d) in enumerate(zip(ids, digests, strict=True))
            if i in before and previous is not None and previous.digests[before[i]] == d]
    if previous is not None and len(kept) == len(ids):  # nothing new: the picture stays as it was
        return Layout(tuple(ids), digests, np.array([previous.xy[before[ids[k]]] for k in kept], dtype=np.float64))
    order = sorted(range(len(ids)), key=lambda k: (digests[k], ids[k]))
    init = None
    if previous is not None and len(kept) >= MIN_TSNE:
        old = np.array([previous.xy[before[ids[k]]] for k in kept])
        new = [k for k in range(len(ids)) if k not in set(kept)]
        init = np.zeros((len(ids), 2))
        init[kept], init[new] = old, near_mean(x[kept], old, x[new])
    xy = np.zeros((len(ids), 2))
    xy[order] = fit(x[order], seed, None if init is None else init[order])
    if previous is not None and len(kept) >= 3:
        xy = align(xy, kept, np.array([previous.xy[before[ids[k]]] for k in kept]))
    return Layout(tuple(ids), digests, xy)


def fit(x: np.ndarray, seed: int = SEED, init: np.ndarray | None = None) -> np.ndarray:
    """(n, 2) positions of the rows: t-SNE on their first PCA components, PCA alone for tiny pools. Identical rows
    (copies) are fitted once and set a hair apart, so neither hides the other."""
    if not len(x):
        return np.zeros((0, 2))
    unique, first, inverse = np.unique(x, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(first, kind="stable")  # np.unique sorts rows by value: keep the caller's order
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    unique, first, inverse = unique[order], first[order], rank[inverse]
    m = len(unique)
    if m < MIN_TSNE:
        base = _pca(unique, 2)
    else:
        from sklearn.decomposition import PCA
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

        start = "pca" if init is None else _scaled(np.asarray(init, dtype=np.float64)[first])
        # A warm start needs no early exaggeration (it would first pull the known picture apart) and fewer steps.
        tsne = TSNE(perplexity=min(PERPLEXITY, (m - 1) / 3), init=start, random_state=seed,
                    early_exaggeration=12.0 if init is None else 1.0, max_iter=COLD_STEPS if init is None else
                    WARM_STEPS, n_jobs=1)
        # One thread for OpenMP and BLAS too: t-SNE's many small steps with idle threads spinning beside them were
        # 3x slower on 2 busy cores (1,000 pieces: 31 s, against 9 s), and the gate already runs two at once.
        with threadpool_limits(1):
            reduced = PCA(min(PCA_DIMS, m, unique.shape[1]), random_state=seed).fit_transform(unique)
            base = np.asarray(tsne.fit_transform(reduced), dtype=np.float64)
        if not np.isfinite(base).all():  # degenerate rows: the plain PCA picture says as much
            base = _pca(unique, 2)
    return _apart(base[inverse], inverse)


def _pca(x: np.ndarray, dims: int) -> np.ndarray:
    """The rows' first `dims` principal components (zeros past the rank), signs fixed: the same rows give the same
    numbers."""
    centred = np.asarray(x, dtype=np.float64) - np.asarray(x, dtype=np.float64).mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    out = np.zeros((len(x), dims))
    k = min(dims, len(s))
    comps = u[:, :k] * s[:k]
    signs = np.sign(comps[np.argmax(np.abs(comps), axis=0), np.arange(k)])
    out[:, :k] = comps * np.where(signs == 0, 1.0, signs)
    return out


def _scaled(init: np.ndarray) -> np.ndarray:
    """A warm start as scikit-learn's PCA start is: centred, spread 1e-4 along x (what t-SNE's step sizes expect)."""
    init = init - init.mean(axis=0)
    spread = float(np.std(init[:, 0])) or 1.0
    return init / spread * 1e-4


def _apart(xy: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """Copies with identical rows would hide each other: each repeat moves a little away from the first, on a
    spiral (golden angle), by a small share of the map's size."""
    if len(xy) < 2:
        return xy
    step = 0.004 * max(float(np.ptp(xy, axis=0).max()), 1.0)
    seen: dict[int, int] = {}
    out = xy.copy()
    for k, row in enumerate(inverse):
        n = seen.get(int(row), 0)
        seen[int(row)] = n + 1
        if n:
            angle = n * 2.399963
            out[k] += step * np.sqrt(n) * np.array([np.cos(angle), np.sin(angle)])
    return out


def near_mean(ref_x: np.ndarray, ref_xy: np.ndarray, x: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Each row's position as the mean of its `k` most similar reference rows' (dot product), in blocks."""
    k = min(k, len(ref_x))
    out = np.zeros((len(x), 2))
    for start in range(0, len(x), 1024):
        sims = np.asarray(x[start:start + 1024], dtype=np.float32) @ np.asarray(ref_x, dtype=np.float32).T
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out[start:start + 1024] = np.asarray(ref_xy)[nearest].mean(axis=1)
    return out


def align(xy: np.ndarray, kept: Sequence[int], target: np.ndarray) -> np.ndarray:
    """`xy` turned (or mirrored), scaled and moved so its `kept` rows lie as near `target` as they can."""
    src = xy[list(kept)]
    mu_s, mu_t = src.mean(axis=0), target.mean(axis=0)
    a, b = src - mu_s, target - mu_t
    u, s, vt = np.linalg.svd(a.T @ b)
    rotation = u @ vt
    scale = float(s.sum() / ((a ** 2).sum() or 1.0))
    return (xy - mu_s) @ rotation * scale + mu_t
