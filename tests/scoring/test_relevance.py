import numpy as np
import pytest

from triage.domain import MediaType
from triage.scoring.query import callout_texts
from triage.scoring.relevance import RelevanceParams, like_query, score_pool, with_exemplars
from triage.scoring.types import CalloutQuery

from .helpers import axis, frames, item, words

THEME, OTHER, OFF = 0, 1, 2


def pool():
    """Items on the theme (axis 0), on another call-out's theme (axis 1) and off-theme (axes 2+)."""
    items = []
    for k in range(6):
        items.append(item(f"on{k}", text=words([axis(THEME, 0.1, k), axis(OFF + k % 5, 0.1, k)])))
        items.append(item(f"other{k}", text=words([axis(OTHER, 0.1, 10 + k)])))
        items.append(item(f"off{k}", text=words([axis(OFF + k, 0.1, 20 + k)])))
    return items


def query(**kw):
    return CalloutQuery(text=np.stack([axis(THEME), axis(THEME, 0.2, 1)]),
                        others_text=[np.stack([axis(OTHER)])], **kw)


def test_on_theme_items_rank_first_and_scores_lie_in_unit_interval():
    scored = score_pool(pool(), query())
    ranked = [s.item_id for s in sorted(scored, key=lambda s: -s.score)]
    assert all(r.startswith("on") for r in ranked[:6])
    assert all(0.0 <= s.score <= 1.0 for s in scored)
    assert [s.item_id for s in scored] == [i.submission_id for i in pool()]  # input order kept


def test_missing_modality_is_not_zero_relevance():
    items = pool()
    # a video with only frames, matching the call-out's frame prompts; and a transcript-only audio piece
    items.append(item("vid", MediaType.VIDEO, frames=frames([axis(5, 0.1, 1), axis(THEME, 0.05, 2)], [1.0, 7.5])))
    items.append(item("aud", MediaType.AUDIO, transcript=words([axis(THEME, 0.2, 3)], times=True)))
    q = query(clip=np.stack([axis(THEME)]))
    by = {s.item_id: s for s in score_pool(items, q)}
    median_off = np.median([by[f"off{k}"].score for k in range(6)])
    assert by["vid"].score > median_off and by["aud"].score > median_off
    assert set(by["vid"].per_modality) == {"frames"}
    assert set(by["aud"].per_modality) == {"transcript"}


def test_explanation_names_the_matching_sentence_and_time():
    items = pool()
    items.append(item("talk", MediaType.AUDIO, transcript=words(
        [axis(7, 0.1, 1), axis(8, 0.1, 2), axis(THEME, 0.05, 3)], ["hello there", "anyway", "the point"],
        times=True)))
    items.append(item("clip", MediaType.VIDEO, frames=frames([axis(9), axis(THEME, 0.05, 4)], [0.5, 12.0])))
    by = {s.item_id: s for s in score_pool(items, query(clip=np.stack([axis(THEME)])))}
    why = by["talk"].why
    assert why.modality == "transcript" and "the point" in why.snippet
    assert why.start is not None and why.start >= 2.0 and why.end == 6.0
    assert by["clip"].why.modality == "frames" and by["clip"].why.frame_time == 12.0


def test_item_without_any_content_scores_zero_with_a_reason():
    items = [*pool(), item("empty")]
    s = {x.item_id: x for x in score_pool(items, query())}["empty"]
    assert s.score == 0.0 and s.why.modality == "none"


def test_answering_another_callout_better_pushes_down():
    items = pool()
    # mostly about the OTHER call-out, a little about this one
    items.append(item("mixed", text=words([np.asarray(axis(OTHER) * 0.8 + axis(THEME) * 0.6)])))
    plain = {s.item_id: s.score for s in score_pool(items, query(), RelevanceParams(contrast=0))}
    contrasted = {s.item_id: s.score for s in score_pool(items, query(), RelevanceParams(contrast=1.0))}
    assert contrasted["mixed"] < plain["mixed"]


