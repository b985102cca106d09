"""Words lineage: a written passage found quoted in a text, read aloud in a transcript or printed in pictures, with
both ranges; look-alikes (two readings of one public text, a shared proverb, texts on one theme) make nothing."""

from __future__ import annotations

import random

import numpy as np
import pytest

from triage.domain import Segment, Transcript, Word
from triage.lineage.types import ReuseKind
from triage.lineage.words import (
    WordIndex,
    match_pair,
    picture_words,
    speech_words,
    text_words,
)
from triage.media.ocr import OcrLine

STORY = ("The lighthouse keeper had not spoken to anyone for eleven winters. Each evening she climbed the ninety "
         "steps, wiped the salt from the great lens and lit the lamp, and each morning she wrote one line in a "
         "ledger that nobody read. When the supply boat finally came back, the young sailor found the ledger full "
         "of letters addressed to the sea, and every letter ended with the same question about the gulls.")
QUOTED = STORY[STORY.index("When the supply"):].rstrip(".")
_VOCAB = ["river", "stone", "window", "bread", "yellow", "quietly", "market", "winter", "lamp", "garden", "dog",
          "morning", "paper", "tired", "bicycle", "tea", "uncle", "mountain", "song", "coat", "little", "bright",
          "green", "road", "said", "went", "saw", "ran", "under", "over", "near", "kept"]


def filler(count: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(_VOCAB) for _ in range(count))


def timed(text: str, start: float = 0.0, per_word: float = 0.4) -> Transcript:
    """A transcript of `text`, one word every `per_word` seconds from `start`, in segments of 12 words."""
    words = [Word(start + i * per_word, start + (i + 1) * per_word - 0.05, f" {w}", 0.9)
             for i, w in enumerate(text.split())]
    segments = tuple(Segment(chunk[0].start, chunk[-1].end, "".join(w.word for w in chunk), -0.2, 0.01,
                             tuple(chunk)) for chunk in (words[i:i + 12] for i in range(0, len(words), 12)))
    return Transcript("".join(w.word for w in words), segments, "en", words[-1].end + 1.0, "test")


def test_a_passage_quoted_in_a_text_is_found_with_both_character_ranges() -> None:
    before, after = filler(40, 1), filler(30, 2)
    user = f"{before}. As she wrote, {QUOTED}. {after}"
    found = match_pair("story", STORY, "essay", text_words(user))
    assert len(found) == 1
    reuse = found[0]
    assert (reuse.source, reuse.user, reuse.kind) == ("story", "essay", ReuseKind.TEXT)
    assert abs(reuse.source_span.start - STORY.index("When the supply")) <= 20
    assert abs(reuse.source_span.end - len(STORY.rstrip("."))) <= 20
    assert abs(reuse.user_span.start - user.index(QUOTED)) <= 20
    assert abs(reuse.user_span.end - (user.index(QUOTED) + len(QUOTED))) <= 20
    assert reuse.user_span.unit == reuse.source_span.unit == "chars"
    assert reuse.share == pytest.approx(reuse.user_span.length / len(user))
    assert "story's words 'When the supply boat finally…'" in reuse.evidence and "quoted in essay" in reuse.evidence


def test_small_edits_inside_the_passage_keep_it_one_passage() -> None:
    edited = (STORY.replace("young", "youngest").replace("addressed", "adressed").replace("letters", "lettres", 1)
              .replace("spoken", "talked").replace("great", "big").replace("Each evening", "Every evening"))
    user = f"{filler(20, 3)} {edited} {filler(20, 4)}"
    found = match_pair("story", STORY, "retold", text_words(user))
    assert len(found) == 1
    assert found[0].source_span.start == 0 and abs(found[0].source_span.end - len(STORY)) <= 20
    assert abs(found[0].user_span.start - user.index(edited)) <= 20


def test_a_reading_in_a_transcript_gives_seconds_on_the_readers_side() -> None:
    spoken = f"{filler(25, 5)} {QUOTED} {filler(20, 6)}"
    transcript = timed(spoken.replace("addressed", "a dressed"), start=3.0)  # one word misheard as two
    found = match_pair("story", STORY, "reading", speech_words(transcript))
    assert len(found) == 1
    reuse = found[0]
    assert reuse.user_span.unit == "s"
    assert reuse.user_span.start == pytest.approx(3.0 + 25 * 0.4, abs=1.0)
    assert reuse.user_span.end == pytest.approx(3.0 + (25 + len(QUOTED.split()) + 1) * 0.4, abs=1.0)
    assert reuse.share == pytest.approx(reuse.user_span.length / transcript.duration)
    assert "read aloud in reading at 0:13-" in reuse.evidence


