"""Drawing cards with Pillow: a piece's title card, a section's title and the end credits, word-wrapped to fit."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from triage.errors import ConfigError
from triage.programmes.plan import CreditLine, RenderSettings

DEFAULT_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BACKGROUND = (16, 18, 24)
INK = (240, 240, 240)
DIM = (170, 175, 185)
MARGIN = 0.08  # of the frame's width and height, kept clear on every side (safe area on any screen)
LINE = 1.3  # line height, in font sizes

Font = ImageFont.FreeTypeFont


def font_path(settings: RenderSettings) -> Path:
    """The card font: the settings' own where given and present, else DejaVu Sans; ConfigError if neither exists."""
    for candidate in (settings.font, DEFAULT_FONT):
        if candidate is not None and Path(candidate).is_file():
            return Path(candidate)
    named = f"{settings.font} nor " if settings.font else ""
    raise ConfigError(f"no font for cards: neither {named}{DEFAULT_FONT} exists; install fonts-dejavu-core or set "
                      "the render's font to a TrueType file")


def _font(path: Path, size: int) -> Font:
    return ImageFont.truetype(str(path), max(6, size))


def wrap(text: str, font: Font, max_width: float) -> list[str]:
    """Break `text` into lines no wider than `max_width` pixels; a word wider than that alone is cut by characters."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            while font.getlength(word) > max_width and len(word) > 1:  # a long URL, say: split it
                cut = max(1, next((i for i in range(len(word), 0, -1) if font.getlength(word[:i]) <= max_width), 1))
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:cut])
                word = word[cut:]
            trial = f"{line} {word}".strip()
            if font.getlength(trial) <= max_width:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def fit(text: str, path: Path, width: float, height: float, start: int, smallest: int) -> tuple[Font, list[str]]:
    """The largest font from `start` down to `smallest` at which `text` wraps into the box; at the smallest size,
    lines that still do not fit are dropped and the last one ends with an ellipsis."""
    size = start
    while True:
        font = _font(path, size)
        lines = wrap(text, font, width)
        room = max(1, int(height // (size * LINE)))
        if len(lines) <= room:
            return font, lines
        if size <= smallest:
            kept = lines[:room]
            while kept and font.getlength(kept[-1] + " …") > width:
                kept[-1] = kept[-1].rsplit(" ", 1)[0] if " " in kept[-1] else kept[-1][:-1]
            kept[-1] = kept[-1] + " …"
            return font, kept
        size = max(smallest, int(size * 0.9))


def _canvas(settings: RenderSettings) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (settings.width, settings.height), BACKGROUND)
    return image, ImageDraw.Draw(image)


def piece_card(settings: RenderSettings, title: str, contributor: str, words: str) -> Image.Image:
    """A sound or text piece's card: its title and contributor at the top, its words below, shrunk to fit."""
    image, draw = _canvas(settings)
    path, w, h = font_path(settings), settings.width, settings.height
    left, top, inner_w = int(w * MARGIN), int(h * MARGIN), w * (1 - 2 * MARGIN)
    title_font, title_lines = fit(title or "Untitled", path, inner_w, h * 0.2, int(h / 12), int(h / 24))
    y = float(top)
    for line in title_lines:
        draw.text((left, y), line, font=title_font, fill=INK)
        y += title_font.size * LINE
    if contributor:
        by = _font(path, int(h / 24))
        draw.text((left, y), wrap(contributor, by, inner_w)[0], font=by, fill=DIM)
        y += by.size * LINE
    y += h * 0.03
    if words.strip():
        body, lines = fit(words, path, inner_w, h * (1 - MARGIN) - y, int(h / 20), max(8, int(h / 60)))
        for line in lines:
            draw.text((left, y), line, font=body, fill=INK)
            y += body.size * LINE
    return image


def section_card(settings: RenderSettings, heading: str) -> Image.Image:
    """A section's title, large and centred."""
    image, draw = _canvas(settings)
    w, h = settings.width, settings.height
    font, lines = fit(heading, font_path(settings), w * (1 - 2 * MARGIN), h * (1 - 2 * MARGIN), int(h / 8),
                      int(h / 24))
    step = font.size * LINE
    y = (h - step * len(lines)) / 2
    for line in lines:
        draw.text(((w - font.getlength(line)) / 2, y), line, font=font, fill=INK)
        y += step
    return image


def credit_text(line: CreditLine) -> str:
    """One credit: the name, the role where it is not the usual, and the share as a percentage."""
    role = f" ({line.role})" if line.role != "contributor" else ""
    return f"{line.name}{role} · {line.share * 100:.0f}%"


def credits_cards(settings: RenderSettings, credits: tuple[CreditLine, ...], heading: str = "Credits"
                  ) -> list[Image.Image]:
    """The end credits, as many cards as they need at a readable size (one card saying so when there are none)."""
    path, w, h = font_path(settings), settings.width, settings.height
    head, body = _font(path, int(h / 12)), _font(path, int(h / 22))
    inner_w = w * (1 - 2 * MARGIN)
    top = h * MARGIN + head.size * LINE * 1.5
    per_card = max(1, int((h * (1 - MARGIN) - top) // (body.size * LINE)))
    rows = [row for credit in credits for row in wrap(credit_text(credit), body, inner_w)] or ["No credits"]
    pages = [rows[i:i + per_card] for i in range(0, len(rows), per_card)]
    out = []
    for number, page in enumerate(pages, 1):
        image, draw = _canvas(settings)
        title = heading if len(pages) == 1 else f"{heading} ({number} of {len(pages)})"
        draw.text(((w - head.getlength(title)) / 2, h * MARGIN), title, font=head, fill=INK)
        y = top
        for row in page:
            draw.text(((w - body.getlength(row)) / 2, y), row, font=body, fill=INK)
            y += body.size * LINE
        out.append(image)
    return out
