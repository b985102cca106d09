"""Words lineage the other way round (issue 19): a written text that arrives after a reading of it (a transcript, a
poster's or a film's printed words) finds the reading through the heard index, and the match is the one the reading
would have found against the text, in the reading's units."""

from __future__ import annotations

import pytest

from tests.lineage.test_words import QUOTED, STORY, filler, timed
from triage.lineage import words
from triage.lineage.heard import HeardIndex
from triage.lineage.types import Reuse
from triage.lineage.words import PieceWords, WordIndex, picture_words, speech_words, text_words
from triage.media.ocr import OcrLine


def _readings() -> dict[str, list[PieceWords]]:
    """Pieces whose spoken or printed words quote STORY, and some that quote nothing. Key -> heard forms."""
    quoted = QUOTED.split()
    film_lines = [OcrLine(" ".join(quoted[i:i + 6]), 80.0, (0, 0, 10, 10), 30.0 + i, 35.5 + i)
                  for i in range(0, len(quoted), 6)]
    poster = [OcrLine("POETRY NIGHT", 90.0, (0, 0, 10, 10))]
    poster += [OcrLine(" ".join(quoted[i:i + 7]), 80.0, (0, 0, 10, 10)) for i in range(0, len(quoted), 7)]
    return {
        "reading": [speech_words(timed(f"{filler(25, 5)} {QUOTED} {filler(20, 6)}", start=3.0))],
        "film": [speech_words(timed(f"{filler(40, 7)} {STORY}", start=1.0)), picture_words(film_lines, 90.0)],
        "poster": [picture_words(poster)],
        "chatter": [speech_words(timed(filler(120, 8)))],
        "other-film": [speech_words(timed(filler(80, 9))), picture_words(film_lines[:1], 20.0)],
    }


def _forward(key: str, heard: list[PieceWords], source: str, text: str) -> list[Reuse]:
    """What the reading's own search finds of the text, had the text come first (as service.lineage_update.match)."""
    index = WordIndex()
    index.add(source, text)
    index.add("unrelated", filler(200, 10))
    return [r for form in heard for r in index.match(key, form)]


def test_a_text_arriving_after_its_readings_finds_what_they_would_have_found() -> None:
    readings = _readings()
    index = HeardIndex()
    for key, heard in readings.items():
        index.add(key, heard)
    found = index.match("story", STORY)
    users = [r.user for r in found]
    assert set(users) == {"reading", "film", "poster"}
    for key, heard in readings.items():
        assert [r for r in found if r.user == key] == _forward(key, heard, "story", STORY)  # the same reuses
    film = [r for r in found if r.user == "film"]
    assert {r.user_span.unit for r in film} == {"s"} and len(film) == 2  # heard in its speech and in its pictures
    assert [r.user_span.unit for r in found if r.user == "poster"] == ["chars"]
    assert all(r.source == "story" and r.source_span.unit == "chars" for r in found)


def test_only_candidates_are_confirmed_pair_by_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """An inverted index, not all pairs: among hundreds of readings, the pairwise matcher runs on the one that
    holds the text's shingles."""
    index = HeardIndex()
    for i in range(300):
        index.add(f"chatter-{i}", [speech_words(timed(filler(80, 1000 + i)))])
    index.add("reading", _readings()["reading"])
    confirmed: list[str] = []
    real = WordIndex.match

    def counted(self: WordIndex, key: str, piece: PieceWords) -> list[Reuse]:
        confirmed.append(key)
        return real(self, key, piece)

    monkeypatch.setattr(WordIndex, "match", counted)
    assert index.candidates("story", STORY) == ["reading"]
    assert [r.user for r in index.match("story", STORY)] == ["reading"]
    assert confirmed == ["reading"]


def test_texts_own_words_are_not_indexed_and_removed_pieces_or_assets_find_nothing() -> None:
    index = HeardIndex(assets={"brief"})
    index.add("quoting-text", [text_words(f"{filler(20, 1)} {QUOTED}")])  # found from its own side, by WordIndex
    assert "quoting-text" not in index and len(index) == 0
    reading = _readings()["reading"]
    index.add("reading", reading)
    assert index.match("reading", STORY) == []  # a piece never builds on itself
    assert index.match("brief", STORY) == []  # a platform asset makes no edge
    assert [r.user for r in index.match("story", STORY)] == ["reading"]
    index.remove("reading")
    assert "reading" not in index and index.match("story", STORY) == []
    index.add("reading", reading)  # back again
    assert [r.user for r in index.match("story", STORY)] == ["reading"]


@pytest.mark.parametrize(("max_postings", "found"), [(3, []), (4, ["r0", "r2", "r4", "r6"])])
def test_stock_phrases_are_counted_over_the_whole_index_whenever_it_merged(monkeypatch: pytest.MonkeyPatch,
                                                                           max_postings: int, found: list[str]) -> None:
    """A rebuild shared out must find what one finds: which shingles are stock (here STORY's, read by four pieces)
    cannot depend on when the tail was merged (one index searched after every piece, the other once)."""
    monkeypatch.setattr(words, "TAIL_POSTINGS", 150)
    often, once = HeardIndex(max_postings=max_postings), HeardIndex(max_postings=max_postings)
    for i in range(8):
        heard = [speech_words(timed(f"{filler(30, 20 + i)} {STORY if i % 2 == 0 else ''} {filler(10, 40 + i)}"))]
        often.add(f"r{i}", heard)
        once.add(f"r{i}", heard)
        often.candidates("probe", STORY)
    assert len(often._main.hashes) and len(often._tail.hashes)  # some readings merged, some in the tail
    assert often.candidates("story", STORY) == once.candidates("story", STORY) == found
    assert often.match("story", STORY) == once.match("story", STORY)
