"""Cluster labels a curator can read: shared phrases as people say them, or an honest stand-in."""

import random
import re

import numpy as np

from triage.domain import MediaType
from triage.scoring.cluster import cluster_pool
from triage.scoring.labels import (
    OPENING_TRIES,
    candidates,
    cluster_label,
    kinds_label,
    phrase_label,
    pool_phrases,
    quoted_opening,
    tokens,
)
from triage.scoring.stopwords import STOP_WORDS

from .helpers import axis, item, words

# Each group's members share filler (stop words, "you know", "I mean") and one or two real words.
CHATTY = {
    "penguins": ["You know, I mean, the penguins at the zoo were just so funny to watch.",
                 "I mean, you know what it is like, penguins will steal your sandwich.",
                 "So, you know, we went back and the penguins were still there, I mean, all of them.",
                 "Honestly it is what it is: penguins never look where they are going, you know."],
    "kettle": ["I mean the old kettle whistled all night, you know, and it was so loud.",
               "You know what, the kettle is broken again and it is what it is.",
               "I mean, who puts a kettle on at three in the morning, you know?",
               "So the kettle boiled dry and, I mean, you know the rest."],
}


def label_of(members, pool, centre=None, embed=None) -> str:
    return phrase_label(candidates(members, pool), centre, embed)


def chatty_pool():
    texts = [t for group in CHATTY.values() for t in group]
    items = [item(f"{g}-{k}", text=words([axis(4 * n, 0.05, 10 * n + k)]), words=t)
             for n, (g, group) in enumerate(CHATTY.items()) for k, t in enumerate(group)]
    return texts, items


def test_no_label_is_made_only_of_stop_words():
    _, items = chatty_pool()
    labels = {c.members[0].split("-")[0]: c.label for c in cluster_pool(items, k=2)}
    assert labels == {"penguins": "penguins", "kettle": "kettle"}  # never "mean", "know" or "you know"
    for label in labels.values():
        assert set(tokens(label)) - STOP_WORDS - {"|"}


def test_a_quote_starts_at_a_sentence_that_says_something():
    assert quoted_opening("It is what it is. Penguins waddle home.") == "\u201cPenguins waddle home\u201d"
    assert quoted_opening("He has shown you, o man, what is good.") == "\u201cHe has shown you\u2026\u201d"
    assert quoted_opening("Hi there! This is just a note to say hello") == "\u201cThis is just a note\u2026\u201d"
    assert quoted_opening("It is what it is, and that is that.") == ""
    assert quoted_opening('"Never make any mistakes." (Anonymous, in a mail)') \
        == "\u201cNever make any mistakes\u2026\u201d"
    assert quoted_opening("You're growing out of some of your problems.") \
        == "\u201cYou're growing out of some\u2026\u201d"


def test_a_cluster_whose_members_share_nothing_is_named_by_its_central_piece():
    texts = ["Zebras graze quietly on the plain.", "Volcanoes erupt rarely, thank goodness.",
             "Submarines dive deep below the ice."]
    pool = pool_phrases(texts)
    kinds = ["text"] * 3
    for members, label in (([1, 0, 2], "\u201cVolcanoes erupt rarely\u2026\u201d"),
                           ([2, 1, 0], "\u201cSubmarines dive deep below the ice\u201d")):
        assert cluster_label(members, candidates(members, pool), texts, kinds) == label


