"""Words printed in a picture, read by Tesseract through tesserocr (the only module importing it).

tesserocr's wheel carries its own libtesseract; the language data comes from Debian's `tesseract-ocr-eng`
(/usr/share/tesseract-ocr/5/tessdata), or from TESSDATA_PREFIX. tesserocr runs in this process: about half the
time of pytesseract, which starts the `tesseract` program once per picture (170 ms against 350 ms for a
640x360 caption frame, measured here). Only the regions that the cheap test of `text_presence` points at are handed to
Tesseract: a picture without any costs a few milliseconds, and the busy scene around a caption does not confuse
Tesseract's page layout.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from triage.errors import OcrUnavailable
from triage.media.text_presence import is_texture, plate_lines, text_regions, tile_pixels

log = logging.getLogger(__name__)

APT_PACKAGES = "tesseract-ocr tesseract-ocr-eng"
LANGUAGE = "eng"
MIN_CONFIDENCE = 60.0  # Tesseract's 0-100 word confidence; below it, words on textures and faces are mostly noise
_MIN_SIDE = 1000  # smaller pictures are enlarged to this long side: Tesseract reads strokes a few pixels wide badly
_MAX_SIDE = 2400  # larger ones are shrunk: the words stay readable and the time stays bounded
_WHITE = 200  # grey level from which a pixel counts as a white caption's


@dataclass(frozen=True)
class OcrWord:
    text: str
    confidence: float  # 0-100
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the picture's pixels


@dataclass(frozen=True)
class OcrLine:
    """One line of printed words, at a time in the piece (0 for an image) until `end` (the last frame showing it)."""

    text: str
    confidence: float  # the mean of its words'
    box: tuple[int, int, int, int]
    time: float = 0.0
    end: float = 0.0
    words: tuple[OcrWord, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "confidence": round(self.confidence, 1), "box": list(self.box),
                "time": round(self.time, 3), "end": round(self.end, 3)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OcrLine:
        x0, y0, x1, y1 = (int(v) for v in data.get("box") or (0, 0, 0, 0))
        time = float(data.get("time") or 0.0)
        return cls(str(data["text"]), float(data.get("confidence") or 0.0), (x0, y0, x1, y1), time,
                   float(data.get("end") or time))


def tessdata_dir() -> Path | None:
    """Where Tesseract's English data lies: TESSDATA_PREFIX, else Debian's folders; None when it is nowhere."""
    candidates = [os.environ.get("TESSDATA_PREFIX", "")]
    candidates += sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True)
    candidates += ["/usr/share/tessdata", "/usr/local/share/tessdata"]
    for folder in candidates:
        if folder and (Path(folder) / f"{LANGUAGE}.traineddata").is_file():
            return Path(folder)
    return None


class OcrReader:
    """Reads the lines of printed text in RGB uint8 pictures. One Tesseract instance per thread (an instance is
    not thread-safe), each made on the thread's first picture."""

    def __init__(self, tessdata: Path, min_confidence: float = MIN_CONFIDENCE) -> None:
        import tesserocr  # here, so that a machine without it fails in `reader()` with a clear message

        self._tesserocr = tesserocr
        self.tessdata = tessdata
        self.min_confidence = min_confidence
        self.name = f"tesseract-{tesserocr.tesseract_version().split()[1]}/{LANGUAGE}"
        self._local = threading.local()

    def _api(self) -> Any:
        api = getattr(self._local, "api", None)
        if api is None:
            # One block per region: the regions are bands of text already, and Tesseract's own page layout
            # (PSM AUTO or SPARSE_TEXT) dropped captions on plates over busy frames that one block reads.
            api = self._tesserocr.PyTessBaseAPI(path=str(self.tessdata), lang=LANGUAGE,
                                                psm=self._tesserocr.PSM.SINGLE_BLOCK)
            self._local.api = api
        return api

    def read(self, rgb: np.ndarray, time: float = 0.0, *, check: bool = True) -> list[OcrLine]:
        """The confident lines of text in one picture, boxes in its own pixels. With `check`, only the regions the
        cheap text-presence test points at are read (none: [] at once); without it, the whole picture."""
        if rgb.ndim != 3 or min(rgb.shape[:2]) < 8:
            return []
        height, width = rgb.shape[:2]
        regions = text_regions(rgb) if check else [(0, 0, width, height)]
        side = max(height, width)
        scale = _MIN_SIDE / side if side < _MIN_SIDE else min(1.0, _MAX_SIDE / side)
        picture = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
        tile = tile_pixels(rgb.shape) if check else 0
        lines: list[OcrLine] = []
        for box in regions:
            grey = np.asarray(picture.crop(box).convert("L"))
            if tile and is_texture(grey, tile):
                lines += self._read_texture(picture, box, grey, scale, time, tile)
            else:
                lines += self._read_region(picture, box, scale, time, tile)
        return lines

    def _read_texture(self, picture: Image.Image, box: tuple[int, int, int, int], grey: np.ndarray, scale: float,
                      time: float, tile: int) -> list[OcrLine]:
        """A region that is a texture (`grey`: its grey levels): Tesseract would spend seconds on it to find nothing,
        so only the lines on plates inside it are read, and its white alone where that shows lines (a white
        caption over a darker texture)."""
        x0, y0 = box[0], box[1]
        plates = [(x0 + a, y0 + b, x0 + c, y0 + d) for a, b, c, d in plate_lines(grey, tile)]
        lines: list[OcrLine] = []
        for plate in plates:
            lines += self._read_region(picture, plate, scale, time, tile)
        white = np.where(grey >= _WHITE, 255, 0).astype(np.uint8)
        for a, b, c, d in plates:
            white[b - y0:d - y0, a - x0:c - x0] = 0
        for a, b, c, d in text_regions(np.repeat(white[..., None], 3, axis=2)):
            lines += self._read_region(picture, (x0 + a, y0 + b, x0 + c, y0 + d), scale, time, tile, plain=False,
                                       hide=plates)
        return lines

    def _read_region(self, picture: Image.Image, box: tuple[int, int, int, int], scale: float, time: float,
                     tile: int, *, plain: bool = True, hide: Sequence[tuple[int, int, int, int]] = ()) -> list[OcrLine]:
        """Read one region twice: as it is (unless not `plain`), and with only its white kept (white letters
        outlined in black over a busy scene, as subtitles are, read badly as they are); the reading with more
        confident letters wins. The white reading is skipped where the white alone is a texture (`tile` 0: never
        skipped). `hide`: boxes of the picture already read, blacked out first."""
        crop = picture.crop(box)
        if hide:
            draw = ImageDraw.Draw(crop)
            for x0, y0, x1, y1 in hide:
                draw.rectangle((x0 - box[0], y0 - box[1], x1 - box[0] - 1, y1 - box[1] - 1), fill=(0, 0, 0))
        white_ink = np.asarray(crop.convert("L")) >= _WHITE
        if scale != 1.0:
            crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                               Image.Resampling.LANCZOS)
        origin = (box[0], box[1])
        as_is = self._recognise(crop, scale, origin, time) if plain else []
        if tile and is_texture(white_ink.astype(np.uint8) * 255, tile):
            return as_is
        white = self._recognise(_white_only(crop), scale, origin, time)
        return as_is if _letters(as_is) >= _letters(white) else white

    def _recognise(self, image: Image.Image, scale: float, origin: tuple[int, int], time: float) -> list[OcrLine]:
        api = self._api()
        api.SetImage(image)
        api.Recognize()
        return self._lines(api, scale, origin, time)

    def _lines(self, api: Any, scale: float, origin: tuple[int, int], time: float) -> list[OcrLine]:
        level = self._tesserocr.RIL
        lines: list[list[OcrWord]] = []
        iterator = api.GetIterator()
        if iterator is None:
            return []
        for word in self._tesserocr.iterate_level(iterator, level.WORD):
            if word.IsAtBeginningOf(level.TEXTLINE) or not lines:
                lines.append([])
            try:
                text = (word.GetUTF8Text(level.WORD) or "").strip()
            except RuntimeError:  # tesserocr's way of saying the word is empty
                continue
            box = word.BoundingBox(level.WORD)
            if not text or box is None:
                continue
            confidence = float(word.Confidence(level.WORD))
            if confidence >= self.min_confidence and any(c.isalnum() for c in text):
                x0, y0, x1, y1 = (round(v / scale) for v in box)
                dx, dy = origin
                lines[-1].append(OcrWord(text, confidence, (x0 + dx, y0 + dy, x1 + dx, y1 + dy)))
        return [_line(words, time) for words in lines if _readable(words)]