def test_negative_prompt_pushes_down_and_exemplar_pulls_up():
    items = pool()
    base = {s.item_id: s.score for s in score_pool(items, query())}
    neg = {s.item_id: s.score for s in score_pool(items, query(negative_text=np.stack([axis(OFF)])))}
    assert neg["on0"] < base["on0"]  # on0's second sentence lies on axis OFF
    ex = {s.item_id: s.score for s in score_pool(items, query(exemplar_ids=("off3",)))}
    assert ex["off3"] > base["off3"]


def test_a_typed_exemplar_pulls_up_spoken_pieces_like_it():
    """Texts and transcripts share one space, so a story a curator marks speaks for songs and videos too."""
    items = pool()
    items.append(item("story", text=words([axis(9, 0.1, 1)])))
    items.append(item("song", MediaType.AUDIO, transcript=words([axis(9, 0.1, 2)], times=True)))
    alone = RelevanceParams(smooth_weight=0.0)  # the song's own score, not its neighbour's
    base = {s.item_id: s.score for s in score_pool(items, query(), alone)}
    marked = {s.item_id: s.score for s in score_pool(items, query(exemplar_ids=("story",)), alone)}
    assert marked["song"] > base["song"] + 0.1


def test_exemplars_join_the_query_rows_in_each_space_they_have():
    items = [*pool(), item("vid", MediaType.VIDEO, transcript=words([axis(9)], times=True),
                           frames=frames([axis(4), axis(6)], [1.0, 2.0]))]
    q = query(clip=np.stack([axis(THEME)]), exemplar_ids=("vid", "off2", "unknown"))
    grown = with_exemplars(items, q)
    assert len(grown.text) == len(q.text) + 2  # the video's transcript and off2's text
    assert len(grown.clip) == len(q.clip) + 1  # only the video has frames
    plain = query()
    assert with_exemplars(items, plain) is plain


def test_small_pool_still_scores():
    items = pool()[:3]
    scored = score_pool(items, query())
    assert scored[0].score > scored[2].score


@pytest.mark.parametrize("title,brief", [("Game Day", "Sports and games: athletes, teams, winning and losing.")])
def test_callout_texts_include_phrases(title, brief):
    texts = callout_texts(title, brief, ["a prompt"])
    assert texts[0] == title and brief.rstrip(".") in texts and "athletes" in texts and "a prompt" in texts
    assert len(texts) == len({t.lower() for t in texts})


@pytest.mark.timeout(10)  # the split patterns once backtracked over runs of spaces: 4 s for this brief
def test_callout_texts_are_the_same_whatever_the_spacing() -> None:
    brief = "Sports and games:\n\n athletes,\tteams and   winning. Losing too"
    assert callout_texts(" Game  Day", brief) == callout_texts("Game Day", " ".join(brief.split()))
    spaced = "dogs" + " " * 20_000 + "cats;" + " " * 20_000 + "birds"
    assert callout_texts("Pets", spaced) == ["Pets", "dogs cats; birds", "Pets: dogs cats; birds", "dogs cats", "birds"]


def test_a_piece_as_the_query_ranks_pieces_like_it_first() -> None:
    # "More like this": a typed story about topic 0 finds the spoken piece about topic 0 before the others.
    story = item("story", text=words([axis(0, 0.1, 1), axis(0, 0.1, 2)]))
    near = item("near", MediaType.AUDIO, transcript=words([axis(0, 0.3, 3)], times=True))
    others = [item(f"far{k}", text=words([axis(k, 0.1, k)])) for k in range(2, 8)]
    query = like_query(story)
    assert query is not None and query.text.shape == (1, 16) and query.clip is None and not query.others_text
    scored = {s.item_id: s.score for s in score_pool([story, near, *others], query)}
    assert max(scored[o.submission_id] for o in others) < scored["near"]


def test_a_piece_with_frames_only_queries_the_image_space_and_one_with_nothing_cannot_query() -> None:
    picture = item("pic", MediaType.IMAGE, frames=frames([axis(1)], [0.0]))
    query = like_query(picture)
    assert query is not None and query.text.size == 0 and query.clip is not None and query.clip.shape == (1, 16)
    assert like_query(item("empty")) is None
