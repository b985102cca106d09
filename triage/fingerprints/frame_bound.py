"""How likely the sampled-bit frame search is to miss a copy: the arithmetic behind its number of tables.

A table keeps `bits` of the 64 hash bits, drawn at random. Two frames that differ in a set D of bits meet in it
exactly when no kept bit lies in D, which for |D| = d has the chance C(64 - d, bits) / C(64, bits). A pair of
pieces is missed only when every table misses every one of its matched frames, and the frames test
(`frames_similarity`) passes only pairs whose matched frames are many and near; the functions here turn that into
a number of tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations

from triage.fingerprints.frames import MATCH_LOOSE, MATCH_STRICT

_HASH_BITS = 64


def meet_chance(bits: int, distance: int) -> float:
    """Chance that one table of `bits` random bits keeps none of the bits in which two frames differ."""
    return math.comb(_HASH_BITS - distance, bits) / math.comb(_HASH_BITS, bits)


@lru_cache(maxsize=256)
def threshold_exponent(bits: int, frames: int, share: float, reach: int) -> float:
    """-log of the chance that one table misses a pair that only just passes the frames test.

    The smaller piece has `frames` frames; the test needs their one-to-one match scores to add up to `share` of
    that, each frame scoring 1 up to MATCH_STRICT bits off, falling linearly to 0 at MATCH_LOOSE. A meeting in
    a table counts only for frames at most `reach` bits apart. Over every way of spending that score (which
    distances, how many frames), the one hardest for the tables, with the differing bits of different frames at
    independent random places: then one table misses frame i with chance 1 - meet_chance(d_i), independently, so
    the exponent is the sum of -log(1 - meet_chance(d_i)) over the frames within reach.
    """
    ramp = MATCH_LOOSE - MATCH_STRICT
    need = math.ceil(share * frames * ramp - 1e-9)  # in steps of 1 / ramp, as the scores come
    # d = 0 always meets; frames beyond reach add score but no chance of being seen
    costs = {d: -math.log1p(-meet_chance(bits, d)) if d <= reach else 0.0 for d in range(1, MATCH_LOOSE)}
    best = [0.0] + [math.inf] * need  # least cost of reaching each score with the frames used so far
    for _ in range(frames):
        step = best[:]
        for got, cost in enumerate(best):
            if cost == math.inf:
                continue
            for d, c in costs.items():
                score = min(ramp, MATCH_LOOSE - d)
                to = min(need, got + score)
                step[to] = min(step[to], cost + c)
        best = step
    return best[need]


def tables_for(bits: int, frames: int, share: float, miss: float, reach: int) -> int:
    """Tables enough that a pair just passing the frames test, whose smaller piece has `frames` frames, is
    missed with chance at most `miss` (with each frame's differing bits at random places). ValueError when no
    number will do: the share is so low that a pair can pass with no frame within reach."""
    exponent = threshold_exponent(bits, frames, share, reach)
    if exponent <= 0.0:
        raise ValueError(f"a pair can pass a share of {share} with no frame within {reach} bits")
    return max(1, math.ceil(math.log(1.0 / miss) / exponent))


def pair_miss(bits: int, tables: int, differences: Sequence[int]) -> float:
    """The exact chance that `tables` random tables all miss a pair whose matched frames (those within reach)
    differ by these XORs.

    No assumption about where the bits differ: one table meets at least one frame with the chance given by
    inclusion-exclusion over the unions of the difference sets, and the tables are drawn independently. Exponential
    in the number of frames; meant for checks and reports, not for every pair of a pool.
    """
    meets = 0.0
    for r in range(1, len(differences) + 1):
        for chosen in combinations(differences, r):
            union = 0
            for x in chosen:
                union |= int(x)
            meets += (-1) ** (r + 1) * meet_chance(bits, union.bit_count())
    return (1.0 - meets) ** tables
