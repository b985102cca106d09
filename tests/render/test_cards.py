"""Cards drawn with Pillow: text wrapped inside the frame, long text in a smaller font, credits over several cards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from triage.errors import ConfigError
from triage.programmes.plan import CreditLine, RenderSettings
from triage.render import cards

SETTINGS = RenderSettings(width=320, height=180)


def _inked_box(image) -> tuple[int, int, int, int]:
    """The bounding box (left, top, right, bottom) of every pixel that is not the background."""
    pixels = np.asarray(image).astype(int)
    ink = np.abs(pixels - np.array(cards.BACKGROUND)).sum(axis=2) > 30
    rows, cols = np.nonzero(ink)
    return int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max())


def test_wrap_keeps_every_line_inside_the_width() -> None:
    font = cards._font(cards.font_path(SETTINGS), 14)
    text = "a sentence of ordinary words " * 20 + "https://example.org/" + "x" * 200
    lines = cards.wrap(text, font, 200)
    assert len(lines) > 5
    assert all(font.getlength(line) <= 200 for line in lines)
    assert " ".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost, only broken


def test_card_text_stays_inside_the_frame() -> None:
    image = cards.piece_card(SETTINGS, "A rather long title for a small card indeed", "Someone",
                             "words that go on " * 300)
    assert image.size == (SETTINGS.width, SETTINGS.height)
    left, top, right, bottom = _inked_box(image)
    assert left >= 0.05 * SETTINGS.width and right <= 0.95 * SETTINGS.width
    assert top >= 0.05 * SETTINGS.height and bottom <= 0.95 * SETTINGS.height


def test_long_text_gets_a_smaller_font() -> None:
    path = cards.font_path(SETTINGS)
    short_font, short_lines = cards.fit("a few words", path, 250, 120, 20, 6)
    long_font, long_lines = cards.fit("many many words " * 40, path, 250, 120, 20, 6)
    assert short_font.size == 20 and len(short_lines) == 1
    assert long_font.size < short_font.size
    assert len(long_lines) * long_font.size * cards.LINE <= 120


def test_text_too_long_even_when_small_ends_with_an_ellipsis() -> None:
    font, lines = cards.fit("word " * 5000, cards.font_path(SETTINGS), 250, 120, 20, 8)
    assert font.size == 8 and lines[-1].endswith("…")


def test_credits_spread_over_several_cards() -> None:
    people = tuple(CreditLine(f"Person {i}", 1 / 30, ("x",), "builds on" if i == 3 else "contributor")
                   for i in range(30))
    pages = cards.credits_cards(SETTINGS, people)
    assert len(pages) > 1
    assert "(builds on)" in cards.credit_text(people[3]) and "3%" in cards.credit_text(people[3])
    assert "contributor" not in cards.credit_text(people[0])
    for page in pages:
        left, top, right, bottom = _inked_box(page)
        assert bottom <= SETTINGS.height * 0.95


def test_missing_font_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = RenderSettings(font=tmp_path / "nope.ttf")
    assert cards.font_path(missing) == cards.DEFAULT_FONT  # falls back where DejaVu is installed
    monkeypatch.setattr(cards, "DEFAULT_FONT", tmp_path / "also-missing.ttf")
    with pytest.raises(ConfigError, match="font"):
        cards.font_path(missing)
