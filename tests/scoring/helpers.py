"""Synthetic vectors and fingerprints for scoring tests."""

from __future__ import annotations

import numpy as np

from triage.domain import Chunk, MediaType
from triage.scoring.types import Fingerprint, Item, Vectors, unit

DIM = 16


def axis(k: int, noise: float = 0.0, seed: int = 0, dim: int = DIM) -> np.ndarray:
    """A unit vector near basis direction k."""
    v = np.zeros(dim, dtype=np.float32)
    v[k] = 1.0
    if noise:
        v += noise * np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return unit(v)


def words(rows: list[np.ndarray], texts: list[str] | None = None, times: bool = False) -> Vectors:
    texts = texts or [f"sentence {i}" for i in range(len(rows))]
    chunks, pos = [], 0
    for i, t in enumerate(texts):
        chunks.append(Chunk(t, pos, pos + len(t), *((2.0 * i, 2.0 * i + 2.0) if times else (None, None))))
        pos += len(t) + 1
    return Vectors(np.stack(rows).astype(np.float32), chunks)


def frames(rows: list[np.ndarray], times: list[float]) -> Vectors:
    return Vectors(np.stack(rows).astype(np.float32), [Chunk("", 0, 0, t, t) for t in times])


def item(sid: str, kind: MediaType = MediaType.TEXT, **kw) -> Item:
    return Item(sid, sid, kind, **kw)


def audio_fp(seed: int, n: int = 200) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)


def noisy(fp: np.ndarray, seed: int, flips: int = 2, trim: int = 0) -> np.ndarray:
    """The same audio re-encoded (a few bits flipped per item) and optionally trimmed at the start."""
    rng = np.random.default_rng(seed)
    out = fp.copy()[trim:]
    for _ in range(flips):
        out ^= (np.uint32(1) << rng.integers(0, 32, len(out)).astype(np.uint32))
    return out


def phashes(seed: int, n: int = 8) -> list[tuple[float, int]]:
    rng = np.random.default_rng(seed)
    return [(float(i), int(rng.integers(0, 2**63))) for i in range(n)]


def fp(sid: str, kind: MediaType, **kw) -> Fingerprint:
    return Fingerprint(sid, kind, kw.pop("sha256", f"sha-{sid}"), **kw)
