"""Cluster labels a person can read: a phrase or two that several members share, in their own words.

Candidates are runs of up to three content words, cut at punctuation, that neither start nor end on a word
the pool uses as a verb or an adverb, nor end on an adjective: a word said after "the", "my" or "with" counts
as a noun, after "I", "to" or "will" as a verb, after "is" or "very" as an adjective (a few fixed function
words, no tagger, no model). They are scored as the keywords are (c-TF-IDF, each member counted once, shared
by at least two members and a fifth of the cluster); a phrase replaces its own words when the same members say
it; with the text encoder they are also ranked by closeness to the members' words. Two that share no word make
"cheddar cheese and sandwiches". A cluster whose members share nothing is named by the opening words of its
central piece, quoted, or by its kinds of media.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from triage.scoring.stopwords import STOP_WORDS
from triage.scoring.types import unit

Embed = Callable[[list[str]], np.ndarray]
Key = tuple[str, ...]

BREAK = "|"  # stands for punctuation and digits: a phrase never spans one
_NOT_WORD = re.compile(r"[^\sa-z']")
_SPACED_BREAK = f" {BREAK} "
MAX_PHRASE = 3
# Words read per piece: an hour-long transcript is named by its first minutes as well, at a bounded cost.
MAX_TOKENS = 600


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words that tell a noun from a verb by the word that follows them; a small fixed list, no tagger.
_NOUN_CUES = _set("a an the my your his her its our their this these those some any every each no another "
                  "of with for in on at from into about by")
_VERB_CUES = _set("i you we they he she it who which to will would can could should must might may not never "
                  "don't didn't doesn't won't can't")
_OBJECT_CUES = _set("the a an it them him me us")
_ADJECTIVE_CUES = _set("is are was were be been being very too so how quite")  # "is expensive"
# Indefinite pronouns and adverbs the stop list lacks: a label never holds them.
_GENERAL = _set("nothing nobody anybody somebody everybody everyone someone anyone often perhaps maybe "
                "rather quite almost soon later ago else instead away around")
# General adjectives that say nothing on their own: they may lead a phrase ("good cup", "real programmers")
# but never end one, so no label is just "good" or "real".
_VAGUE = _set("good bad real great new old big little small long short high low right wrong true sure "
              "whole best better worse worst first next nice fine hard easy full able")
_NEVER = STOP_WORDS | _GENERAL


def tokens(text: str) -> list[str]:
    """Lower-case words (of a-z and apostrophes) with BREAK where a clause breaks (punctuation, digits) and for
    each letter outside a-z (a word of one letter, which no label may hold)."""
    # Each character that is not in a-z, an apostrophe or a space becomes a BREAK of its own, and a word is what
    # lies between, without the apostrophes at its ends. Done by `re.sub` and `str.split`, not a regex
    # match per word and a test per token: a pool of 100,000 pieces holds millions of words.
    spaced = _NOT_WORD.sub(_SPACED_BREAK, text.lower().replace("\u2019", "'")).split()
    if "'" not in text and "\u2019" not in text:
        return spaced
    return [w for w in (t.strip("'") for t in spaced) if w]


def _base(word: str) -> str:
    return word[:-2] if word.endswith("'s") else word


@lru_cache(maxsize=1 << 16)  # a pool says the same words many times: decided once per word
def is_content(word: str) -> bool:
    """A word a label may hold: three letters or more, and not a stop word."""
    b = _base(word)
    return len(b) > 2 and b.isalpha() and word not in _NEVER and b not in _NEVER


@dataclass(frozen=True)
class PoolPhrases:
    """Every piece's candidate phrases, by folded key, and what the pool says about its words."""

    counts: list[Counter[Key]]  # per piece: key -> times said
    # per piece: key -> the words as said there, and how often, where they differ from the key ("dogs")
    variants: list[dict[Key, Counter[str]]]
    df: Counter[Key]  # key -> pieces that say it


def _folds(vocab: set[str]) -> dict[str, str]:
    """Each word's key: possessives and plurals fold into the singular when the pool says it too ("dogs",
    "dog's" -> "dog")."""
    bases = {_base(w) for w in vocab}
    out = {}
    for w in vocab:
        b = out[w] = _base(w)
        for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
            if b.endswith(suffix) and len(b) > len(suffix) + 2 and b[: -len(suffix)] + repl in bases:
                out[w] = b[: -len(suffix)] + repl
                break
    return out


class Roles(NamedTuple):
    """How often the pool says each word as a noun (right after a noun cue), as a verb (right after a verb
    cue, or right before an object: "let it", "heat the") and as an adjective (after "is", "very")."""

    noun: Counter[str]
    verb: Counter[str]
    adjective: Counter[str]


