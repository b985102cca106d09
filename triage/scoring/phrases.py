"""The pool's candidate phrases, as arrays: which piece says which phrase, in which form, how often.

A candidate is a run of up to three content words, cut at punctuation, that neither starts nor ends on a word the
pool uses as a verb or an adverb, nor ends on an adjective: a word said after "the", "my" or "with" counts as a
noun, after "I", "to" or "will" as a verb, after "is" or "very" as an adjective (a few fixed function words, no
tagger, no model). Plurals and possessives fold into the singular the pool also says ("dogs" -> "dog").

A pool of 100,000 pieces says millions of words: the words get integer ids, the pool becomes one array of them
(a break between pieces), and the roles, candidates and per-piece counts are array operations. A cluster's shared
phrases are then a count over the pairs (piece, phrase) of its members, not a sum of per-piece Counters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

from triage.scoring.stopwords import STOP_WORDS

Key = tuple[str, ...]

BREAK = "|"  # stands for punctuation and digits: a phrase never spans one
_NOT_WORD = re.compile(r"[^\sa-z']")
_SPACED_BREAK = f" {BREAK} "
MAX_PHRASE = 3
# Words read per piece: an hour-long transcript is named by its first minutes as well, at a bounded cost.
MAX_TOKENS = 600
_TEXTS_AT_ONCE = 10_000


def word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words that tell a noun from a verb by the word that follows them; a small fixed list, no tagger.
_NOUN_CUES = word_set("a an the my your his her its our their this these those some any every each no another "
                  "of with for in on at from into about by")
_VERB_CUES = word_set("i you we they he she it who which to will would can could should must might may not never "
                  "don't didn't doesn't won't can't")
_OBJECT_CUES = word_set("the a an it them him me us")
_ADJECTIVE_CUES = word_set("is are was were be been being very too so how quite")  # "is expensive"
# Indefinite pronouns and adverbs the stop list lacks: a label never holds them.
_GENERAL = word_set("nothing nobody anybody somebody everybody everyone someone anyone often perhaps maybe "
                "rather quite almost soon later ago else instead away around")
# General adjectives that say nothing on their own: they may lead a phrase ("good cup", "real programmers")
# but never end one, so no label is just "good" or "real".
_VAGUE = word_set("good bad real great new old big little small long short high low right wrong true sure "
              "whole best better worse worst first next nice fine hard easy full able")
_NEVER = STOP_WORDS | _GENERAL


def tokens(text: str) -> list[str]:
    """Lower-case words (of a-z and apostrophes) with BREAK where a clause breaks (punctuation, digits) and for
    each letter outside a-z (a word of one letter, which no label may hold)."""
    # Each character that is not in a-z, an apostrophe or a space becomes a BREAK of its own, and a word is what
    # lies between, without the apostrophes at its ends. Done by `re.sub` and `str.split`, not a regex
    # match per word and a test per token: a pool of 100,000 pieces holds millions of words.
    spaced = _spaced(text)
    if "'" not in text and "\u2019" not in text:
        return spaced
    return [w for w in (t.strip("'") for t in spaced) if w]


def _spaced(text: str) -> list[str]:
    """`tokens` before the apostrophes at a word's ends are stripped."""
    return _NOT_WORD.sub(_SPACED_BREAK, text.lower().replace("\u2019", "'")).split()


def _base(word: str) -> str:
    return word[:-2] if word.endswith("'s") else word


@lru_cache(maxsize=1 << 16)  # a pool says the same words many times: decided once per word
def is_content(word: str) -> bool:
    """A word a label may hold: three letters or more, and not a stop word."""
    b = _base(word)
    return len(b) > 2 and b.isalpha() and word not in _NEVER and b not in _NEVER


def _folds(vocab: Sequence[str]) -> list[str]:
    """Each word's key: possessives and plurals fold into the singular when the pool says it too ("dogs",
    "dog's" -> "dog")."""
    bases = {_base(w) for w in vocab}
    out = []
    for w in vocab:
        b = _base(w)
        for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
            if b.endswith(suffix) and len(b) > len(suffix) + 2 and b[: -len(suffix)] + repl in bases:
                b = b[: -len(suffix)] + repl
                break
        out.append(b)
    return out


def _can_start(word: str, noun: int, verb: int) -> bool:
    """Whether a phrase may start on `word`: not one the pool uses as a verb (said `verb` times after a verb cue
    or before an object, `noun` times after a noun cue), nor an adverb, past tense or participle it never puts
    after a noun cue ("honestly", "barked", "prohibiting"; "the morning" is fine)."""
    if verb > noun:
        return False
    past = word.endswith("ed") and not word.endswith("eed") and len(word) > 4
    return noun > 0 or not (word.endswith("ly") or past or (word.endswith("ing") and len(word) > 5))


def _can_end(word: str, noun: int, verb: int, adjective: int) -> bool:
    """Whether a phrase may end on `word`, its head: as it may start, and not an adjective ("expensive")."""
    return _can_start(word, noun, verb) and word not in _VAGUE and adjective <= noun