def test_a_transcript_without_word_times_spreads_its_segment() -> None:
    transcript = Transcript(QUOTED, (Segment(10.0, 20.0, QUOTED, -0.2, 0.01),), "en", 30.0, "test")
    found = match_pair("story", STORY, "reading", speech_words(transcript))
    assert len(found) == 1 and found[0].user_span.start == pytest.approx(10.0, abs=0.5)
    assert found[0].user_span.end == pytest.approx(20.0, abs=0.5)


def test_words_printed_in_a_video_give_the_seconds_they_are_shown() -> None:
    words = QUOTED.split()
    lines = [OcrLine("TITLE CARD", 90.0, (0, 0, 10, 10), 0.0, 1.5)]
    for i in range(0, len(words), 6):
        text = " ".join(words[i:i + 6]).replace("l", "1", 1 if i == 6 else 0)  # an OCR misread in one line
        lines.append(OcrLine(text, 80.0, (0, 0, 10, 10), 2.0 + i, 2.0 + i + 5.5))
    found = match_pair("story", STORY, "film", picture_words(lines, duration=60.0))
    assert len(found) == 1
    reuse = found[0]
    assert reuse.user_span.unit == "s"
    assert reuse.user_span.start == pytest.approx(2.0, abs=1.0)
    assert reuse.user_span.end == pytest.approx(lines[-1].end, abs=1.0)
    assert reuse.share == pytest.approx(reuse.user_span.length / 60.0)
    assert "shown in film's pictures" in reuse.evidence


def test_words_printed_in_a_still_image_give_character_offsets_in_its_text() -> None:
    words = QUOTED.split()
    lines = [OcrLine("POETRY NIGHT", 90.0, (0, 0, 10, 10))]
    lines += [OcrLine(" ".join(words[i:i + 7]), 80.0, (0, 0, 10, 10)) for i in range(0, len(words), 7)]
    for duration in (None, 0.0):  # an image's probe may say no duration or 0
        found = match_pair("story", STORY, "poster", picture_words(lines, duration))
        assert len(found) == 1
        assert found[0].user_span.unit == "chars"
        assert found[0].user_span.start == len("POETRY NIGHT\n")
        assert "shown in poster's pictures at chars" in found[0].evidence


def test_two_readings_of_one_public_text_are_not_reuse_of_each_other() -> None:
    """Only written texts are indexed; two transcripts of the same words have nothing to match against."""
    index = WordIndex()
    index.add("unrelated", filler(200, 7))
    first, second = timed(STORY), timed(STORY, start=2.0, per_word=0.5)
    assert index.match("reading-1", speech_words(first)) == []
    assert index.match("reading-2", speech_words(second)) == []
    index.add("the-text", STORY)  # the text itself in the pool: both readers build on it, not on each other
    assert {r.source for r in index.match("reading-1", speech_words(first))} == {"the-text"}
    assert {r.source for r in index.match("reading-2", speech_words(second))} == {"the-text"}


def test_a_shared_proverb_or_stock_line_is_not_an_edge() -> None:
    """The longest stock lines measured between fortunes (19 words, see MIN_WORDS) stay under the floor."""
    proverb = "You can lead a horse to water, but you cannot make it drink."
    stock = "You can fool some of the people all of the time, and all of the people some of the time."
    a = (f"My brother never listened to anyone about the farm. {proverb} Still, he bought three more cows in "
         f"spring. Our teacher used to write on the board: {stock} Then she would smile and open the window.")
    b = (f"The new manager ignored every report we sent him. {stock} Nobody was surprised when the shop closed in "
         f"winter. {proverb} We moved to the city and found other work.")
    assert match_pair("a", a, "b", text_words(b)) == []


def test_unrelated_texts_on_one_theme_are_not_an_edge() -> None:
    a = ("The old lighthouse stood on the rocks by the sea. Every night the keeper lit the lamp so that the ships "
         "could find their way home through the storm, and every morning the gulls cried over the grey water.")
    b = ("By the sea the lighthouse keeper lives alone. She lights the lamp at night for the ships in the storm and "
         "in the morning she watches the gulls over the water and thinks of the sailors who found their way home.")
    assert match_pair("a", a, "b", text_words(b)) == []