def _roles(docs: list[list[str]], fold: dict[str, str]) -> Roles:
    roles = Roles(Counter(), Counter(), Counter())
    for d in docs:
        for prev, w, after in zip([BREAK, *d], d, [*d[1:], BREAK], strict=False):
            if prev in _NOUN_CUES:
                roles.noun[fold[w]] += 1
            elif prev in _VERB_CUES or after in _OBJECT_CUES:
                roles.verb[fold[w]] += 1
            elif prev in _ADJECTIVE_CUES:
                roles.adjective[fold[w]] += 1
    return roles


def _can_start(word: str, roles: Roles) -> bool:
    """Whether a phrase may start on `word`: not one the pool uses as a verb, nor an adverb, past tense or
    participle it never puts after a noun cue ("honestly", "barked", "prohibiting"; "the morning" is fine)."""
    noun = roles.noun[word]
    if roles.verb[word] > noun:
        return False
    past = word.endswith("ed") and not word.endswith("eed") and len(word) > 4
    return noun > 0 or not (word.endswith("ly") or past or (word.endswith("ing") and len(word) > 5))


def _can_end(word: str, roles: Roles) -> bool:
    """Whether a phrase may end on `word`, its head: as it may start, and not an adjective ("expensive")."""
    return _can_start(word, roles) and word not in _VAGUE and roles.adjective[word] <= roles.noun[word]


def pool_phrases(texts: Sequence[str]) -> PoolPhrases:
    """The candidate phrases of every piece of the pool (one entry per text, in order)."""
    docs = [tokens(t)[:MAX_TOKENS] for t in texts]
    vocab = {w for d in docs for w in d}
    fold = _folds(vocab)
    roles = _roles(docs, fold)
    # Decided once per word, not once per occurrence: a pool of thousands says the same words many times.
    content = {w for w in vocab if is_content(w)}
    keys = {fold[w] for w in content}
    starts = {k for k in keys if _can_start(k, roles)}
    ends = {k for k in starts if _can_end(k, roles)}
    counts, variants = [], []
    for d in docs:
        count: Counter[Key] = Counter()
        variant: dict[Key, Counter[str]] = {}
        for run in _runs(d, content):
            folded = [fold[w] for w in run]
            for i in range(len(run)):
                if folded[i] not in starts:
                    continue
                for j in range(i + 1, min(i + MAX_PHRASE, len(run)) + 1):
                    if folded[j - 1] in ends:
                        key = tuple(folded[i:j])
                        count[key] += 1
                        if run[i:j] != folded[i:j]:
                            variant.setdefault(key, Counter())[" ".join(run[i:j])] += 1
        counts.append(count)
        variants.append(variant)
    return PoolPhrases(counts, variants, Counter(k for c in counts for k in c))


def _runs(words: list[str], content: set[str]) -> list[list[str]]:
    """Maximal runs of content words."""
    out: list[list[str]] = [[]]
    for w in words:
        if w in content:
            out[-1].append(w)
        elif out[-1]:
            out.append([])
    return [r for r in out if r]


class Weight(NamedTuple):
    score: float  # c-TF-IDF over members
    members: int  # how many members say it
    said: int  # how often they say it


def shared_phrases(members: Sequence[int], pool: PoolPhrases) -> dict[Key, Weight]:
    """Phrases several members share, with their weight: c-TF-IDF over members (at least two, and a fifth of
    the cluster, and more common here than in the pool), then how often the members say it."""
    size, total = len(members), len(pool.counts)
    if size < 2:
        return {}
    floor = max(2, math.ceil(0.2 * size))
    inside = Counter(k for i in members for k in pool.counts[i])
    said: Counter[Key] = Counter()
    for i in members:
        said.update(pool.counts[i])
    out = {}
    for k, c in inside.items():
        share, base = c / size, pool.df[k] / total
        if c >= floor and share > base:
            out[k] = Weight(round(share * math.log(share / base), 9), c, said[k])
    return _maximal(out)


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


def _surface(key: Key, members: Sequence[int], pool: PoolPhrases) -> str:
    """The form the members say most ("sandwiches" or "sandwich"), never a possessive when another form is
    said; a tie goes to the shorter ("coffee" over "coffees"), then the first in spelling."""
    forms: Counter[str] = Counter()
    for i in members:
        said = pool.counts[i].get(key, 0)
        other = pool.variants[i].get(key, Counter())
        forms.update(other)
        if said > other.total():
            forms[" ".join(key)] += said - other.total()
    return min(forms, key=lambda f: ("'" in f, -forms[f], len(f), f))


class Candidates(NamedTuple):
    """A cluster's best shared phrases (at most a few), as the members say them, with their weights."""

    keys: list[Key]
    forms: dict[Key, str]
    weights: dict[Key, Weight]


def candidates(members: Sequence[int], pool: PoolPhrases, n: int = 12) -> Candidates:
    """The `n` best phrases the `members` (indexes into the pool) share, best first."""
    weights = shared_phrases(members, pool)
    keys = _ranked(weights)[:n]
    return Candidates(keys, {k: _surface(k, members, pool) for k in keys}, weights)


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
_DANGLING = _set("a an the to of and or but for from in on at by with as that than")


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