@dataclass(frozen=True)
class PoolPhrases:
    """Every piece's candidate phrases. A key is a phrase folded ("dog bite"); a form is one way the pool says it
    ("dogs bite", "dog's bite"). Pairs list, per piece, each key it says (and how often), ordered by piece."""

    size: int  # pieces
    words: list[str]  # word id -> word, as said
    key_words: list[str]  # folded word id -> word
    form_word_ids: np.ndarray  # (forms, 3): word ids + 1 of each form, 0 past its end
    key_word_ids: np.ndarray  # (keys, 3): folded word ids + 1 of each key, 0 past its end
    pair_piece: np.ndarray
    pair_key: np.ndarray
    pair_count: np.ndarray
    df: np.ndarray  # key -> pieces that say it
    # (piece, form) pairs and their counts, sorted by the form's key; `key_starts[k]` is where key k's begin
    form_piece: np.ndarray
    form_of: np.ndarray
    form_count: np.ndarray
    key_starts: np.ndarray

    def key(self, k: int) -> Key:
        return tuple(self.key_words[f - 1] for f in self.key_word_ids[k] if f)

    def form(self, f: int) -> str:
        return " ".join(self.words[w - 1] for w in self.form_word_ids[f] if w)

    def members_mask(self, members: Sequence[int]) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[np.asarray(members, dtype=np.int64)] = True
        return mask

    def said_by(self, member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key: how many of the `member` pieces say it, and how often they say it in all."""
        rows = member[self.pair_piece]
        keys = self.pair_key[rows]
        n = len(self.df)
        return (np.bincount(keys, minlength=n),
                np.bincount(keys, weights=self.pair_count[rows], minlength=n).astype(np.int64))

    def forms_said(self, k: int, member: np.ndarray) -> dict[str, int]:
        """The forms of key `k` that the `member` pieces say, with how often."""
        span = slice(self.key_starts[k], self.key_starts[k + 1])
        rows = member[self.form_piece[span]]
        forms, at = np.unique(self.form_of[span][rows], return_inverse=True)
        counts = np.bincount(at, weights=self.form_count[span][rows], minlength=len(forms))
        return {self.form(int(f)): int(c) for f, c in zip(forms, counts, strict=True)}


def pool_phrases(texts: Sequence[str]) -> PoolPhrases:
    """The candidate phrases of every piece of the pool (one entry per text, in order)."""
    words, seq, piece = _word_ids(texts)
    folded = _folds(words)
    key_words = list(dict.fromkeys(folded))
    key_index = {w: i for i, w in enumerate(key_words)}
    fold_of = np.array([key_index[f] for f in folded], dtype=np.int32)  # word id -> folded id
    content = np.array([is_content(w) for w in words], dtype=bool)
    starts, ends = _heads(words, seq, fold_of, content, key_words)
    # Candidates: positions where a run of 1-3 content words starts on a start word and ends on an end word.
    tail = MAX_PHRASE - 1  # padding, so that a position's next words can be read at the end too
    pad = np.concatenate([seq, np.zeros(tail, dtype=seq.dtype)])
    said, last = (np.concatenate([flags[seq], np.zeros(tail, dtype=bool)]) for flags in (content, ends))
    ok = starts[seq]
    rows, lengths = [], []
    for n in range(1, MAX_PHRASE + 1):
        if n > 1:  # the words up to the n-th are all content words
            ok &= said[n - 1:len(seq) + n - 1]
        at = np.flatnonzero(ok & last[n - 1:len(seq) + n - 1])
        rows.append(at)
        lengths.append(np.full(len(at), n))
    at, length = np.concatenate(rows), np.concatenate(lengths)
    ids = np.zeros((len(at), MAX_PHRASE), dtype=np.int64)
    for j in range(MAX_PHRASE):
        ids[:, j] = np.where(j < length, pad[at + j] + 1, 0)
    return _tables(len(texts), words, key_words, piece[at], ids, fold_of)


def _word_ids(texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The pool as one array of word ids, each piece's `tokens` (at most MAX_TOKENS) with a BREAK (id 0) before,
    between and after the pieces, and each position's piece."""
    raw: dict[str, int] = {}
    sizes: list[int] = []
    parts = [np.zeros(0, dtype=np.int32)]
    for start in range(0, len(texts), _TEXTS_AT_ONCE):  # a part at a time: the words of all would take 100s of MB
        spaced = [_spaced(t) for t in texts[start:start + _TEXTS_AT_ONCE]]
        for w in dict.fromkeys(chain.from_iterable(spaced)):
            raw.setdefault(w, len(raw))
        sizes += [len(words) for words in spaced]
        # ids by C-level iteration, with no list of ints beside the words
        parts.append(np.fromiter(map(raw.__getitem__, chain.from_iterable(spaced)), dtype=np.int32,
                                 count=sum(sizes[-len(spaced):])))
    flat = np.concatenate(parts)
    del parts
    # A word's apostrophes at its ends go, and one of apostrophes only is no word (as `tokens` does): decided
    # once per distinct word, not per occurrence.
    index: dict[str, int] = {BREAK: 0}
    word_of = np.array([index.setdefault(w.strip("'"), len(index)) if w.strip("'") else -1 for w in raw],
                       dtype=np.int32)
    ids = word_of[flat] if len(flat) else flat
    del flat
    piece = np.repeat(np.arange(len(texts), dtype=np.int32), sizes)
    if (ids < 0).any():
        kept = ids >= 0
        ids, piece = ids[kept], piece[kept]
    lengths = np.bincount(piece, minlength=len(texts)).astype(np.int32)
    if len(ids) and lengths.max() > MAX_TOKENS:  # each position's rank in its piece, in int32 (millions of them)
        rank = np.arange(len(ids), dtype=np.int32)
        rank -= (np.cumsum(lengths, dtype=np.int32) - lengths)[piece]
        ids, piece = ids[rank < MAX_TOKENS], piece[rank < MAX_TOKENS]
        lengths = np.minimum(lengths, MAX_TOKENS)
    del piece  # each array here is as long as the pool's words: each goes as soon as it is used
    seq = np.zeros(len(ids) + len(texts) + 1, dtype=np.int32)
    keep = np.ones(len(seq), dtype=bool)
    keep[np.concatenate([[0], np.cumsum(lengths + 1)])] = False
    seq[keep] = ids
    del ids, keep
    where = np.concatenate([np.array([-1], dtype=np.int32),
                            np.repeat(np.arange(len(texts), dtype=np.int32), lengths + 1)])
    return list(index), seq, where


def _heads(words: list[str], seq: np.ndarray, fold_of: np.ndarray, content: np.ndarray,
           key_words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per word id: whether a phrase may start on it, and whether one may end on it (by its folded key's roles
    in the pool: how often it follows a noun cue, a verb cue or an adjective cue, or comes before an object)."""
    cue = {name: np.array([w in cues for w in words], dtype=bool)
           for name, cues in (("noun", _NOUN_CUES), ("verb", _VERB_CUES), ("object", _OBJECT_CUES),
                              ("adjective", _ADJECTIVE_CUES))}
    prev, word, after = seq[:-2], seq[1:-1], seq[2:]
    noun = cue["noun"][prev]
    verb = ~noun & (cue["verb"][prev] | cue["object"][after])
    adjective = ~noun & ~verb & cue["adjective"][prev]
    keys = fold_of[word]
    roles = [np.bincount(keys[m], minlength=len(key_words)) for m in (noun, verb, adjective)]
    can_start = np.zeros(len(key_words), dtype=bool)
    can_end = np.zeros(len(key_words), dtype=bool)
    for k in np.unique(fold_of[content]):
        w, (n, v, a) = key_words[k], (int(r[k]) for r in roles)
        can_start[k] = _can_start(w, n, v)
        can_end[k] = can_start[k] and _can_end(w, n, v, a)
    return content & can_start[fold_of], content & can_end[fold_of]


def _tables(size: int, words: list[str], key_words: list[str], pieces: np.ndarray, ids: np.ndarray,
            fold_of: np.ndarray) -> PoolPhrases:
    """Forms, keys and the per-piece pairs from every candidate's piece and word ids."""
    form_at, form_rows = _row_ids(ids)
    form_ids = ids[form_rows]
    folded = np.where(form_ids > 0, fold_of[np.maximum(form_ids - 1, 0)] + 1, 0)
    key_of_form, key_rows = _row_ids(folded)
    keys = len(key_rows)
    # (piece, form) with counts, then (piece, key) with counts
    pf_piece, pf_form, pf_count = distinct_pairs(pieces, form_at, len(form_rows))
    pk, pk_at = np.unique(pf_piece * keys + key_of_form[pf_form], return_inverse=True)
    pk_count = np.bincount(pk_at, weights=pf_count, minlength=len(pk)).astype(np.int64)
    pair_key = pk % keys
    order = np.argsort(key_of_form[pf_form], kind="stable")
    key_starts = np.searchsorted(key_of_form[pf_form][order], np.arange(keys + 1))
    return PoolPhrases(size, words, key_words, form_ids, folded[key_rows], pk // keys, pair_key, pk_count,
                       np.bincount(pair_key, minlength=keys), pf_piece[order], pf_form[order], pf_count[order],
                       key_starts)


def distinct_pairs(pieces: np.ndarray, ids: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (piece, id) pairs, by piece then id, and how often each occurs (ids below `width`). One int64
    code per pair: in int32, 100,000 pieces x a million ids would wrap."""
    width = max(width, 1)
    code, counts = np.unique(pieces.astype(np.int64) * width + ids, return_counts=True)
    return code // width, code % width, counts


def _row_ids(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's id among the distinct rows of `rows` (small non-negative ints), and one row index per id."""
    base = int(rows.max(initial=0)) + 1
    if base ** rows.shape[1] < 2 ** 63:  # one integer per row: a flat sort, much faster than rows compared
        code = np.zeros(len(rows), dtype=np.int64)
        for j in range(rows.shape[1]):
            code = code * base + rows[:, j]
        _, first, at = np.unique(code, return_index=True, return_inverse=True)
    else:
        _, first, at = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    return at.reshape(-1), first
