"""How the pages write times and mark the words of a match: small pure helpers for the templates."""

from __future__ import annotations

import re
from collections.abc import Collection

from markupsafe import Markup, escape

from triage.scoring.stopwords import STOP_WORDS
from triage.timefmt import clock

__all__ = ["DECISION_BUTTONS", "DECISION_LABELS", "clock", "content_stems", "highlight", "stem"]

DECISION_LABELS = {"shortlisted": "Shortlisted", "starred": "Starred", "rejected": "Rejected", "unrated": "Undecided"}
# (decision, button, key): the keys are the workbench's (static/keys.js)
DECISION_BUTTONS = (("shortlisted", "Shortlist", "s"), ("starred", "★ Star", "t"), ("rejected", "Reject", "x"),
                    ("unrated", "Clear", "u"))
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_SUFFIXES = ("ing", "ed", "es", "s", "'s")


def stem(word: str) -> str:
    """A crude stem, enough to see "dogs" in "dog" and "cooking" in "cook": the page marks words, it ranks nothing."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> frozenset[str]:
    """The stems of the words worth marking in `text` (no stop words, nothing shorter than three letters)."""
    return frozenset(stem(w) for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in STOP_WORDS)


def highlight(snippet: str | None, stems: Collection[str]) -> Markup:
    """The snippet, escaped, with each word that shares a stem with the query inside <mark>."""
    if not snippet:
        return Markup("")
    if not stems:
        return escape(snippet)
    out, last = [], 0
    for match in _WORD.finditer(snippet):
        word = match.group()
        if len(word) > 2 and word.lower() not in STOP_WORDS and stem(word) in stems:
            out.append(escape(snippet[last:match.start()]))
            out.append(Markup("<mark>") + escape(word) + Markup("</mark>"))
            last = match.end()
    out.append(escape(snippet[last:]))
    return Markup("").join(out)
