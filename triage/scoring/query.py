"""The texts that stand for a call-out when it is embedded: title, brief, and the brief's phrases."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\s*[:;]\s+")
_LIST = re.compile(r",\s*|\s+(?:and|or)\s+")


def callout_texts(title: str, brief: str, prompts: Sequence[str] = ()) -> list[str]:
    """Title, brief, "title: brief", the brief's sentences and clauses, and curator prompts, de-duplicated.

    Several short views of one brief make a more robust query than one long vector: a piece about
    one named aspect of the theme still meets the phrase that names it.
    """
    # One space between words: the split patterns below backtrack over runs of spaces (seconds on a long brief of
    # them), and a tokenizer sees no difference.
    title, brief = " ".join(title.split()), " ".join(brief.split())
    texts = [title, brief, f"{title}: {brief}" if title and brief else ""]
    for sentence in _SENTENCE.split(brief):
        texts.append(sentence)
        parts = [p for p in _LIST.split(sentence) if len(p.split()) >= 1]
        if len(parts) > 1:
            texts.extend(parts)
    texts.extend(prompts)
    seen: set[str] = set()
    out = []
    for t in texts:
        t = re.sub(r"^(?:and|or)\s+", "", t.strip(" .,;:!?"), flags=re.IGNORECASE)
        if len(t) >= 3 and t.lower() not in seen:
            seen.add(t.lower())
            out.append(t)
    return out
