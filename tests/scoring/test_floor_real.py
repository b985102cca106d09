"""The shipped floor with the bundled text models: an unrelated prompt finds no good match, a paraphrase does."""

import pytest

from triage.chunking import chunk_text, pool
from triage.encoders import registry
from triage.pipeline import CHUNK_WORDS
from triage.scoring.floor import count_good, floor_for, match
from triage.scoring.query import callout_texts
from triage.scoring.relevance import score_pool
from triage.scoring.types import CalloutQuery, Vectors
from triage.service.search import floor_calibration

from .helpers import item

pytestmark = pytest.mark.real_models

PIECES = [
    "Every evening our beagle sits by the table looking innocent. The moment we turn around, the sausages are gone "
    "from the plates and he is licking his lips under the sofa.",
    "I tried to bake bread for the first time. The dough never rose and the loaf came out as flat as a brick.",
    "The train stopped in a tunnel for an hour, and the announcer only mumbled something about signals.",
    "Slugs ate half the lettuce in my vegetable garden, so this year I am planting more marigolds along the fence.",
]


@pytest.mark.parametrize("model", ["all-MiniLM-L6-v2+all-mpnet-base-v2", "all-MiniLM-L6-v2"])
def test_unrelated_prompt_has_no_good_match_and_a_paraphrase_has_one(model: str) -> None:
    encoder = registry.text_encoder(model, device="cpu")
    floor = floor_for(encoder.name, floor_calibration())
    assert floor is not None
    items = []
    for k, text in enumerate(PIECES):
        chunks = chunk_text(text, max_words=CHUNK_WORDS)
        vectors = encoder.encode([c.text for c in chunks])
        items.append(item(f"p{k}", text=Vectors(vectors, chunks, pool(vectors, [len(c.text) for c in chunks]))))

    def good(prompt: str) -> tuple[int | None, list]:
        query = CalloutQuery(text=encoder.encode_queries(callout_texts("", prompt) or [prompt]))
        matches = [(s.item_id, match(s.words_similarity, floor)) for s in score_pool(items, query)]
        return count_good([m for _, m in matches], floor), matches

    assert good("quarterly tax return spreadsheet deadline")[0] == 0
    found, matches = good("a dog that steals food from the table")
    assert found is not None and found >= 1 and ("p0", "good") in matches