def _white_only(image: Image.Image) -> Image.Image:
    """Near-white pixels as black on white, the rest white: what a white caption leaves once its outline and the
    scene behind it are gone (Tesseract's own thresholding splits such a crop by the scene's brightness)."""
    grey = np.asarray(image.convert("L"))
    return Image.fromarray(np.where(grey >= _WHITE, 0, 255).astype(np.uint8))


def _letters(lines: list[OcrLine]) -> int:
    return sum(sum(c.isalnum() for c in line.text) for line in lines)


def _readable(words: list[OcrWord]) -> bool:
    """A line worth keeping: at least three letters, so neither a stray letter or two (strokes of a texture read as
    'I l') nor digits alone: a frame counter, a clock or a timecode burned into a video says nothing of what the
    piece says, and differs between copies of one video cut at other moments."""
    return sum(sum(c.isalpha() for c in w.text) for w in words) >= 3


def _line(words: list[OcrWord], time: float) -> OcrLine:
    box = (min(w.box[0] for w in words), min(w.box[1] for w in words), max(w.box[2] for w in words),
           max(w.box[3] for w in words))
    return OcrLine(" ".join(w.text for w in words), sum(w.confidence for w in words) / len(words), box, time, time,
                   tuple(words))


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> OcrReader | OcrUnavailable:
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return OcrUnavailable("cannot read text in pictures: the Python package tesserocr is missing "
                              "(pip install tesserocr, or reinstall triage)")
    tessdata = tessdata_dir()
    if tessdata is None:
        return OcrUnavailable(f"cannot read text in pictures: Tesseract's English data is missing; install Debian's "
                              f"{APT_PACKAGES.split()[1]} (apt install {APT_PACKAGES}) or set TESSDATA_PREFIX")
    return OcrReader(tessdata)


def reader_or_none() -> OcrReader | None:
    """The reader, or None when it cannot be made: then the reason is logged once per process, and pictures keep
    no words (ingest goes on)."""
    with _lock:
        first = _load.cache_info().currsize == 0
        found = _load()
    if isinstance(found, OcrUnavailable):
        if first:
            log.warning("%s; pictures are ingested without their words", found)
        return None
    return found


def reader() -> OcrReader:
    """The process's OCR reader (made once). Raises OcrUnavailable, naming what to install, when it cannot be made."""
    with _lock:
        found = _load()
    if isinstance(found, OcrUnavailable):
        raise found
    return found
