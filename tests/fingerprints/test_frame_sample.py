"""Sampled-bit tables over frame hashes: what they return is near, and they miss as often as frame_bound says."""

from __future__ import annotations

import numpy as np

from triage.fingerprints import approx_mirror
from triage.fingerprints.frame_bound import pair_miss
from triage.fingerprints.frame_sample import sampled_near_pairs, table_masks


def _flip(h: int, positions) -> int:
    for p in positions:
        h ^= 1 << int(p)
    return h


def _pool(*sets: list[int]) -> tuple[np.ndarray, np.ndarray]:
    hashes = np.array([h for s in sets for h in s], dtype=np.uint64)
    owner = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    return hashes, owner


def _owner_pairs(codes: np.ndarray, owner: np.ndarray, n: int) -> set[tuple[int, int]]:
    return set(zip(owner[codes // n].tolist(), owner[codes % n].tolist(), strict=True))


def test_masks_keep_the_asked_number_of_bits_and_are_fixed_by_the_seed():
    masks = table_masks(50, 21, seed=3)
    assert [int(m).bit_count() for m in masks] == [21] * 50
    assert np.array_equal(masks, table_masks(50, 21, seed=3))
    assert not np.array_equal(masks, table_masks(50, 21, seed=4))


def test_plain_and_mirrored_copies_meet_and_far_or_own_frames_never_come_back():
    rng = np.random.default_rng(1)
    a = [int(h) for h in rng.integers(0, 2**63, 6)]
    copy = [_flip(h, [3]) for h in a]
    mirrored = [approx_mirror(h) for h in a]
    other = [int(h) for h in rng.integers(0, 2**63, 6)]
    hashes, owner = _pool(a, copy, mirrored, other)
    codes, crowded = sampled_near_pairs(hashes, owner, table_masks(20, 20))
    n = len(hashes)
    i, j = codes // n, codes % n
    assert np.all(i < j) and np.all(owner[i] != owner[j])
    x = hashes[i] ^ hashes[j]
    near = (np.bitwise_count(x) < 16) | (np.bitwise_count(x ^ np.uint64(approx_mirror(0))) < 16)
    assert near.all()
    assert _owner_pairs(codes, owner, n) == {(0, 1), (0, 2), (1, 2)}
    assert len(crowded) == 0


def test_a_crowded_bucket_is_handed_back_instead_of_listed():
    h = 0x0123456789ABCDEF
    hashes, owner = _pool(*[[h] for _ in range(10)], [h ^ 0xFFFF_FFFF])
    codes, crowded = sampled_near_pairs(hashes, owner, table_masks(5, 20), crowd=4)
    assert len(codes) == 0 and list(crowded) == list(range(10))
    codes, crowded = sampled_near_pairs(hashes, owner, table_masks(5, 20), crowd=64)
    assert len(codes) == 45 and len(crowded) == 0


def test_misses_as_often_as_the_bound_says():
    # Few tables, so that misses are common enough to count: a piece of four frames and a copy whose frames are
    # 8 bits off, three of them in the same bits (one chance between them) and one elsewhere.
    rng = np.random.default_rng(5)
    a = [int(h) for h in rng.integers(0, 2**63, 4)]
    shared, own = rng.choice(64, 8, replace=False), rng.choice(64, 8, replace=False)
    copy = [_flip(h, shared) for h in a[:3]] + [_flip(a[3], own)]
    hashes, owner = _pool(a, copy)
    expected = pair_miss(16, 3, [int(x) ^ int(y) for x, y in zip(a, copy, strict=True)])
    trials = 600
    missed = sum(len(sampled_near_pairs(hashes, owner, table_masks(3, 16, seed))[0]) == 0 for seed in range(trials))
    spread = 4 * np.sqrt(expected * (1 - expected) / trials)
    assert abs(missed / trials - expected) < spread, (missed / trials, expected)


def test_tables_run_on_no_more_threads_than_triage_threads(tmp_path, monkeypatch):
    import faiss

    from triage import runtime
    from triage.config import Settings
    from triage.fingerprints import frame_sample

    widths = []

    class Recording(frame_sample.ThreadPoolExecutor):
        def __init__(self, max_workers=None):
            widths.append(max_workers)
            super().__init__(max_workers=max_workers)

    monkeypatch.setattr(frame_sample, "ThreadPoolExecutor", Recording)
    before = faiss.omp_get_max_threads()
    try:
        runtime.open_store(Settings(data_dir=tmp_path, threads=1)).close()
        hashes, owner = _pool([0x0F0F_0F0F_0F0F_0F0F], [0x0F0F_0F0F_0F0F_0F0E])
        codes, _ = sampled_near_pairs(hashes, owner, table_masks(8, 21))
    finally:
        faiss.omp_set_num_threads(before)
    assert widths == [1]
    assert _owner_pairs(codes, owner, len(hashes)) == {(0, 1)}
