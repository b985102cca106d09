"""Search's "no good match" floor: does a piece's wording really match a prompt, or is it only the pool's nearest?

Search scores are standardised over the pool, so the top of every pool looks relevant. The floor is on the RAW
similarity of the piece's words to the prompt (`Scored.words_similarity`), at a high percentile of that similarity
between unrelated texts, measured once per text model (benchmarks/calibrate_floor.py). A piece at or above it is
"good", below it "weak". Where the floor or the similarity is unknown the answer is None, never a guess: a text
model nobody calibrated, or a piece without words (images and silent videos: CLIP has no calibration).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

Match = Literal["good", "weak"]


def floor_for(model: str, calibration: Mapping[str, Any]) -> float | None:
    """The calibrated floor of the text model named `model`, or None when it has none."""
    entry = calibration.get(model)
    value = entry.get("floor") if isinstance(entry, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def best_similarity(similarities: Iterable[float | None]) -> float | None:
    """A duplicate group's similarity: its best member's (a copy may be worded or transcribed a little better)."""
    known = [s for s in similarities if s is not None and not math.isnan(s)]
    return max(known) if known else None


def match(similarity: float | None, floor: float | None) -> Match | None:
    """"good" at or above the floor, "weak" below it, None when either is unknown."""
    if similarity is None or floor is None or math.isnan(similarity):
        return None
    return "good" if similarity >= floor else "weak"


def count_good(matches: Iterable[Match | None], floor: float | None) -> int | None:
    """How many of a ranking's matches are good; None without a floor (nothing can be claimed either way)."""
    if floor is None:
        return None
    return sum(1 for m in matches if m == "good")
