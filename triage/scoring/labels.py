"""Cluster labels a person can read: a phrase or two that several members share, in their own words.

Candidates are the pool's phrases (phrases.py: runs of up to three content words that the pool's own usage
says are nouns and their modifiers, plurals folded into the singular). They are scored as the keywords are
(c-TF-IDF, each member counted once, shared by at least two members and a fifth of the cluster); a phrase
replaces its own words when the same members say it; with the text encoder they are also ranked by closeness to
the members' words. Two that share no word make "cheddar cheese and sandwiches". A cluster whose members share
nothing is named by the opening words of its central piece, quoted, or by its kinds of media.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from triage.scoring.phrases import Key, PoolPhrases, is_content, pool_phrases, tokens, word_set
from triage.scoring.types import unit

__all__ = ["Embed", "candidates", "cluster_label", "kinds_label", "phrase_label", "pool_phrases",
           "quoted_opening", "shared_phrases", "tokens"]

Embed = Callable[[list[str]], np.ndarray]


class Weight(NamedTuple):
    score: float  # c-TF-IDF over members
    members: int  # how many members say it
    said: int  # how often they say it


def shared_phrases(members: Sequence[int], pool: PoolPhrases) -> dict[Key, Weight]:
    """Phrases several members share, with their weight: c-TF-IDF over members (at least two, and a fifth of
    the cluster, and more common here than in the pool), then how often the members say it."""
    return _shared(len(members), pool.members_mask(members), pool)[0]


def _shared(size: int, member: np.ndarray, pool: PoolPhrases) -> tuple[dict[Key, Weight], dict[Key, int]]:
    """`shared_phrases` of the `size` pieces marked in `member`, and each phrase's key id in the pool."""
    total = pool.size
    if size < 2:
        return {}, {}
    floor = max(2, math.ceil(0.2 * size))
    inside, said = pool.said_by(member)
    out, ids = {}, {}
    for k in np.flatnonzero(inside >= floor):
        c = int(inside[k])
        share, base = c / size, int(pool.df[k]) / total
        if share > base:
            key = pool.key(int(k))
            ids[key] = int(k)
            out[key] = Weight(round(share * math.log(share / base), 9), c, int(said[k]))
    return _maximal(out), ids


def _maximal(weights: dict[Key, Weight]) -> dict[Key, Weight]:
    """Drop a phrase that a longer one holds and that the same members say: "cheddar" when everyone who says
    it says "cheddar cheese", and "expensive" for "expensive questions"; the longer reads as people say it."""
    longer = [k for k in weights if len(k) > 1]

    def held(k: Key) -> bool:
        return any(weights[big].members == weights[k].members and _contains(big, k) for big in longer
                   if len(big) > len(k))
    return {k: w for k, w in weights.items() if not held(k)}


def _contains(big: Key, small: Key) -> bool:
    return any(big[i:i + len(small)] == small for i in range(len(big) - len(small) + 1))


def _ranked(weights: dict[Key, Weight]) -> list[Key]:
    """Best first; among equals the longer phrase ("cheddar cheese" before "cheese"), then by spelling."""
    return sorted(weights, key=lambda k: (-weights[k].score, -weights[k].said, -len(k), k))


def _by_closeness(keys: list[Key], weights: dict[Key, Weight], texts: list[str], centre: np.ndarray,
                  embed: Embed) -> list[Key]:
    """Keys reordered by the sum of two ranks: by weight (equal weights, equal rank) and by closeness to the
    members' words, so a filler every member says falls behind the topic's words; ties keep the given
    order."""
    closeness = unit(np.asarray(embed(texts), dtype=np.float32)) @ centre
    closeness_rank = np.argsort(np.argsort(-closeness, kind="stable"), kind="stable")
    levels = sorted({(weights[k].score, weights[k].said) for k in keys}, reverse=True)
    weight_rank = np.array([levels.index((weights[k].score, weights[k].said)) for k in keys])
    order = np.argsort(weight_rank + closeness_rank, kind="stable")
    return [keys[i] for i in order]


def _surface(forms: dict[str, int]) -> str:
    """The form the members say most ("sandwiches" or "sandwich"), never a possessive when another form is
    said; a tie goes to the shorter ("coffee" over "coffees"), then the first in spelling."""
    return min(forms, key=lambda f: ("'" in f, -forms[f], len(f), f))


class Candidates(NamedTuple):
    """A cluster's best shared phrases (at most a few), as the members say them, with their weights."""

    keys: list[Key]
    forms: dict[Key, str]
    weights: dict[Key, Weight]


