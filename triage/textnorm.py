"""Text normalisation for comparing transcripts, and the word error rate."""

from __future__ import annotations

import re
import unicodedata

from triage.numbers import spell_numbers

# Apostrophes inside words ("don't") are part of the word; every other mark is punctuation.
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
# Spoken forms of the titles Whisper writes abbreviated ("Mr." for "mister"), as in Whisper's own
# English normaliser; without them a correct transcript scores as an error.
_SPOKEN = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation and with numbers spelled out, so "Hello, World!" and
    "hello world" compare equal, and so do "10,000" and "ten thousand"."""
    text = spell_numbers(unicodedata.normalize("NFKC", text)).lower().replace("\u2019", "'")
    return [_SPOKEN.get(w, w) for w in _WORD.findall(text)]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists (substitutions, insertions, deletions cost 1)."""
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def word_error_rate(ref: str, hyp: str) -> float:
    """Word error rate of `hyp` against the reference `ref`, after normalisation.

    0.0 is perfect. An empty reference gives 0.0 for an empty hypothesis and 1.0 otherwise.
    """
    ref_words, hyp_words = normalize_words(ref), normalize_words(hyp)
    if not ref_words:
        return 0.0 if not hyp_words else 1.0
    return edit_distance(ref_words, hyp_words) / len(ref_words)
