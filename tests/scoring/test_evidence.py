"""Duplicate evidence in words: the facts a comparison keeps, and the sentence a curator reads."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

from triage.domain import MediaType
from triage.fingerprints import CHROMAPRINT_CLOCK, text_minhash
from triage.fingerprints.audio import stretched
from triage.scoring.dedup import DuplicateEdge, DuplicateGroup, compare, find_duplicates
from triage.scoring.evidence import EdgeDetail, at, describe, flipped, length

from .helpers import audio_fp, fp, noisy, phashes
from .test_dedup import STORY, _near


def edge(kind: str, **facts: object) -> DuplicateEdge:
    return DuplicateEdge("a", "b", kind, 0.9, EdgeDetail(**facts) if facts else None)  # type: ignore[arg-type]


SOUND = {"seconds": 31.0, "start_a": 0.0, "start_b": 0.0, "whole_a": True, "whole_b": True, "tempo": 1.0,
         "duration_a": 31.0, "duration_b": 31.2}
PICTURES = {"frames_matched": 14, "frames_compared": 16, "mirrored": False, "shift": 0.0, "blank_intro": False,
            "duration_a": 20.0, "duration_b": 20.0}


# ---------------------------------------------------------------- sentences, kind by kind


def test_the_same_bytes_are_the_same_file():
    assert describe(DuplicateEdge("a", "b", "exact", 1.0)) == "the same file"


def test_sound_heard_whole_in_both():
    assert describe(edge("audio", **SOUND)) == "the same sound for 31 s"


def test_a_trim_says_how_long_and_from_where_in_either_order():
    trim = {**SOUND, "seconds": 12.0, "start_a": 4.2, "whole_a": False, "duration_b": 12.0}
    assert describe(edge("audio", **trim)) == "the second is a 12 s trim of the first (from 0:04)"
    assert describe(flipped(edge("audio", **trim))) == "the first is a 12 s trim of the second (from 0:04)"
    padded = {**SOUND, "seconds": 31.0, "start_b": 65.0, "whole_b": False, "duration_b": 96.0}
    assert describe(edge("audio", **padded)) == "the first is a 31 s trim of the second (from 1:05)"
    eleven = {**trim, "seconds": 11.0, "duration_b": 11.0}
    assert describe(edge("audio", **eleven)) == "the second is an 11 s trim of the first (from 0:04)"


def test_a_match_inside_both_says_where_in_each():
    partial = {**SOUND, "seconds": 12.0, "start_a": 10.0, "start_b": 2.0, "whole_a": False, "whole_b": False}
    assert describe(edge("audio", **partial)) == ("the same sound for 12 s, from 0:10 in the first and 0:02 "
                                                  "in the second")


def test_a_copy_played_faster_says_which_and_by_how_much():
    faster = {**SOUND, "seconds": 12.0, "tempo": 1.08, "duration_a": 12.0, "duration_b": 11.1}
    assert describe(edge("audio", **faster)) == "the same sound for 12 s, the second one 8% faster"
    # told the other way round, the 11.1 s of the faster one come first
    assert describe(edge("audio", **faster), first="b") == "the same sound for 11 s, the first one 8% faster"
    slower = {**faster, "tempo": 1 / 1.08}
    assert describe(edge("audio", **slower)) == "the same sound for 12 s, the first one 8% faster"


def test_a_few_tenths_of_a_second_are_no_trim():
    almost = {**SOUND, "whole_a": False, "duration_b": 30.6}
    assert describe(edge("audio", **almost)) == "the same sound for 31 s"


def test_pictures_count_their_frames_and_tell_mirrors_and_intros():
    assert describe(edge("frames", **PICTURES)) == "the same pictures in 14 of 16 frames"
    assert describe(edge("frames", **{**PICTURES, "mirrored": True})) == ("the same pictures in 14 of 16 frames, "
                                                                          "the second one mirrored")
    intro = {**PICTURES, "shift": 2.0, "blank_intro": True, "duration_b": 22.0}
    assert describe(edge("frames", **intro)) == ("the same pictures in 14 of 16 frames, the second one with a 2 s "
                                                 "blank intro")
    assert describe(edge("frames", **intro), first="b") == ("the same pictures in 14 of 16 frames, the first one "
                                                            "with a 2 s blank intro")
    both = {**intro, "mirrored": True}
    assert describe(edge("frames", **both)).endswith("the second one mirrored and with a 2 s blank intro")
    assert describe(flipped(edge("frames", **both))).endswith(", the second one mirrored, the first one with a 2 s "
                                                              "blank intro")


def test_pictures_that_start_later_or_end_sooner():
    later = {**PICTURES, "shift": -3.0, "duration_b": 17.0}  # the first has 3 s the second lacks
    assert describe(edge("frames", **later)) == ("the same pictures in 14 of 16 frames, the first one with 3 s more at "
                                                 "the start")
    shorter = {**PICTURES, "duration_b": 15.0}
    assert describe(edge("frames", **shorter)) == "the same pictures in 14 of 16 frames, the second one 5 s shorter"


def test_one_picture_is_the_same_picture():
    image = {"frames_matched": 1, "frames_compared": 1, "mirrored": True, "shift": 0.0, "blank_intro": False}
    assert describe(edge("frames", **image)) == "the same picture, the second one mirrored"


def test_music_videos_tell_sound_and_pictures():
    both = {**PICTURES, **SOUND, "mirrored": True}
    assert describe(edge("audio+frames", **both)) == ("the same sound for 31 s and the same pictures in 14 of 16 "
                                                      "frames, the second one mirrored")


def test_texts_tell_the_share_of_words_and_a_longer_copy():
    assert describe(edge("text", words_share=0.92, chars_a=400, chars_b=410)) == ("the same words (92% of them), "
                                                                                 "re-typed")
    assert describe(edge("text", words_share=1.0, chars_a=400, chars_b=400)) == "the same words, re-typed"
    signed = edge("text", words_share=0.8, chars_a=400, chars_b=480)
    assert describe(signed) == "the same words (80% of them), re-typed, the second one 20% longer"
    assert describe(signed, first="b") == "the same words (80% of them), re-typed, the second one 17% shorter"


def test_edges_without_detail_still_read():
    assert [describe(edge(k)) for k in ("text", "audio", "frames", "audio+frames")] == [
        "the same words", "the same sound", "the same pictures", "the same sound and pictures"]


def test_no_ids_in_the_sentence_and_first_must_be_one_of_the_two():
    e = DuplicateEdge("demo-a", "demo-b", "audio", 0.9, EdgeDetail(**SOUND))  # type: ignore[arg-type]
    assert "demo" not in describe(e) and "demo" not in describe(e, first="demo-b")
    with pytest.raises(ValueError):
        describe(e, first="demo-c")


def test_flipping_twice_gives_the_edge_back():
    e = edge("audio+frames", **{**PICTURES, **SOUND, "tempo": 1.25, "shift": 1.5, "seconds": 20.0})
    assert flipped(flipped(e)) == e
    assert flipped(e).detail.tempo == 0.8 and flipped(e).detail.seconds == 16.0  # type: ignore[union-attr]


@pytest.mark.parametrize(("seconds", "said"), [(2.5, "2.5 s"), (5.0, "5 s"), (9.96, "10 s"), (31.4, "31 s"),
                                                (59.6, "1:00"), (65.0, "1:05"), (3729.0, "1:02:09")])
def test_lengths_read_as_a_curator_says_them(seconds: float, said: str):
    assert length(seconds) == said


def test_places_read_as_a_player_shows_them():
    assert [at(s) for s in (0.0, 4.4, 4.6, 65.0)] == ["0:00", "0:04", "0:05", "1:05"]


# ---------------------------------------------------------------- the facts compare keeps


def test_a_trimmed_re_encode_keeps_where_it_was_cut_from():
    base = audio_fp(1, 248)  # ~31 s of Chromaprint items
    trimmed = noisy(base, 3, trim=40)[:140]  # from item 40, 140 items: ~5 s in, ~20 s long
    e = compare(fp("a", MediaType.AUDIO, audio=base, duration=33.4),
                fp("b", MediaType.AUDIO, audio=trimmed, duration=20.0))
    assert e is not None and e.kind == "audio" and e.detail is not None
    d = e.detail
    assert d.whole_b and not d.whole_a and d.tempo == 1.0
    assert d.start_a == pytest.approx(CHROMAPRINT_CLOCK.at(40), abs=0.01) and d.start_b == 0.0
    assert d.seconds == 20.0
    assert describe(e) == "the second is a 20 s trim of the first (from 0:05)"


def test_a_copy_played_faster_keeps_its_pace():
    base = audio_fp(21, 220)
    e = compare(fp("a", MediaType.AUDIO, audio=base, duration=27.3),
                fp("b", MediaType.AUDIO, audio=noisy(stretched(base, 1 / 1.1), 22), duration=24.8))
    assert e is not None and e.detail is not None
    assert e.detail.tempo == pytest.approx(1.1, abs=0.01)
    assert describe(e).endswith("the second one 10% faster")


def test_mirrored_pictures_are_told_and_plain_ones_are_not():
    orig = phashes(3, 12)
    plain = compare(fp("a", MediaType.VIDEO, frames=orig, duration=12.0),
                    fp("b", MediaType.VIDEO, frames=_near(orig, 1), duration=12.0))
    mirror = compare(fp("a", MediaType.VIDEO, frames=orig, duration=12.0),
                     fp("b", MediaType.VIDEO, frames=_near(orig, 1, mirror=True), duration=12.0))
    assert plain is not None and mirror is not None and plain.detail and mirror.detail
    assert (plain.detail.mirrored, mirror.detail.mirrored) == (False, True)
    assert plain.detail.frames_matched == plain.detail.frames_compared == 12
    assert describe(mirror) == "the same pictures in 12 of 12 frames, the second one mirrored"


def test_pictures_behind_a_blank_intro_are_told():
    orig = phashes(5, 10)
    later = [(t + 3.0, h) for t, h in _near(orig, 2)]  # three seconds of black first: no hashes there
    e = compare(fp("a", MediaType.VIDEO, frames=orig, duration=10.0),
                fp("b", MediaType.VIDEO, frames=later, duration=13.0))
    assert e is not None and e.detail is not None
    assert (e.detail.shift, e.detail.blank_intro) == (3.0, True)
    assert describe(e) == "the same pictures in 10 of 10 frames, the second one with a 3 s blank intro"


def test_pictures_behind_other_pictures_are_no_blank_intro():
    orig = phashes(5, 10)
    later = phashes(6, 3) + [(t + 3.0, h) for t, h in _near(orig, 2)]  # a title card, then the same clip
    e = compare(fp("a", MediaType.VIDEO, frames=orig, duration=10.0),
                fp("b", MediaType.VIDEO, frames=later, duration=13.0))
    assert e is not None and e.detail is not None
    assert (e.detail.shift, e.detail.blank_intro) == (3.0, False)
    assert describe(e) == "the same pictures in 10 of 10 frames, the second one with 3 s more at the start"


def test_pictures_at_no_shared_shift_tell_none():
    orig = phashes(7, 10)
    moved_to = [5, 0, 8, 2, 9, 1, 7, 3, 6, 4]  # a re-cut: every shot moved, by -5 s to +6 s (median -1 s)
    shuffled = [(float(t), h) for t, (_, h) in zip(moved_to, _near(orig, 3), strict=True)]
    e = compare(fp("a", MediaType.VIDEO, frames=orig, duration=10.0),
                fp("b", MediaType.VIDEO, frames=shuffled, duration=10.0))
    assert e is not None and e.detail is not None and e.detail.shift == 0.0
    assert describe(e) == "the same pictures in 10 of 10 frames"


def test_a_retyped_text_keeps_its_share_of_words():
    longer = STORY + " And that is the whole story, thank you for reading it all the way here."
    e = compare(fp("a", MediaType.TEXT, minhash=text_minhash(STORY), text_len=len(STORY)),
                fp("b", MediaType.TEXT, minhash=text_minhash(longer), text_len=len(longer)))
    assert e is not None and e.detail is not None
    assert e.detail.words_share == pytest.approx(e.score, abs=0.001) and e.detail.chars_b == len(longer)
    more = round(100 * (len(longer) / len(STORY) - 1))
    assert describe(e) == f"the same words ({round(100 * e.score)}% of them), re-typed, the second one {more}% longer"


def test_identical_bytes_keep_no_detail():
    e = compare(fp("a", MediaType.AUDIO, sha256="same"), fp("b", MediaType.AUDIO, sha256="same"))
    assert e is not None and e.kind == "exact" and e.detail is None


def test_a_kept_snapshot_reads_its_details_back():
    # service/rescore.py keeps groups as JSON (dataclasses.asdict) and reads them back with DuplicateEdge(**e)
    base = audio_fp(1)
    groups = find_duplicates([fp("a", MediaType.AUDIO, audio=base, duration=25.0),
                              fp("b", MediaType.AUDIO, audio=noisy(base, 2, trim=10), duration=23.8)])
    data = json.loads(json.dumps([asdict(g) for g in groups]))
    back = [DuplicateGroup(g["representative"], tuple(g["members"]), tuple(DuplicateEdge(**e) for e in g["edges"]))
            for g in data]
    assert back == groups and isinstance(back[0].edges[0].detail, EdgeDetail)
    older = {k: v for k, v in data[0]["edges"][0].items() if k != "detail"}  # kept before details existed
    assert describe(DuplicateEdge(**older)) == "the same sound"


def test_details_never_change_which_pairs_group_or_their_scores():
    # The scores of compare are the similarity functions' own, and groups follow from them alone.
    from triage.fingerprints import audio_similarity, frames_similarity, minhash_similarity

    base, orig = audio_fp(7), phashes(8, 12)
    a = fp("a", MediaType.AUDIO, audio=base, duration=25.0)
    b = fp("b", MediaType.AUDIO, audio=noisy(base, 2, trim=10), duration=23.8)
    v = fp("v", MediaType.VIDEO, frames=orig, duration=12.0)
    w = fp("w", MediaType.VIDEO, frames=_near(orig, 4, mirror=True), duration=12.0)
    s, t = (fp(i, MediaType.TEXT, minhash=text_minhash(x), text_len=len(x)) for i, x in (("s", STORY),
                                                                                       ("t", STORY.upper() + "!")))
    edges = {e.a: e for g in find_duplicates([a, b, v, w, s, t]) for e in g.edges}
    assert edges["a"].score == audio_similarity(base, b.audio)  # type: ignore[arg-type]
    assert edges["v"].score == frames_similarity(v.frames, w.frames)
    assert edges["s"].score == minhash_similarity(s.minhash, t.minhash)  # type: ignore[arg-type]
    assert np.isclose(edges["s"].detail.words_share, edges["s"].score, atol=5e-4)  # type: ignore[union-attr]