def test_only_the_most_central_pieces_lend_their_opening_words() -> None:
    """A cluster whose few hundred most central pieces say nothing is named by its kinds of media, however many
    members follow (a 100,000-piece pool read every one of them)."""
    silent = ["123 456.", "... !!!"] * (OPENING_TRIES // 2)
    texts = [*silent, "Penguins waddle home."]
    members = list(range(len(texts)))
    pool = pool_phrases(texts)
    assert cluster_label(members, candidates(members, pool), texts, ["text"] * len(texts)) \
        == f"{len(texts)} texts"
    members = [len(texts) - 1, *members[:-1]]  # the same piece among the most central
    assert cluster_label(members, candidates(members, pool), texts, ["text"] * len(texts)) \
        == "\u201cPenguins waddle home\u201d"


def test_a_cluster_without_words_is_named_by_its_kinds_of_media():
    assert kinds_label(["video", "video", "video"]) == "3 videos without speech"
    assert kinds_label(["video", "audio", "video"]) == "2 videos and 1 recording without speech"
    assert kinds_label(["image", "image", "video"]) == "2 images and 1 video"
    items = [item(f"v{k}", MediaType.VIDEO, frames=words([axis(0, 0.05, k)])) for k in range(2)]
    items += [item(f"i{k}", MediaType.IMAGE, frames=words([axis(0, 0.05, 5 + k)])) for k in range(2)]
    assert [c.label for c in cluster_pool(items, k=1)] == ["2 images and 2 videos"]


CHEESE = ["A toasted cheddar cheese sandwich for lunch.", "Cheddar cheese on rye bread, please.",
          "I melted the cheddar cheese on the sandwiches.", "Grate some cheddar cheese on the rye bread.",
          "The train was late.", "The bus was late again."]


def test_a_phrase_the_members_say_is_kept_whole_and_its_words_not_repeated():
    pool = pool_phrases(CHEESE)

    def embed(phrases: list[str]) -> np.ndarray:  # "cheddar" alone lies nearest the members' words
        return np.stack([axis(0 if p == "cheddar" else 5) for p in phrases])

    for label in (label_of([0, 1, 2, 3], pool), label_of([0, 1, 2, 3], pool, axis(0), embed)):
        assert label.startswith("cheddar cheese")  # everyone who says "cheddar" says "cheddar cheese"
        assert label.count("cheese") == 1


def test_plural_and_singular_make_one_phrase_and_a_verb_every_member_uses_is_not_a_label():
    texts = ["They bite the postman, those dogs.", "Our dog will bite anyone.", "Dogs bite when scared.",
             "The dog did bite me once.", "Trains run late.", "The bus runs late."]
    label = label_of([0, 1, 2, 3], pool_phrases(texts))
    assert label in ("dog", "dogs")  # one key for both forms, and "bite" is a verb here


def test_labels_are_deterministic_and_do_not_depend_on_the_members_order():
    _, items = chatty_pool()
    first = [(c.members, c.label) for c in cluster_pool(items, k=2)]
    assert first == [(c.members, c.label) for c in cluster_pool(items, k=2)]
    pool = pool_phrases(CHEESE)  # several phrases weigh the same: the tie must not follow the members' order
    members = list(range(4))
    label = label_of(members, pool)
    for seed in range(5):
        random.Random(seed).shuffle(members)
        assert label_of(members, pool) == label == "cheddar cheese and rye bread"


def test_with_the_encoder_the_nearer_of_equally_shared_phrases_names_the_cluster():
    texts = ["The oven and the recipe book.", "A recipe for the oven.", "My oven, my recipe.",
             "The bus was late.", "The train was late."]
    pool = pool_phrases(texts)

    def embed(phrases: list[str]) -> np.ndarray:  # "recipe" lies on the members' axis, anything else off it
        return np.stack([axis(0 if p == "recipe" else 5) for p in phrases])

    assert label_of([0, 1, 2], pool) == "oven and recipe"  # equal weights: spelling decides
    assert label_of([0, 1, 2], pool, centre=axis(0), embed=embed) == "recipe and oven"


def test_a_second_phrase_only_joins_when_half_as_many_members_say_it():
    texts = ["The lighthouse at dawn.", "A lighthouse in the fog, and a seagull.", "Our lighthouse keeper waved.",
             "That lighthouse is painted red.", "The old lighthouse, a seagull on its rail.", "Lighthouse tours.",
             "The bus was late.", "The train was late."]
    pool = pool_phrases(texts)
    assert label_of(list(range(6)), pool) == "lighthouse"  # 2 of 6 say "seagull": too few to name it
    assert label_of([1, 4], pool) == "seagull and lighthouse"  # both say both; the rarer first


def test_the_encoder_is_asked_once_for_every_cluster_together():
    _, items = chatty_pool()
    calls = []

    def embed(texts: list[str]) -> np.ndarray:  # each call costs the same whether it holds 3 texts or 30
        calls.append(texts)
        return np.stack([axis(len(t) % 16) for t in texts])

    labels = [c.label for c in cluster_pool(items, k=2, embed=embed)]
    assert len(calls) == 1 and sorted(labels) == ["kettle", "penguins"]


def _tokens_by_regex(text: str) -> list[str]:
    """The tokens as one regex match per token says them: the definition `tokens` is written faster."""
    found = re.findall(r"[a-z][a-z']*|[^\sa-z']", text.lower().replace("\u2019", "'"))
    return [t.rstrip("'") if "a" <= t[0] <= "z" else "|" for t in found]


def test_tokens_are_those_of_one_match_per_token() -> None:
    alphabet = "abcxyzAB '\u2019\t\n.,!?0123\u00e9|\u00a0\u2028\u017fK\u0130-"
    rng = random.Random(0)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert tokens(text) == _tokens_by_regex(text), text
    assert tokens("Don't stop: 3 dogs' bones\u2019 caf\u00e9") == ["don't", "stop", "|", "|", "dogs", "bones",
                                                               "caf", "|"]


def test_item_features_are_each_items_unit_vector() -> None:
    from triage.scoring.cluster import item_features
    from triage.scoring.types import unit

    rng = np.random.default_rng(1)
    items = [item(f"s{i}", text=words([rng.standard_normal(16).astype(np.float32)]) if i % 3 else None,
                  transcript=words([rng.standard_normal(16).astype(np.float32)]) if i % 2 else None)
             for i in range(12)]
    x = item_features(items)
    for k, it in enumerate(items):
        parts = [unit(v.pooled_vector()) for v in (it.text, it.transcript) if v is not None]
        expected = unit(sum(parts)) if parts else np.zeros(16, dtype=np.float32)
        assert np.array_equal(x[k], expected)