def candidates(members: Sequence[int], pool: PoolPhrases, n: int = 12) -> Candidates:
    """The `n` best phrases the `members` (indexes into the pool) share, best first."""
    member = pool.members_mask(members)
    weights, ids = _shared(len(members), member, pool)
    keys = _ranked(weights)[:n]
    return Candidates(keys, {k: _surface(pool.forms_said(ids[k], member)) for k in keys}, weights)


def phrase_label(found: Candidates, centre: np.ndarray | None = None, embed: Embed | None = None,
                 max_words: int = 4) -> str:
    """One or two shared phrases joined by "and", or "" if the members share none. The second shares no word
    with the first, keeps the label within `max_words` words, and is said by at least half as many members,
    so a weak word does not pad a clear one. `centre` (the members' mean word vector) lets `embed` rank them
    by closeness."""
    keys, forms, weights = found
    if embed is not None and centre is not None and len(keys) > 1:
        keys = _by_closeness(keys, weights, [forms[k] for k in keys], unit(centre), embed)
    chosen: list[Key] = []
    for k in keys:
        if len(chosen) == 2:
            break
        fits = sum(len(c) for c in chosen) + len(k) <= max_words
        if fits and not any(set(k) & set(c) or 2 * weights[k].members < weights[c].members for c in chosen):
            chosen.append(k)
    return " and ".join(forms[k] for k in chosen)


_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'\u201d\u2019)])\s+")  # also after a closing quote
_QUOTES = "\"'\u201c\u201d\u2018\u2019"
# A quote never ends on one of these: "a note…", not "a note to…".
_DANGLING = word_set("a an the to of and or but for from in on at by with as that than")


def quoted_opening(text: str, max_words: int = 6, max_chars: int = 60) -> str:
    """The opening words of a piece, quoted: from its first sentence that has a content word ("It is what it
    is." says nothing), up to the first clause break after three words, at most `max_words` (and `max_chars`).
    "" if no sentence has one."""
    sentences = _SENTENCE.split(text.strip())
    first = next((n for n, s in enumerate(sentences) if any(is_content(t) for t in tokens(s))), None)
    if first is None:
        return ""
    words = sentences[first].split()
    out: list[str] = []
    for w in words:
        out.append(w)
        said = any(is_content(t) for t in tokens(" ".join(out)))
        ends_clause = w.rstrip(_QUOTES + ")")[-1:] in ".,;:!?"
        if said and (len(out) >= max_words or (len(out) >= 3 and ends_clause)):
            break
    kept = len(out)
    while kept > 1 and out[kept - 1].lower() in _DANGLING:
        kept -= 1
    whole = " ".join(out[:kept])
    # Double quotes would clash with the label's own; an apostrophe inside a word ("you're") stays.
    body = re.sub("[\"\u201c\u201d]", "", whole[:max_chars]).strip(" '\u2018\u2019").rstrip(".,;:-\u2014 ")
    cut = kept < len(words) or len(whole) > max_chars or first < len(sentences) - 1
    return f"\u201c{body}\u2026\u201d" if cut else f"\u201c{body}\u201d"


OPENING_TRIES = 200  # how many of a cluster's most central pieces may lend it their opening words
_KIND_NOUNS = {"video": "video", "audio": "recording", "image": "image", "text": "text"}


def kinds_label(kinds: Sequence[str]) -> str:
    """What a cluster without words holds: "3 videos without speech", "2 images and 1 video"."""
    counts = Counter(kinds)
    parts = [f"{c} {_KIND_NOUNS.get(k, k)}{'s' if c > 1 else ''}"
             for k, c in sorted(counts.items(), key=lambda t: (-t[1], t[0]))]
    label = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return label + (" without speech" if set(counts) <= {"video", "audio"} else "")


def cluster_label(members: Sequence[int], found: Candidates, texts: Sequence[str], kinds: Sequence[str],
                  centre: np.ndarray | None = None, embed: Embed | None = None) -> str:
    """The label of a cluster whose `members` (indexes into the pool's `texts` and `kinds`, nearest the centre
    first) share the phrases `found`: one or two of them, else the opening words of the most central piece
    with words, else its kinds of media."""
    label = phrase_label(found, centre, embed)
    # The most central pieces only: a cluster whose first few hundred say nothing is one of pieces without words
    # (reading every member of a 100,000-piece pool's cluster to learn that took seconds).
    for i in members[:OPENING_TRIES]:
        if label:
            break
        label = quoted_opening(texts[i])
    return label or kinds_label([kinds[i] for i in members])
