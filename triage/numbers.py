"""Numbers written with digits, spelled out as they are spoken ("2,500" -> "two thousand five hundred").

Whisper writes digits where a speaker says words; comparing transcripts with a reference fairly needs one
form for both (Whisper's own English normaliser does the same, in the other direction).
"""

from __future__ import annotations

import re

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
# Whole numbers only: not part of a word ("x86"), a decimal ("3.5") or a longer digit group.
_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?!\w|[.,]\d)")


def spell(n: int) -> str:
    """An integer in words, without "and": 2500 -> "two thousand five hundred"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    for size, name in _SCALES:
        if n >= size:
            head, rest = divmod(n, size)
            return f"{spell(head)} {name}" + (f" {spell(rest)}" if rest else "")
    raise AssertionError("unreachable")


def spell_numbers(text: str) -> str:
    """Replace whole numbers up to the billions with their spoken words; other text is left as it is."""
    def words(match: re.Match[str]) -> str:
        value = int(match.group(0).replace(",", ""))
        return spell(value) if value < 10**12 else match.group(0)

    return _NUMBER.sub(words, text)
