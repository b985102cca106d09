"""Whether a piece is likely not in English, as a multilingual Whisper hears it.

An English-only model (the bundled tiny.en) turns other languages into confident English nonsense or into nothing
(benchmarks/RESULTS.md, session 10). When it doubts its own words, a multilingual model listens to the first 30 s
of speech; this rule decides from what it heard whether the piece leaves the English model.
"""

from __future__ import annotations

from collections.abc import Mapping

# It asks only "is this English?": synthetic Spanish read as 42% Spanish, 28% Japanese and 11% English, while
# English clips read as English at 51% or more (benchmarks/RESULTS.md, session 10).
ENGLISH_UNLIKELY = 0.5


def likely_not_english(heard: Mapping[str, float]) -> bool:
    """True when another language is the likeliest and English itself is unlikely; False with nothing heard."""
    likeliest = max(heard, key=heard.__getitem__, default="en")
    return likeliest != "en" and heard.get("en", 0.0) < ENGLISH_UNLIKELY
