"""Pictures with known printed words, drawn at test time with the DejaVu fonts (Debian's fonts-dejavu-core)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = Path("/usr/share/fonts/truetype/dejavu")


def background(kind: str, size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A picture without text: "flat", "gradient", "noise" (grain), "photo" (soft blobs, like an out-of-focus
    scene), or "cells" (a sharp texture of 2 px cells on and off, like a cellular pattern or gravel)."""
    w, h = size
    rng = np.random.default_rng(seed)
    if kind == "flat":
        return Image.new("RGB", size, (236, 232, 220))
    if kind == "gradient":
        ramp = np.linspace(40, 220, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 3), np.float32)
        return Image.fromarray((ramp * np.array([1.0, 0.8, 0.6], np.float32)).astype(np.uint8))
    if kind == "noise":
        return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    if kind == "cells":
        grid = rng.random((-(-h // 2), -(-w // 2))) < 0.4
        cells = np.where(grid[..., None], np.uint8(235), np.uint8(30)).repeat(2, axis=0).repeat(2, axis=1)
        return Image.fromarray(np.repeat(cells[:h, :w], 3, axis=2))
    if kind == "photo":  # muted colours, soft edges
        blobs = rng.integers(0, 256, (max(2, h // 32), max(2, w // 32), 3)).astype(np.float32)
        muted = (0.6 * blobs + 0.4 * blobs.mean(axis=2, keepdims=True)).astype(np.uint8)
        return Image.fromarray(muted).resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(8))
    raise ValueError(kind)


def draw_text(image: Image.Image, lines: list[str], *, font: str = "DejaVuSans.ttf", size: int = 24,
              colour: tuple[int, int, int] = (20, 20, 20), box: tuple[int, int, int] | None = None,
              at: tuple[int, int] = (20, 20), outline: int = 0) -> Image.Image:
    """`lines` drawn one under the other from `at`; `box` paints a plate of that colour behind them (a caption);
    `outline` draws each letter with a black outline that many pixels wide (a subtitle)."""
    out = image.copy()
    draw = ImageDraw.Draw(out)
    face = ImageFont.truetype(str(FONTS / font), size)
    x, y = at
    for line in lines:
        left, top, right, bottom = draw.textbbox((x, y), line, font=face)
        if box is not None:
            draw.rectangle((left - 6, top - 4, right + 6, bottom + 4), fill=box)
        draw.text((x, y), line, font=face, fill=colour, stroke_width=outline, stroke_fill=(0, 0, 0))
        y += int(size * 1.5)
    return out
