"""Pairs of pieces worth the frames test in big pools, without comparing every frame hash with every other.

The frames test passes a pair only when most of the smaller piece's frames match, so a copy with many frames
offers many chances to be seen: sampled-bit tables (`frame_sample`) find at least one of its near frames with a
chance `frame_bound` states. Pieces with few frames offer few chances and are searched exactly. Every pair the
tables or the exact search bring up is then counted exactly, with the rule of `near_frame_pairs`, so the result
is the flat search's answer less only what the tables miss.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from triage.fingerprints.frame_bound import tables_for, threshold_exponent
from triage.fingerprints.frame_sample import REACH, sampled_near_pairs, table_masks
from triage.fingerprints.frames import (
    MATCH_LOOSE,
    MIRROR,
    as_codes,
    distinct,
    informative,
    near_frame_pairs,
)

# The tables vouch only for pairs whose smaller piece has at least this many informative frames (the bound
# falls fast with the number of frames; a still image has one chance, no better than a single frame search).
MANY_FRAMES = 8


def table_bits(hashes: int) -> int:
    """Bits per table for a pool of this many frame hashes: about as many buckets as hashes, so the chance
    meetings of unrelated frames cost no more than the table itself."""
    return max(16, math.ceil(math.log2(max(hashes, 2))))


def table_plan(sizes: np.ndarray, min_share: float, miss: float) -> tuple[int, int] | None:
    """(tables, bits per table) for pieces with these numbers of informative frames: enough tables for the
    smallest piece the tables vouch for. None when the share is so low that no number of tables will do."""
    bits = table_bits(int(sizes.sum()))
    many = np.unique(sizes[sizes >= MANY_FRAMES]).tolist()
    if any(threshold_exponent(bits, n, min_share, REACH) <= 0.0 for n in many):
        return None
    return max((tables_for(bits, n, min_share, miss, REACH) for n in many), default=0), bits


def sampled_frame_pairs(frame_sets: Sequence[list[tuple[float, int]]], min_share: float, miss: float = 1e-6,
                        seed: int = 0) -> set[tuple[int, int]]:
    """Index pairs (i < j) of frame sets where at least `min_share` of the smaller set's informative frames
    have a near frame, or a near mirrored frame, in the other: `near_frame_pairs`' answer less what the tables
    miss. Sets with fewer than MANY_FRAMES frames are searched exactly; a pair of bigger sets that passes the
    frames test is missed with chance at most `miss` when it only just passes (each frame's differing bits at
    random places; see `frame_bound`), far less when its frames are nearer. Pairs that could never pass the
    test (near frames all 14 or 15 bits apart) may be left out more often. A share so low that a pair could pass
    with no frame within reach gets the exact sweep.
    """
    kept = [informative(frames) for frames in frame_sets]
    sizes = np.array([len(k) for k in kept], dtype=np.int64)
    if not sizes.sum():
        return set()
    hashes = np.concatenate(kept)
    owner = np.repeat(np.arange(len(kept)), sizes)
    plan = table_plan(sizes, min_share, miss)
    if plan is None:
        return near_frame_pairs(frame_sets, min_share)  # so low a share that the tables could never vouch for it
    tables, bits = plan
    codes, crowded = sampled_near_pairs(hashes, owner, table_masks(tables, bits, seed))
    exact = distinct(np.concatenate([np.flatnonzero(sizes[owner] < MANY_FRAMES), crowded]))
    codes = distinct(np.concatenate([codes, exact_near_pairs(hashes, owner, exact)]))
    n = len(hashes)
    seeds = distinct(owner[codes // n] * len(kept) + owner[codes % n])  # owners rise with the hash index
    a, b = seeds // len(kept), seeds % len(kept)
    counts = near_counts(hashes, owner, a, b)
    ok = counts >= np.maximum(1, np.ceil(min_share * np.minimum(sizes[a], sizes[b])))
    return set(zip(a[ok].tolist(), b[ok].tolist(), strict=True))


def exact_near_pairs(hashes: np.ndarray, owner: np.ndarray, queries: np.ndarray, block: int = 16_384) -> np.ndarray:
    """Every hash pair of different owners, one of them among `queries` (indices), less than the loose bound
    apart plain or mirrored: sorted unique codes i * len(hashes) + j with i < j (FAISS exact range search)."""
    import faiss  # the vector-index library; imported here so fingerprinting alone never loads it

    n = len(hashes)
    if not len(queries):
        return np.zeros(0, dtype=np.int64)
    index = faiss.IndexBinaryFlat(64)
    index.add(as_codes(np.stack([hashes, hashes ^ MIRROR], axis=1).reshape(-1)))  # hash k: rows 2k, 2k + 1
    found = []
    for start in range(0, len(queries), block):
        rows = queries[start:start + block]
        limits, _, ids = index.range_search(as_codes(hashes[rows]), MATCH_LOOSE)  # strictly below
        a = np.repeat(rows, np.diff(limits).astype(np.int64))
        b = ids // 2
        keep = owner[a] != owner[b]
        found.append(np.minimum(a, b)[keep] * n + np.maximum(a, b)[keep])
    return distinct(np.concatenate(found))


def near_counts(hashes: np.ndarray, owner: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each pair of owners (a[k], b[k]): how many (hash of a, hash of b) pairs lie less than the loose bound
    apart, plain or mirrored; the count `near_frame_pairs` holds against the share."""
    starts = np.searchsorted(owner, np.arange(int(owner[-1]) + 2))
    width = int(np.diff(starts).max())
    pad = np.zeros((len(starts) - 1, width), dtype=np.uint64)
    valid = np.zeros(pad.shape, dtype=bool)
    rank = np.arange(len(hashes)) - starts[owner]
    pad[owner, rank] = hashes
    valid[owner, rank] = True
    counts = np.zeros(len(a), dtype=np.int64)
    step = max(1, 2**20 // (width * width))
    for s in range(0, len(a), step):
        x, y = a[s:s + step], b[s:s + step]
        diff = pad[x, :, None] ^ pad[y, None, :]
        near = (np.bitwise_count(diff) < MATCH_LOOSE) | (np.bitwise_count(diff ^ MIRROR) < MATCH_LOOSE)
        counts[s:s + step] = (near & valid[x, :, None] & valid[y, None, :]).sum(axis=(1, 2))
    return counts
