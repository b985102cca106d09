"""Text in pictures: rendered words are read back, pictures without text give nothing and cost little, and a
machine without Tesseract's data fails clearly (or, through `reader_or_none`, quietly after one warning)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from tests.media.text_pictures import background, draw_text
from triage.domain import Frame
from triage.errors import OcrUnavailable
from triage.media import ocr
from triage.media.ocr_frames import line_chunks, ocr_text, read_frames
from triage.media.text_presence import is_texture, may_hold_text, plate_lines, text_regions, tile_pixels
from triage.textnorm import normalize_words, word_error_rate

POSTERS = [  # (lines, font, size, background, colour, caption plate)
    (["Front Lawn Freaks", "Saturday at noon"], "DejaVuSans-Bold.ttf", 34, "flat", (20, 20, 20), None),
    (["The river keeps its secrets"], "DejaVuSerif.ttf", 26, "gradient", (255, 255, 255), None),
    (["bring your own lawn chair"], "DejaVuSansMono.ttf", 20, "photo", (255, 255, 255), (0, 0, 0)),
    (["A fox stole my sandwich"], "DejaVuSans.ttf", 16, "photo", (255, 240, 0), (20, 20, 20)),
]


@pytest.fixture(scope="module")
def reader() -> ocr.OcrReader:
    return ocr.reader()


@pytest.mark.parametrize(("lines", "font", "size", "kind", "colour", "plate"), POSTERS)
def test_printed_words_are_read_in_several_fonts_sizes_and_backgrounds(
        reader: ocr.OcrReader, lines: list[str], font: str, size: int, kind: str,
        colour: tuple[int, int, int], plate: tuple[int, int, int] | None) -> None:
    picture = draw_text(background(kind, (512, 288)), lines, font=font, size=size, colour=colour, box=plate,
                        at=(24, 150 if plate else 40))
    found = reader.read(np.asarray(picture))
    # Clean rendered type at 16 px and up is what Tesseract reads best: a word of a line may slip (a serif "i",
    # a mono "l"), so one wrong word in a short poster's five is the limit; benchmarks/bench_ocr.py measures more.
    assert word_error_rate(" ".join(lines), ocr_text(found)) <= 0.2, ocr_text(found)
    assert all(line.confidence >= ocr.MIN_CONFIDENCE for line in found)
    x0, y0, x1, y1 = found[0].box
    assert 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 288  # boxes in the picture's own pixels


@pytest.mark.parametrize("kind", ["flat", "gradient", "noise", "photo"])
@pytest.mark.parametrize("size", [(512, 288), (1920, 1080)])
def test_pictures_without_text_give_no_words_in_under_50_ms(reader: ocr.OcrReader, kind: str,
                                                              size: tuple[int, int]) -> None:
    picture = np.asarray(background(kind, size, seed=3))
    reader.read(picture)  # warm: the first call of a thread makes its Tesseract instance
    started = time.perf_counter()
    for _ in range(3):
        assert reader.read(picture) == []
    assert (time.perf_counter() - started) / 3 < 0.05


def test_digits_alone_are_not_words(reader: ocr.OcrReader) -> None:
    """A burned-in timecode or frame counter is read, but kept out: it differs between copies of one video."""
    clock = draw_text(background("flat", (512, 288)), ["00:00:01  2322"], size=32, at=(24, 40))
    poster = draw_text(background("flat", (512, 288)), ["Open 24 hours"], size=32, at=(24, 40))
    assert reader.read(np.asarray(clock)) == []
    assert ocr_text(reader.read(np.asarray(poster))) == "Open 24 hours"


def test_the_presence_check_lets_a_small_caption_through() -> None:
    frame = draw_text(background("photo", (512, 288)), ["see you on the lawn"], size=14, colour=(255, 255, 255),
                      box=(0, 0, 0), at=(150, 250))
    assert may_hold_text(np.asarray(frame))
    assert not may_hold_text(np.asarray(background("photo", (512, 288))))


def test_a_texture_is_not_read_but_lines_and_a_caption_over_it_are(reader: ocr.OcrReader) -> None:
    """A sharp texture passes the cheap presence test (strokes and flat pixels side by side), and Tesseract spent
    about a second a frame on one to find nothing or junk; `is_texture` skips it. Lines of text, and a one-line
    caption over the texture itself, are still read."""
    cells = background("cells", (512, 288), seed=2)
    assert may_hold_text(np.asarray(cells))
    reader.read(np.asarray(cells))  # warm
    started = time.perf_counter()
    for _ in range(3):
        assert reader.read(np.asarray(cells)) == []
    assert (time.perf_counter() - started) / 3 < 0.25  # reading it took 0.9-1.5 s before
    grey, tile = np.asarray(cells.convert("L")), tile_pixels((288, 512))
    assert is_texture(grey, tile)
    assert not is_texture(grey[:4 * tile], tile)  # a region a line tall is always read

    poster = np.asarray(draw_text(background("flat", (512, 288)), ["One summer evening", "on the front lawn",
                                                                   "bring a chair"], size=28, at=(24, 30)))
    regions = text_regions(poster)
    assert regions and not any(is_texture(np.asarray(poster.mean(axis=2))[y0:y1, x0:x1], tile)
                               for x0, y0, x1, y1 in regions)
    captioned = draw_text(cells, ["see you on the lawn"], size=20, colour=(255, 255, 255), box=(0, 0, 0),
                          at=(120, 240))
    assert ocr_text(reader.read(np.asarray(captioned))) == "see you on the lawn"
    assert plate_lines(grey, tile) == []
    [(x0, y0, x1, y1)] = plate_lines(np.asarray(captioned.convert("L")), tile)
    assert x0 <= 120 and y0 <= 240 and x1 >= 300 and y1 >= 260  # the plate around the line, not the texture
    darker = np.asarray(cells).copy()
    darker[darker > 128] = 120  # no white in the texture: an outlined caption's white alone is its letters
    subtitled = draw_text(Image.fromarray(darker), ["see you on the lawn"], font="DejaVuSans-Bold.ttf", size=24,
                          colour=(255, 255, 255), at=(110, 236), outline=2)
    assert ocr_text(reader.read(np.asarray(subtitled))) == "see you on the lawn"


def test_a_caption_over_several_frames_is_kept_once_with_its_times(reader: ocr.OcrReader) -> None:
    plain = np.asarray(background("photo", (512, 288), seed=1))
    caption = np.asarray(draw_text(background("photo", (512, 288), seed=1), ["the dog ran away"], size=22,
                                   colour=(255, 255, 255), box=(0, 0, 0), at=(120, 230)))
    frames = [Frame(0.0, plain), Frame(2.0, caption), Frame(4.0, caption), Frame(6.0, plain), Frame(8.0, caption)]
    lines = read_frames(frames, reader)
    assert [normalize_words(line.text) for line in lines] == [["the", "dog", "ran", "away"]] * 2
    assert (lines[0].time, lines[0].end) == (2.0, 4.0)  # shown again after a gap: a second line
    assert (lines[1].time, lines[1].end) == (8.0, 8.0)
    chunks = line_chunks(lines, max_words=40)
    assert [(c.start, c.end) for c in chunks] == [(2.0, 4.0), (8.0, 8.0)]
    text = ocr_text(lines)
    assert all(text[c.char_start:c.char_end] == c.text for c in chunks)


def test_lines_of_one_frame_share_a_chunk_up_to_the_word_limit() -> None:
    lines = [ocr.OcrLine(f"word{i} word{i}b", 90.0, (0, 0, 1, 1), 1.0, 1.0) for i in range(5)]
    chunks = line_chunks(lines, max_words=4)
    assert [c.text for c in chunks] == ["word0 word0b word1 word1b", "word2 word2b word3 word3b", "word4 word4b"]
    assert line_chunks(None, max_words=4) == []


def test_a_line_survives_its_round_trip_through_the_artifact() -> None:
    line = ocr.OcrLine("Lawn party", 91.25, (3, 4, 50, 20), 1.5, 3.0)
    assert ocr.OcrLine.from_dict(line.to_dict()) == ocr.OcrLine("Lawn party", 91.2, (3, 4, 50, 20), 1.5, 3.0)


@pytest.fixture
def no_tessdata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(ocr, "tessdata_dir", lambda: None)
    ocr._load.cache_clear()
    yield
    ocr._load.cache_clear()


@pytest.mark.usefixtures("no_tessdata")
def test_missing_tesseract_data_fails_fast_naming_the_package(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(OcrUnavailable, match="apt install tesseract-ocr tesseract-ocr-eng"):
        ocr.reader()
    ocr._load.cache_clear()
    with caplog.at_level(logging.WARNING, logger="triage.media.ocr"):
        assert ocr.reader_or_none() is None
        assert ocr.reader_or_none() is None
    assert len([r for r in caplog.records if "tesseract-ocr-eng" in r.getMessage()]) == 1  # said once
