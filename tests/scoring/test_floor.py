"""Search's "no good match" floor: good / weak / unknown from the raw similarity of a piece's words."""

import math

import numpy as np

from triage.domain import MediaType
from triage.scoring.floor import best_similarity, count_good, floor_for, match
from triage.scoring.modality import modality_scores
from triage.scoring.relevance import RelevanceParams, score_pool
from triage.scoring.types import CalloutQuery, unit

from .helpers import axis, frames, item, words

CALIBRATION = {"model-a": {"floor": 0.3, "percentile": 99.0}, "broken": {"floor": "high"}, "nan": {"floor": math.nan}}


def test_a_pool_where_nothing_reaches_the_floor_has_no_good_match():
    floor = floor_for("model-a", CALIBRATION)
    matches = [match(s, floor) for s in (0.05, 0.12, 0.29)]
    assert matches == ["weak", "weak", "weak"]
    assert count_good(matches, floor) == 0


def test_pieces_at_or_above_the_floor_are_good_and_counted():
    floor = floor_for("model-a", CALIBRATION)
    matches = [match(s, floor) for s in (0.45, 0.3, 0.1, None)]
    assert matches == ["good", "good", "weak", None]  # None: a piece without words is unknown, not weak
    assert count_good(matches, floor) == 2


def test_an_uncalibrated_model_gets_no_floor_and_no_claim():
    for model in ("my-own-model", "broken", "nan"):
        floor = floor_for(model, CALIBRATION)
        assert floor is None
        assert match(0.9, floor) is None and match(0.01, floor) is None
        assert count_good([match(0.9, floor)], floor) is None


def test_a_duplicate_group_is_as_close_as_its_closest_member():
    assert best_similarity([0.2, None, 0.35, math.nan]) == 0.35
    assert best_similarity([None, math.nan]) is None


def test_score_pool_exposes_the_raw_words_similarity_and_none_without_words():
    q = CalloutQuery(text=np.stack([axis(0)]), clip=np.stack([axis(0)]))
    near = words([unit(axis(0) + axis(1)), axis(2)])
    spoken = words([axis(3)])
    pool = [item("near", text=near), item("spoken", MediaType.AUDIO, transcript=spoken),
            item("image", MediaType.IMAGE, frames=frames([axis(0)], [0.0]))]
    scored = {s.item_id: s for s in score_pool(pool, q)}
    p = RelevanceParams()
    expected = modality_scores([near], q.text, p.pooled_weight, p.max_weight).raw[0]
    assert scored["near"].words_similarity == float(expected)
    assert scored["spoken"].words_similarity is not None and abs(scored["spoken"].words_similarity) < 1e-6
    assert scored["image"].words_similarity is None  # frames have no calibrated floor
