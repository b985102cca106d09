"""The arithmetic behind the sampled-bit frame search's number of tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from triage.fingerprints.frame_bound import meet_chance, pair_miss, tables_for, threshold_exponent


def _bits(*positions: int) -> int:
    return sum(1 << p for p in positions)


def test_meet_chance_is_the_share_of_bit_subsets_that_avoid_the_differences():
    assert meet_chance(20, 0) == 1.0
    assert meet_chance(1, 16) == 48 / 64
    assert meet_chance(2, 1) == math.comb(63, 2) / math.comb(64, 2)
    assert meet_chance(20, 45) == 0.0  # fewer than 20 bits agree: they can never meet


def test_pair_miss_counts_shared_bits_once():
    one = _bits(*range(10))
    assert math.isclose(pair_miss(16, 5, [one]), (1 - meet_chance(16, 10)) ** 5)
    # Frames that differ in the very same bits are one chance, not three.
    assert math.isclose(pair_miss(16, 5, [one, one, one]), pair_miss(16, 5, [one]))
    # Frames that differ in different bits are missed together less often than independent chances would be.
    apart = [_bits(*range(10)), _bits(*range(10, 20)), _bits(*range(20, 30))]
    assert pair_miss(16, 5, apart) <= (1 - meet_chance(16, 10)) ** 15


def test_a_single_frame_needs_twelve_bits_or_fewer_to_pass():
    # One frame must score 0.6: (16 - d) / 6 >= 0.6 holds up to d = 12.
    assert math.isclose(threshold_exponent(20, 1, 0.6, 15), -math.log1p(-meet_chance(20, 12)))


def test_more_frames_are_more_chances():
    exponents = [threshold_exponent(21, n, 0.6, 13) for n in range(1, 65)]
    assert all(a < b for a, b in zip(exponents, exponents[1:], strict=False))


def test_tables_for_is_the_fewest_that_reach_the_bound():
    for bits, frames in ((17, 8), (21, 12), (23, 16)):
        exponent = threshold_exponent(bits, frames, 0.6, 13)
        tables = tables_for(bits, frames, 0.6, 1e-6, 13)
        assert math.exp(-tables * exponent) <= 1e-6 < math.exp(-(tables - 1) * exponent)


def test_the_bound_holds_with_the_differing_bits_at_random_places():
    # The hardest pair for 21-bit tables and 12 frames: eight frames 12 bits off and four 13 bits off. With those
    # bits drawn at random per frame, the exact chance that all the tables miss it is the stated bound.
    rng = np.random.default_rng(0)
    tables = tables_for(21, 12, 0.6, 1e-6, 15)
    misses = []
    for _ in range(20):
        differences = [_bits(*rng.choice(64, d, replace=False).tolist()) for d in [12] * 8 + [13] * 4]
        misses.append(pair_miss(21, tables, differences))
    assert max(misses) < 2e-6
    assert math.isclose(float(np.mean(misses)), math.exp(-tables * threshold_exponent(21, 12, 0.6, 15)), rel_tol=0.1)
    # Were every frame off in the very same 12 bits, the tables would be one chance each (the stated limit).
    same = [_bits(*range(12))] * 12
    assert math.isclose(pair_miss(21, tables, same), (1 - meet_chance(21, 12)) ** tables)


def test_frames_out_of_reach_cost_a_few_more_tables():
    # Counting only meetings 13 bits apart or closer: a copy that passes needs most of its frames that near.
    assert tables_for(21, 12, 0.6, 1e-6, 15) < tables_for(21, 12, 0.6, 1e-6, 13) \
        <= 1.05 * tables_for(21, 12, 0.6, 1e-6, 15)
    # A frame that scores nothing cannot help, reach or not.
    assert threshold_exponent(21, 12, 0.6, 15) == threshold_exponent(21, 12, 0.6, 14)
    # A share this low can be met by frames 14 bits apart alone: no number of tables can vouch for it.
    with pytest.raises(ValueError):
        tables_for(21, 12, 0.2, 1e-6, 13)
