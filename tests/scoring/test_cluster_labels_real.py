"""Cluster labels with the bundled sentence model: the topic's words, not a filler word every member says."""

import pytest

from triage.encoders import registry
from triage.scoring.cluster import cluster_pool
from triage.scoring.types import Vectors

from .helpers import item

pytestmark = pytest.mark.real_models

DOGS = ["Honestly my dog barked at the mailman all morning.", "Honestly the puppy chewed through its leash again.",
        "Our dog honestly loves long walks on a leash in the park.", "Honestly, the neighbour's dog digs holes.",
        "The puppy honestly sleeps on my bed after our walks.", "Honestly we took the dog and the puppy to the vet."]
KITCHEN = ["I baked bread and the oven smoked the kitchen.", "The soup recipe needed more salt and pepper.",
           "My kitchen smells of garlic after cooking dinner.", "We burned the pasta sauce while the oven was on.",
           "Grandma's recipe for apple pie uses cinnamon.", "The bread rose overnight before I baked it."]
GARDEN = ["My tomatoes finally ripened in the garden this week.", "The garden hose burst while I watered the roses.",
          "We planted tulip bulbs along the garden fence.", "Slugs ate half the lettuce in my vegetable garden."]
TRAINS = ["The train to Leeds was cancelled again this morning.",
          "I missed the last train home and slept at the station.",
          "Our train stopped in a tunnel for an hour.", "The station announcer mumbled the train times."]


@pytest.fixture(scope="module")
def encoder():
    return registry.text_encoder("all-MiniLM-L6-v2", device="cpu")


def labelled(encoder, *groups: list[str]) -> dict[str, str]:
    """Each group's label, by group number, from a pool of the groups' texts clustered with the real model."""
    texts = [t for g in groups for t in g]
    ids = [f"{n}-{k}" for n, g in enumerate(groups) for k in range(len(g))]
    items = [item(i, text=Vectors(encoder.encode([t]), []), words=t) for i, t in zip(ids, texts, strict=True)]
    clusters = cluster_pool(items, k=len(groups), embed=encoder.encode)
    assert sorted(sorted(c.members) for c in clusters) == sorted(sorted(i for i in ids if i[0] == str(n))
                                                                 for n in range(len(groups)))
    return {c.members[0][0]: c.label for c in clusters}


def test_labels_name_the_topic_with_the_real_encoder(encoder) -> None:
    texts = DOGS + KITCHEN
    items = [item(f"{k // 6}-{k}", text=Vectors(encoder.encode([t]), []), words=t) for k, t in enumerate(texts)]
    plain = {c.members[0][0]: c.key_words for c in cluster_pool(items, k=2)}
    assert "honestly" in plain["0"]  # shared by every member, so word counts alone rank it high
    labelled = {c.members[0][0]: c for c in cluster_pool(items, k=2, embed=encoder.encode)}
    assert "honestly" not in labelled["0"].key_words and "dog" in labelled["0"].key_words
    assert {"bread", "oven", "recipe", "kitchen"} & set(labelled["1"].key_words)
    assert [sorted(c.members) for c in labelled.values()] == [sorted(c) for c in
                                                              ([f"0-{k}" for k in range(6)],
                                                               [f"1-{k}" for k in range(6, 12)])]


def test_a_label_holds_a_word_a_person_would_pick(encoder) -> None:
    labels = labelled(encoder, DOGS, KITCHEN)
    assert "honestly" not in labels["0"] and {"dog", "dogs", "puppy"} & set(labels["0"].split())
    assert {"bread", "oven", "recipe", "kitchen", "soup"} & set(labels["1"].split())
    labels = labelled(encoder, GARDEN, TRAINS)
    assert "garden" in labels["0"].split() and {"train", "trains", "station"} & set(labels["1"].split())
    assert not any("," in label or ":" in label for label in labels.values())  # a phrase, not a list of words
