"""The pool's phrases as arrays give exactly what counting each piece's phrases plainly gives."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from triage.scoring import phrases
from triage.scoring.labels import candidates, shared_phrases
from triage.scoring.phrases import (
    _ADJECTIVE_CUES,
    _NOUN_CUES,
    _OBJECT_CUES,
    _VERB_CUES,
    BREAK,
    _can_end,
    _can_start,
    _folds,
    is_content,
    pool_phrases,
    tokens,
)

Key = tuple[str, ...]


def plain_phrases(texts: list[str], max_tokens: int) -> list[Counter[tuple[Key, str]]]:
    """Per piece: (key, form as said) -> times said, by a loop over each piece's words."""
    docs = [tokens(t)[:max_tokens] for t in texts]
    vocab = sorted({w for d in docs for w in d})
    fold = dict(zip(vocab, _folds(vocab), strict=True))
    noun, verb, adjective = Counter(), Counter(), Counter()
    for d in docs:
        for prev, w, after in zip([BREAK, *d], d, [*d[1:], BREAK], strict=False):
            if prev in _NOUN_CUES:
                noun[fold[w]] += 1
            elif prev in _VERB_CUES or after in _OBJECT_CUES:
                verb[fold[w]] += 1
            elif prev in _ADJECTIVE_CUES:
                adjective[fold[w]] += 1
    out = []
    for d in docs:
        said: Counter[tuple[Key, str]] = Counter()
        for i in range(len(d)):
            for j in range(i + 1, min(i + 3, len(d)) + 1):
                run = d[i:j]
                if not all(is_content(w) for w in run):
                    break
                first, last = fold[run[0]], fold[run[-1]]
                if _can_start(first, noun[first], verb[first]) and \
                        _can_end(last, noun[last], verb[last], adjective[last]):
                    said[tuple(fold[w] for w in run), " ".join(run)] += 1
        out.append(said)
    return out


def plain_shared(members: list[int], said: list[Counter[tuple[Key, str]]]) -> dict[Key, tuple[float, int, int]]:
    size, total = len(members), len(said)
    keys_of = [{k for k, _ in s} for s in said]
    df = Counter(k for keys in keys_of for k in keys)
    inside = Counter(k for i in members for k in keys_of[i])
    times = Counter()
    for i in members:
        for (k, _), n in said[i].items():
            times[k] += n
    floor = max(2, math.ceil(0.2 * size))
    return {k: (round((c / size) * math.log((c / size) / (df[k] / total)), 9), c, times[k])
            for k, c in inside.items() if c >= floor and c / size > df[k] / total}


COMMON = "the a my the with my will is very it honestly quickly o'clock 'tis rock'n'roll barked boiling".split()  # noqa: SIM905
TOPICS = ["dog dogs dog's bark barks".split(), "cheddar cheese cheeses sandwich sandwiches rye bread".split(),  # noqa: SIM905
          "kettle kettles zebra zebras".split()]  # noqa: SIM905


def random_text(rng: random.Random, topic: list[str]) -> str:
    words = [rng.choice(topic if rng.random() < 0.5 else COMMON) for _ in range(rng.randint(0, 25))]
    for _ in range(rng.randint(0, 3)):  # clause breaks, digits, letters outside a-z, curly apostrophes
        if words:
            words[rng.randrange(len(words))] += rng.choice([",", ".", " 42", " caf\u00e9", "\u2019s", " ' "])
    return " ".join(words).capitalize()


@pytest.mark.parametrize("max_tokens", [phrases.MAX_TOKENS, 7])
def test_phrases_as_arrays_equal_plain_counting(monkeypatch, max_tokens) -> None:
    monkeypatch.setattr(phrases, "MAX_TOKENS", max_tokens)
    rng = random.Random(max_tokens)
    texts = [random_text(rng, TOPICS[i % len(TOPICS)]) for i in range(450)] + ["", "123", "' '"]
    said = plain_phrases(texts, max_tokens)
    pool = pool_phrases(texts)
    checked, variants = 0, 0
    for size in (2, 3, 5, 20, 100, 150, len(texts)):
        topic = rng.randrange(len(TOPICS))  # mostly one topic's pieces, and a few others
        members = list(dict.fromkeys(rng.sample(range(topic, 450, len(TOPICS)), min(size, 150)) +
                                     rng.sample(range(len(texts)), size // 4)))
        shared = {k: tuple(w) for k, w in shared_phrases(members, pool).items()}
        plain = plain_shared(members, said)
        assert set(shared) <= set(plain)  # a phrase a longer one holds may be dropped
        checked += len(shared)
        assert all(plain[k] == w for k, w in shared.items())
        for k in set(plain) - set(shared):  # dropped only for a longer phrase the same members say
            assert any(len(big) > len(k) and plain[big][1] == plain[k][1] and
                       any(big[i:i + len(k)] == k for i in range(len(big))) for big in plain)
        found = candidates(members, pool)
        for k in found.keys:  # the form said most, never a possessive when another is said
            forms = Counter()
            for i in members:
                for (key, form), n in said[i].items():
                    if key == k:
                        forms[form] += n
            assert found.forms[k] == min(forms, key=lambda f: ("'" in f, -forms[f], len(f), f))
            variants += len(forms) > 1
    assert checked > 10 and variants > 3  # the pools did share phrases, said in several forms


def test_an_empty_pool_and_pieces_without_words_have_no_phrases() -> None:
    assert shared_phrases([], pool_phrases([])) == {}
    pool = pool_phrases(["", "123 456", "!!!"])
    assert shared_phrases([0, 1, 2], pool) == {} and candidates([0, 1, 2], pool).keys == []


def test_a_big_pool_counts_every_piece() -> None:
    """50,000 pieces each saying a word of its own: pieces x forms passes 2**31, where int32 arithmetic wrapped."""
    def word(i: int) -> str:
        return "".join(chr(97 + (i // 26 ** p) % 26) for p in range(4))
    texts = [f"The {word(i)} lantern." for i in range(50_000)]
    pool = pool_phrases(texts)
    inside, said = pool.said_by(pool.members_mask(range(len(texts))))
    lantern = next(k for k in range(len(pool.df)) if pool.key(k) == ("lantern",))
    assert pool.df[lantern] == inside[lantern] == said[lantern] == len(texts)
    assert sorted(inside.tolist()).count(1) >= len(texts)  # each piece's own word, and its own "... lantern"
