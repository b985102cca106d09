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


def test_labels_name_the_topic_with_the_real_encoder() -> None:
    encoder = registry.text_encoder("all-MiniLM-L6-v2", device="cpu")
    texts = DOGS + KITCHEN
    items = [item(f"{k // 6}-{k}", text=Vectors(encoder.encode([t]), []), words=t) for k, t in enumerate(texts)]
    plain = {c.members[0][0]: c.key_words for c in cluster_pool(items, k=2)}
    assert "honestly" in plain["0"]  # shared by every member, so word counts alone rank it high
    labelled = {c.members[0][0]: c for c in cluster_pool(items, k=2, embed=encoder.encode)}
    assert "honestly" not in labelled["0"].key_words and "dog" in labelled["0"].key_words
    assert {"bread", "oven", "recipe", "kitchen"} & set(labelled["1"].key_words)
    assert [sorted(c.members) for c in labelled.values()] == [sorted(c) for c in
                                                              ([f"0-{k}" for k in range(6)], [f"1-{k}" for k in range(6, 12)])]
