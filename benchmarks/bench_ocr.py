"""Text in pictures (issue 19): word error rate of the words triage reads from rendered posters and from video
keyframes with burned-in captions, and the time per picture with text and without.

Usage: python benchmarks/bench_ocr.py [--count 40] [--seed 0] [--json FILE]

The generator draws, with the DejaVu fonts of Debian's fonts-dejavu-core:
- posters: 2-4 lines of 2-5 common words, 800x600, in one of five faces at 22-48 px, dark on a light flat or
  gradient background or light on a dark one;
- keyframes: 512x288 (the size triage decodes frames at), a soft "scene" (blurred muted blobs) with a caption of
  3-7 words at the bottom, 14-24 px, white on a black plate or white with a black outline (subtitle style);
- pictures without text: flat, gradient, soft scene and grain at 512x288 and 1280x720;
- the same captions over a sharp texture (coloured cells 1-3 px wide, as cellular patterns, gravel or leaves are),
  and that texture alone at both sizes (drawn after the others, so a seed's other pictures stay as they were).
Each picture is read twice: the way ingest reads it (`OcrReader.read`: the cheap text-presence check, then Tesseract
on the regions it found), and whole, without the check (Tesseract's own layout), for comparison.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from triage.media.ocr import reader
from triage.media.ocr_frames import ocr_text
from triage.textnorm import edit_distance, normalize_words

FONTS = Path("/usr/share/fonts/truetype/dejavu")
FACES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono.ttf"]
WORDS = str.split("""garden river lawn summer party music dance night morning kitchen table window garden story song
paper yellow orange purple silver golden little quiet broken happy early later under over across between village
market bakery station festival winter autumn spring harbour bridge mountain forest meadow picnic kettle
sandwich blanket lantern ticket friday saturday sunday evening welcome everyone bring your own chair free entry
open studio community radio film show voices stories hands paint light shadow water stone street corner
dog fox cat bird horse rabbit neighbour family children parents grandmother letter poem chorus band drums
guitar piano record tape camera screen stage curtain crowd""")


def background(kind: str, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    w, h = size
    if kind == "light":
        return Image.new("RGB", size, tuple(int(v) for v in rng.integers(215, 250, 3)))
    if kind == "dark":
        return Image.new("RGB", size, tuple(int(v) for v in rng.integers(10, 60, 3)))
    if kind == "gradient":
        a, b = rng.integers(150, 256, 3), rng.integers(190, 256, 3)
        ramp = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
        return Image.fromarray((a + (b - a) * ramp * np.ones((h, 1, 1), np.float32)).astype(np.uint8))
    if kind == "scene":  # an out-of-focus scene: muted blobs, soft edges
        blobs = rng.integers(0, 256, (max(2, h // 32), max(2, w // 32), 3)).astype(np.float32)
        muted = (0.6 * blobs + 0.4 * blobs.mean(axis=2, keepdims=True)).astype(np.uint8)
        return Image.fromarray(muted).resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(8))
    if kind == "cells":  # a sharp texture: two colours in cells 1-3 px wide, a third to a half of them lit
        cell, lit = int(rng.integers(1, 4)), float(rng.uniform(0.3, 0.5))
        grid = rng.random((-(-h // cell), -(-w // cell))) < lit
        dark, light = rng.integers(0, 110, 3), rng.integers(150, 256, 3)
        cells = np.where(grid[..., None], light, dark).astype(np.uint8)
        return Image.fromarray(cells.repeat(cell, axis=0).repeat(cell, axis=1)[:h, :w])
    if kind == "grain":
        base = np.asarray(background("scene", size, rng), dtype=np.int16)
        return Image.fromarray(np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8))
    raise ValueError(kind)


def phrase(rng: np.random.Generator, lo: int, hi: int, font: ImageFont.FreeTypeFont, width: int) -> str:
    """lo-hi random words, fewer where they would not fit `width` pixels (the truth is only what is visible)."""
    words = [str(w) for w in rng.choice(WORDS, int(rng.integers(lo, hi + 1)))]
    while len(words) > 1 and font.getlength(" ".join(words)) > width:
        words.pop()
    return " ".join(words)


def poster(rng: np.random.Generator) -> tuple[np.ndarray, str, str]:
    kind = str(rng.choice(["light", "gradient", "dark"]))
    face, size = str(rng.choice(FACES)), int(rng.choice([22, 28, 36, 48]))
    picture = background(kind, (800, 600), rng)
    draw, font = ImageDraw.Draw(picture), ImageFont.truetype(str(FONTS / face), size)
    colour = (240, 240, 235) if kind == "dark" else (25, 25, 30)
    lines = [phrase(rng, 2, 5, font, 800 - 100) for _ in range(int(rng.integers(2, 5)))]
    y = int(rng.integers(30, 120))
    for line in lines:
        draw.text((int(rng.integers(30, 80)), y), line, font=font, fill=colour)
        y += int(size * 1.6)
    return np.asarray(picture), "\n".join(lines), f"poster {kind} {face} {size}px"


def keyframe(rng: np.random.Generator, scene: str = "scene") -> tuple[np.ndarray, str, str]:
    style = str(rng.choice(["plate", "outline"]))
    face, size = str(rng.choice(FACES)), int(rng.choice([14, 16, 18, 20, 24]))
    picture = background(scene, (512, 288), rng)
    draw, font = ImageDraw.Draw(picture), ImageFont.truetype(str(FONTS / face), size)
    caption = phrase(rng, 3, 7, font, 512 - 24)
    left, top, right, bottom = draw.textbbox((0, 0), caption, font=font)
    x, y = max(4, (512 - (right - left)) // 2), 288 - int(size * 2.2)
    if style == "plate":
        draw.rectangle((x - 6, y + top - 4, x + right + 6, y + bottom + 4), fill=(0, 0, 0))
        draw.text((x, y), caption, font=font, fill=(255, 255, 255))
    else:
        draw.text((x, y), caption, font=font, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
    kind = "keyframe" if scene == "scene" else f"keyframe-on-{scene}"
    return np.asarray(picture), caption, f"{kind} {style} {face} {size}px"


def blank(rng: np.random.Generator, i: int) -> tuple[np.ndarray, str, str]:
    kind = ["light", "gradient", "scene", "grain"][i % 4]
    size = (512, 288) if i % 8 < 4 else (1280, 720)
    return np.asarray(background(kind, size, rng)), "", f"no text {kind} {size[0]}x{size[1]}"


def texture(rng: np.random.Generator, i: int) -> tuple[np.ndarray, str, str]:
    size = (512, 288) if i % 2 else (1280, 720)
    return np.asarray(background("cells", size, rng)), "", f"no text cells {size[0]}x{size[1]}"


def _time_key(truth: str, label: str) -> str:
    if truth:
        return label.split(" ")[0]
    return "texture" if " cells " in label else "no text"


def _grouped(rows: list[tuple[float, str, str, str]], key: Callable[[str], str]) -> dict[str, float]:
    """Word-weighted WER of the pictures whose label maps to each key."""
    totals: dict[str, list[float]] = {}
    for rate, label, truth, _ in rows:
        n = len(normalize_words(truth))
        pair = totals.setdefault(key(label), [0.0, 0.0])
        pair[0], pair[1] = pair[0] + rate * n, pair[1] + n
    return {k: round(e / n, 3) for k, (e, n) in sorted(totals.items())}


def measure(pictures: list[tuple[np.ndarray, str, str]], check: bool) -> dict[str, object]:
    ocr = reader()
    ocr.read(pictures[0][0], check=check)  # the thread's Tesseract instance made outside the clock
    errors = ref_words = false_words = 0
    false_on: dict[str, int] = {}
    ms: dict[str, list[float]] = {}
    worst: list[tuple[float, str, str, str]] = []
    for rgb, truth, label in pictures:
        started = time.perf_counter()
        found = ocr_text(ocr.read(rgb, check=check))
        ms.setdefault(_time_key(truth, label), []).append((time.perf_counter() - started) * 1000)
        ref, hyp = normalize_words(truth), normalize_words(found)
        if truth:
            wrong = edit_distance(ref, hyp)
            errors, ref_words = errors + wrong, ref_words + len(ref)
            worst.append((wrong / len(ref), label, truth.replace("\n", " / "), found.replace("\n", " / ")))
        else:
            false_words += len(hyp)
            false_on[_time_key(truth, label)] = false_on.get(_time_key(truth, label), 0) + len(hyp)
    return {
        "check": check, "wer": round(errors / max(1, ref_words), 4),
        # word-weighted WER by kind and background or caption style, and by kind and type size
        "wer_by_style": _grouped(worst, lambda label: " ".join(label.split()[:2])),
        "wer_by_size": _grouped(worst, lambda label: f"{label.split()[0]} {label.split()[-1]}"),
        "words": ref_words, "false_words_without_text": false_words, "false_words_by_kind": false_on,
        "ms": {k: {"mean": round(statistics.mean(v), 1), "p95": round(float(np.percentile(v, 95)), 1),
                   "max": round(max(v), 1)} for k, v in ms.items() if v},
        "worst": [{"wer": round(w, 2), "picture": lab, "truth": t, "read": f} for w, lab, t, f in sorted(worst)[-5:]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=40, help="pictures of each kind: posters, keyframes, "
                        "pictures without text, keyframes on a texture, textures")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--ingest-only", action="store_true", help="skip the whole-picture reading (the slow one)")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    pictures = ([poster(rng) for _ in range(args.count)] + [keyframe(rng) for _ in range(args.count)]
                + [blank(rng, i) for i in range(args.count)])
    pictures += [keyframe(rng, "cells") for _ in range(args.count)] + [texture(rng, i) for i in range(args.count)]
    print(f"reader: {reader().name}; {len(pictures)} pictures")
    results = [measure(pictures, check=True)] + ([] if args.ingest_only else [measure(pictures, check=False)])
    for r in results:
        print(json.dumps(r, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
