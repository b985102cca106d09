"""Candidate pairs from sampled-bit tables give the exact sweep's answer on pools with copies and look-alikes."""

from __future__ import annotations

import numpy as np

from triage.fingerprints import approx_mirror, near_frame_pairs, sampled_frame_pairs
from triage.fingerprints.frame_candidates import MANY_FRAMES, near_counts


def _frames(hashes) -> list[tuple[float, int]]:
    return [(float(t), int(h)) for t, h in enumerate(hashes)]


def _copy(frames, rng, bits: int, mirror: bool = False, keep: slice = slice(None)) -> list[tuple[float, int]]:
    """Re-encoded or recoloured (`bits` pHash bits flipped per frame), maybe mirrored, maybe trimmed."""
    out = []
    for t, h in frames[keep]:
        for b in rng.choice(64, bits, replace=False):
            h ^= 1 << int(b)
        out.append((t, approx_mirror(h) if mirror else h))
    return out


def _pool(seed: int) -> list[list[tuple[float, int]]]:
    rng = np.random.default_rng(seed)
    sets = [_frames(rng.integers(0, 2**63, int(rng.choice([1, 3, 8, 12, 16])))) for _ in range(400)]
    for j in range(60):
        src = sets[j]
        sets.append(_copy(src, rng, bits=int(rng.integers(0, 13)), mirror=j % 2 == 1,
                          keep=slice(0, max(1, len(src) * 2 // 3)) if j % 3 == 0 else slice(None)))
    for _ in range(20):  # look-alikes: a shared intro of two frames, the rest their own
        intro = _frames(rng.integers(0, 2**63, 2))
        sets += [intro + _frames(rng.integers(0, 2**63, 10)),
                 _copy(intro, rng, 3) + _frames(rng.integers(0, 2**63, 10))]
    return sets


def test_same_pairs_as_the_exact_sweep_on_pools_with_copies_and_look_alikes():
    for seed in range(3):
        sets = _pool(seed)
        exact = near_frame_pairs(sets, 0.6)
        assert sampled_frame_pairs(sets, 0.6) == exact
        look_alikes = {(j, j + 1) for j in range(460, 500, 2)}
        assert not exact & look_alikes  # two shared frames of twelve: never a candidate
        assert look_alikes <= near_frame_pairs(sets, 0.1)  # though they do share near frames


def test_a_copy_that_only_just_passes_is_found():
    # Twelve frames, eight of them 12 bits off and four 13 bits off: the hardest copy for the tables.
    rng = np.random.default_rng(7)
    sets = [_frames(rng.integers(0, 2**63, 12)) for _ in range(200)]
    a = sets[0]
    copy = [(t, h) for (t, h) in _copy(a[:8], rng, 12)] + [(t, h) for (t, h) in _copy(a[8:], rng, 13)]
    assert (0, 200) in sampled_frame_pairs([*sets, copy], 0.6)


def test_pieces_with_few_frames_are_searched_exactly():
    # An image 15 bits off a frame of a video: a near frame the tables would seldom see, found by the exact search.
    rng = np.random.default_rng(9)
    video = _frames(rng.integers(0, 2**63, 12))
    image = _copy(video[5:6], rng, 15)
    assert len(image) < MANY_FRAMES
    others = [_frames(rng.integers(0, 2**63, 12)) for _ in range(50)]
    assert sampled_frame_pairs([video, *others, image], 0.6) == {(0, 51)}


def test_frames_shared_by_a_crowd_are_searched_exactly():
    # 150 pieces, each mostly the same few title cards (a bucket far over the crowd size in every table).
    rng = np.random.default_rng(11)
    cards = rng.integers(0, 2**63, 8)
    sets = [[(float(t), int(c) ^ (1 << (i % 64))) for t, c in enumerate(cards)] + _frames(rng.integers(0, 2**63, 4))
            for i in range(150)]
    assert sampled_frame_pairs(sets, 0.6) == near_frame_pairs(sets, 0.6)
    assert len(near_frame_pairs(sets, 0.6)) == 150 * 149 // 2


def test_a_share_too_low_for_the_tables_gets_the_exact_sweep():
    sets = _pool(12)
    assert sampled_frame_pairs(sets, 0.2) == near_frame_pairs(sets, 0.2)


def test_near_counts_count_plain_and_mirrored_near_hash_pairs():
    rng = np.random.default_rng(13)
    a = rng.integers(0, 2**63, 5).astype(np.uint64)
    b = np.array([a[0], approx_mirror(int(a[1])) ^ 1, a[2] ^ np.uint64(0xFFFF)], dtype=np.uint64)
    hashes = np.concatenate([a, b, a[:1]])
    owner = np.array([0] * 5 + [1] * 3 + [2])
    counts = near_counts(hashes, owner, np.array([0, 0, 1]), np.array([1, 2, 2]))
    assert list(counts) == [2, 1, 1]
