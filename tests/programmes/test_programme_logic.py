"""The pure parts of programmes: totals against the target, credits with shares, and the suggested order."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.programmes.budget import book_words, screen_s, text_card_s, total
from triage.programmes.credits import BUILDS_ON, CONTRIBUTOR, Weighed, credit_lines, payout_rows
from triage.programmes.order import Candidate, clashes, strength, suggest
from triage.programmes.plan import Placed, RenderSettings

S = RenderSettings()


def piece(kind: str, start: float, end: float, *, heading: str | None = None, words: str = "",
          sid: str = "s") -> Placed:
    path = None if kind == "text" else Path(f"/media/{sid}")
    return Placed(sid, sid, "ann", kind, path, end if kind in ("video", "audio") else 0.0, start, end, words, heading)


def test_an_episode_counts_cuts_cards_sections_and_credits() -> None:
    pieces = [piece("video", 2, 12), piece("audio", 0, 30, heading="Part two"), piece("image", 0, 0),
              piece("text", 0, 50, words=" ".join(["w"] * 50))]
    assert [screen_s(p, S) for p in pieces] == [10, 30, S.image_s, 50 / S.words_per_second]
    found = total("episode", pieces, 60, S)
    assert found.used == pytest.approx(10 + 30 + S.image_s + 20 + S.section_card_s + S.credits_s)
    assert found.over == pytest.approx(found.used - 60) and found.left == 0 and found.unit == "s"


def test_a_short_text_card_stays_up_long_enough_to_read_and_a_long_one_is_capped() -> None:
    assert text_card_s(piece("text", 0, 2), S) == S.min_text_card_s
    assert text_card_s(piece("text", 0, 5000), S) == 40.0


def test_a_book_counts_words_and_an_album_counts_sound_and_gaps() -> None:
    spoken = piece("audio", 0, 10, words="one two three")
    assert book_words(piece("text", 10, 25)) == 15 and book_words(spoken) == 3
    assert book_words(piece("image", 0, 0)) == 0
    album = [piece("audio", 0, 100), piece("video", 5, 65), piece("text", 0, 10), piece("video", 0, 20)]
    found = total("album", album, 45 * 60, S, has_sound=[True, True, False, False])
    assert found.used == 100 + 60 + S.album_gap_s  # text and the silent video make no track, so no gap either


def test_credits_shares_sum_to_one_and_follow_the_weights() -> None:
    lines = credit_lines([Weighed("a", "Ann", 30), Weighed("b", "Bob", 10), Weighed("c", "Ann", 20)])
    assert [(line.name, round(line.share, 4), line.pieces) for line in lines] == [
        ("Ann", round(50 / 60, 4), ("a", "c")), ("Bob", round(10 / 60, 4), ("b",))]
    assert sum(line.share for line in lines) == pytest.approx(1)


def test_names_written_two_ways_are_one_person_only_once_merged() -> None:
    pieces = [Weighed("a", "Ann Lee", 1), Weighed("b", "ann  lee", 1)]
    assert {line.name for line in credit_lines(pieces)} == {"Ann Lee", "ann  lee"}
    merged = credit_lines(pieces, {"ann  lee": "Ann Lee"})
    assert [(line.name, line.share, line.pieces) for line in merged] == [("Ann Lee", 1.0, ("a", "b"))]


def test_a_remix_passes_part_of_its_weight_to_what_it_builds_on() -> None:
    remix = Weighed("remix", "Bob", 10, lineage=[("Bob", 0.6), ("Ann", 0.4)])
    lines = {line.name: line for line in credit_lines([remix, Weighed("own", "Cy", 10)])}
    assert lines["Ann"].share == pytest.approx(0.2) and lines["Ann"].role == BUILDS_ON
    assert lines["Bob"].share == pytest.approx(0.3) and lines["Bob"].role == CONTRIBUTOR
    assert sum(line.share for line in lines.values()) == pytest.approx(1)


def test_a_programme_that_weighs_nothing_shares_equally_and_the_payout_rows_sum_to_one() -> None:
    lines = credit_lines([Weighed("a", "Ann", 0), Weighed("b", None, 0), Weighed("c", "Cy", 0)])
    assert [round(line.share, 6) for line in lines] == [round(1 / 3, 6)] * 3
    rows = payout_rows(lines, "words")
    assert sum(float(r["share"]) for r in rows) == pytest.approx(1, abs=1e-5)
    assert {r["basis"] for r in rows} == {"words"} and "(unknown contributor)" in {r["name"] for r in rows}


def cand(sid: str, score: float, theme: str, who: str, rating: float | None = None) -> Candidate:
    return Candidate(sid, score, rating, theme, who)


def test_the_strongest_piece_opens_the_next_closes_and_themes_stay_together() -> None:
    pieces = [cand("a", 0.9, "rain", "ann"), cand("b", 0.8, "sun", "bob"), cand("c", 0.5, "rain", "cy"),
              cand("d", 0.4, "sun", "dee"), cand("e", 0.3, "rain", "eve"), cand("f", 0.2, "sun", "fay")]
    order = suggest(pieces)
    assert order[0] == "a" and order[-1] == "b"
    assert order[1:-1] == ["c", "e", "d", "f"]  # the opener's theme goes on, then the other, strongest first


def test_votes_count_as_much_as_relevance() -> None:
    pieces = [cand("a", 0.9, "t", "ann", rating=1), cand("b", 0.8, "t", "bob", rating=5), cand("c", 0.1, "t", "cy")]
    power = strength(pieces)
    assert power["b"] > power["a"] and suggest(pieces)[0] == "b"


def test_no_contributor_follows_themself_where_the_pieces_allow() -> None:
    pieces = [cand("a1", 0.9, "t", "ann"), cand("a2", 0.8, "t", "ann"), cand("a3", 0.7, "t", "ann"),
              cand("b1", 0.6, "t", "bob"), cand("b2", 0.5, "t", "bob"), cand("c1", 0.4, "t", "cy")]
    order = suggest(pieces)
    by = {p.submission_id: p for p in pieces}
    assert sorted(order) == sorted(by) and clashes([by[s] for s in order]) == 0


def test_one_contributors_programme_is_left_as_it_comes() -> None:
    pieces = [cand(f"x{i}", 1 - i / 10, "t", "ann") for i in range(4)]
    assert suggest(pieces) == ["x0", "x2", "x3", "x1"]  # strongest first, second strongest last