def test_platform_assets_mask_what_they_cover_and_make_no_edge() -> None:
    brief = ("Tell us about a journey you will never forget, in under three minutes, and remember to say your "
             "name and the town you are from at the start of the recording.")
    index = WordIndex(assets={"callout-brief"})
    index.add("callout-brief", brief)
    index.add("earlier-entry", f"{filler(30, 12)} {brief} {filler(30, 13)}")  # another entry pasting the brief
    index.add("story", STORY)
    user = f"{brief} {filler(20, 14)} {QUOTED}"
    found = index.match("entry", text_words(user))
    assert [r.source for r in found] == ["story"]


def test_a_piece_never_matches_itself_and_removed_texts_stop_matching() -> None:
    index = WordIndex()
    index.add("story", STORY)
    assert index.match("story", text_words(STORY)) == []
    assert [r.source for r in index.match("copy", text_words(STORY))] == ["story"]
    index.remove("story")
    assert index.match("copy", text_words(STORY)) == []


def test_numbers_typed_and_spoken_agree() -> None:
    typed = STORY.replace("eleven", "11").replace("ninety", "90")
    spoken = timed(STORY.split(". ")[0] + ". " + STORY.split(". ")[1])
    assert len(match_pair("typed", typed, "reading", speech_words(spoken))) == 1


def test_tokens_are_normalize_text_of_each_token_with_small_numbers_spelled() -> None:
    # the fast path for ASCII tokens must say what the definition says, offsets included
    from triage.fingerprints.text import normalize_text
    from triage.lineage.words import _TOKEN, word_tokens
    from triage.numbers import spell

    rng = random.Random(4)
    parts = ["Don't", "O'Brien's", "rock'n'roll", "7", "42", "99", "100", "2024", "x2", "Ünïcödé", "naïve", "ÉCOLE",
             "l’homme", "snake_case", "ﬁne", "Straße", "İstanbul", "...", "—", "a-b", "3rd", "٣", "中文"]
    for _ in range(300):
        text = " ".join(rng.choice(parts) for _ in range(rng.randint(0, 12)))
        expected = []
        for m in _TOKEN.finditer(text):
            raw = m.group(0)
            small = raw.isascii() and raw.isdigit() and int(raw) < 100
            expected += [(w, m.start(), m.end()) for w in (spell(int(raw)) if small else normalize_text(raw)).split()]
        assert list(word_tokens(text)) == expected, text


def test_the_index_finds_quoted_texts_among_many_before_and_after_a_merge() -> None:
    index = WordIndex()
    early = " ".join(reversed(STORY.split()))  # as many words, none of STORY's shingles
    index.add("early", early)
    for i in range(4000):
        index.add(f"t{i}", filler(60, 100 + i))
    assert index.match("probe", text_words(early)) != []  # more than the tail holds: merged into the main arrays
    index.add("story", STORY)  # in the tail
    found = index.match("new", text_words(f"{filler(30, 99)} {QUOTED}. {filler(10, 98)} {early[:300]}"))
    assert sorted(r.source for r in found) == ["early", "story"]


def test_a_chorus_sung_twice_is_two_passages_on_the_singers_side() -> None:
    chorus = ("we carried the lanterns down to the water and sang to the boats that were never coming home again, "
              "oh never coming home, and the tide kept the time")
    lyrics = (f"In the morning the nets were empty and the gulls were loud above the harbour wall. {chorus}. The baker "
              f"and his bread and the rain on the roofs of the town. {chorus}.")
    sung = timed(f"{filler(10, 1)} {chorus} {filler(15, 2)} {chorus} {filler(5, 3)}")
    found = sorted(match_pair("song", lyrics, "cover", speech_words(sung)), key=lambda r: r.user_span.start)
    assert [round(r.user_span.start) for r in found] == [4, 22]
    assert all(lyrics[int(r.source_span.start):].startswith("we carried") for r in found)


def test_a_poster_read_by_tesseract_is_found_quoting_the_story() -> None:
    """The real reader on a rendered poster: OCR's own misreads must not break the passage."""
    from tests.media.text_pictures import background, draw_text
    from triage.errors import OcrUnavailable
    from triage.media import ocr

    try:
        reader = ocr.reader()
    except OcrUnavailable as missing:
        pytest.skip(str(missing))
    words = QUOTED.split()
    lines = ["POETRY NIGHT"] + [" ".join(words[i:i + 6]) for i in range(0, len(words), 6)]
    poster = draw_text(background("gradient", (900, 620)), lines, font="DejaVuSerif.ttf", size=26,
                       colour=(255, 255, 255), at=(30, 30))
    read = reader.read(np.asarray(poster))
    found = match_pair("story", STORY, "poster", picture_words(read))
    assert len(found) == 1
    assert abs(found[0].source_span.start - STORY.index("When the supply")) <= 20
