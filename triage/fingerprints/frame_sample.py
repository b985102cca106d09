"""Near frame hashes by sampled bits: pairs that agree, plainly or mirrored, on the bits one of several tables keeps.

Each table keeps a random subset of the 64 bits; frames a few bits apart agree on all kept bits now and then,
unrelated frames almost never, so the work grows with the number of hashes times the number of tables instead of
with every pair of hashes. Whatever collides is checked at full length, so every pair returned is truly near;
what the tables can miss, and how often, is `frame_bound`'s business.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import faiss
import numpy as np

from triage.fingerprints.frames import MIRROR, distinct

_SPREAD = np.uint64(0x9E3779B97F4A7C15)  # odd: multiply-shift hashing of the kept bits into a bucket number
# Frames meeting in a table count only this many bits apart or fewer. Unrelated frames 14 or 15 bits apart meet
# often in a big pool (a 12th as often at 13 or fewer) and each would cost an exact recount of its two pieces,
# while a copy that passes the frames test has most of its frames 13 bits apart or closer: frame_bound gives
# the frames beyond reach no chance at all, and the tables needed grow by 4% (12 frames, 21 bits).
REACH = 13
# A bucket this full in one table is a crowd of near-identical frames (a logo, a meme); its pairs would be
# listed again in every table, so its hashes are handed back for one exact search instead.
CROWD = 64


def table_masks(tables: int, bits: int, seed: int = 0) -> np.ndarray:
    """`tables` 64-bit masks of `bits` bits each, drawn independently and uniformly; fixed by `seed`, so a pool
    always gets the same candidates."""
    rng = np.random.default_rng(seed)
    masks = np.zeros(tables, dtype=np.uint64)
    for t in range(tables):
        for bit in rng.choice(64, bits, replace=False):
            masks[t] |= np.uint64(1) << np.uint64(bit)
    return masks


def sampled_near_pairs(hashes: np.ndarray, owner: np.ndarray, masks: np.ndarray,
                       crowd: int = CROWD) -> tuple[np.ndarray, np.ndarray]:
    """Hash pairs of different owners that meet in some table and lie at most REACH bits apart (plain or
    mirrored), as sorted distinct codes i * len(hashes) + j with i < j; and the hashes that sat in a bucket of
    more than `crowd` in some table, whose pairs there were not listed."""
    n = len(hashes)
    bucket_bits = np.uint64(min(32, max(8, int(np.ceil(np.log2(max(n, 2)))) + 2)))

    def one_table(mask: np.uint64) -> tuple[np.ndarray, np.ndarray]:
        key = _bucket(hashes & mask, MIRROR & mask, bucket_bits)
        order = _argsort32(key)
        key, sorted_hashes = key[order], hashes[order]
        same = key[1:] == key[:-1]  # positions p and p + 1 share a bucket
        starts = np.flatnonzero(np.r_[True, ~same])
        sizes = np.diff(np.r_[starts, n])
        crowded = np.zeros(0, dtype=np.int64)
        if (sizes > crowd).any():
            big = np.repeat(sizes > crowd, sizes)
            crowded = order[big]
            same &= ~big[1:]  # list no pairs there
        # Pairs (p, p + step) inside one bucket, one step at a time: most buckets hold one or two hashes.
        found, p = [], np.flatnonzero(same)
        for step in range(1, crowd + 1):
            if step > 1:
                p = p[p + step - 1 < n - 1]
                p = p[same[p + step - 1]]
            if not len(p):
                break
            x = sorted_hashes[p] ^ sorted_hashes[p + step]
            near = p[(np.bitwise_count(x) <= REACH) | (np.bitwise_count(x ^ MIRROR) <= REACH)]
            a, b = order[near], order[near + step]
            other = owner[a] != owner[b]
            found.append(np.minimum(a, b)[other] * n + np.maximum(a, b)[other])
        codes = distinct(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        return codes, crowded

    # numpy lets go of the interpreter lock while it sorts and counts, so tables run side by side on the cores
    # FAISS may use: the exact sweep's budget, which the runtime sets from TRIAGE_THREADS.
    with ThreadPoolExecutor(max_workers=max(1, faiss.omp_get_max_threads())) as pool:
        done = list(pool.map(one_table, masks))
    empty = np.zeros(0, dtype=np.int64)
    return (distinct(np.concatenate([empty] + [codes for codes, _ in done])),
            distinct(np.concatenate([empty] + [crowded for _, crowded in done])))


def _bucket(kept: np.ndarray, mirror_bits: np.uint64, bits: np.uint64) -> np.ndarray:
    """Bucket numbers (uint32) of the kept bits. A mirrored match agrees on the kept bits with the other hash's
    mirror image: both meet under the smaller of the two numbers, so one entry per hash finds plain and
    mirrored matches."""
    shift = np.uint64(64) - bits
    plain = (kept * _SPREAD) >> shift
    flipped = ((kept ^ mirror_bits) * _SPREAD) >> shift
    return np.minimum(plain, flipped).astype(np.uint32)


def _argsort32(key: np.ndarray) -> np.ndarray:
    """Stable argsort of uint32 keys as two radix passes over 16-bit halves (numpy sorts 16-bit keys by radix,
    several times faster than a comparison sort of the whole keys)."""
    order = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((key[order] >> 16).astype(np.uint16), kind="stable")]
