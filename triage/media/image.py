"""Still images: size checked from the header first, then decoded with Pillow, EXIF orientation applied."""

from __future__ import annotations

import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from triage.domain import MediaLimits, MediaType, Probe
from triage.errors import InvalidSubmission, TooLarge
from triage.media.frames import MAX_FRAME_SIDE
from triage.media.image_header import header_size
from triage.media.limits import check_picture
from triage.media.sniff import Sniffed

_MIME = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
         "bmp": "image/bmp", "tiff": "image/tiff"}
_SWAPPED_ORIENTATIONS = {5, 6, 7, 8}  # EXIF orientations that turn the picture by 90 degrees


@contextmanager
def _open(path: Path, pillow_format: str | None) -> Iterator[Image.Image]:
    """Open with only the plugin matching the sniffed content; Pillow errors become InvalidSubmission."""
    formats = [pillow_format] if pillow_format else None
    try:
        with warnings.catch_warnings():
            # our own pixel limit has already been applied; Pillow's warning would only repeat it
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=formats) as img:
                yield img
    except Image.DecompressionBombError as exc:
        raise TooLarge(f"the image is too large to decode safely: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error) as exc:
        # Pillow's plugins index past the end of truncated data (GIF frame counting raises IndexError).
        reason = str(exc).replace(f" '{path}'", "").replace(str(path), "the file")  # no server paths in messages
        raise InvalidSubmission(f"corrupt or truncated {pillow_format or 'image'} image: "
                                f"{reason or type(exc).__name__}") from exc


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block must not reject an otherwise good picture
        return 1


def _load_small(img: Image.Image) -> Image.Image:
    """Decode the first frame, letting JPEG decode at a reduced scale when the result will be shrunk."""
    img.seek(0)
    if img.format == "JPEG":
        img.draft("RGB", (MAX_FRAME_SIDE, MAX_FRAME_SIDE))
    img.load()
    return img


def probe_image(path: Path, sniffed: Sniffed, limits: MediaLimits) -> Probe:
    """Probe an image: header dimensions are checked before Pillow decodes anything."""
    with path.open("rb") as f:
        claimed = header_size(f, sniffed.format_name)
    if claimed is not None:
        check_picture(*claimed, limits)
    with _open(path, sniffed.pillow_format) as img:
        width, height = img.size
        check_picture(width, height, limits)
        notes: list[str] = []
        frames = getattr(img, "n_frames", 1)
        if frames > 1:
            notes.append(f"animated image with {frames} frames: only the first frame is used")
        orientation = _orientation(img)
        if orientation in _SWAPPED_ORIENTATIONS:
            width, height = height, width
        _load_small(img)  # proves the pixel data is complete, not just the header
    return Probe(
        media_type=MediaType.IMAGE,
        format_name=sniffed.format_name,
        mime=_MIME.get(sniffed.format_name, f"image/{sniffed.format_name}"),
        width=width,
        height=height,
        notes=tuple(notes),
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # transparent areas become white, as a viewer would show them, not black
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def decode_image(path: Path, probe: Probe, max_side: int = MAX_FRAME_SIDE) -> np.ndarray:
    """The picture as displayed (EXIF orientation applied), RGB uint8, long side at most max_side."""
    fmt = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF"}
    with _open(path, fmt.get(probe.format_name)) as img:
        _load_small(img)
        upright = ImageOps.exif_transpose(img) or img
        rgb = _to_rgb(upright)
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return np.asarray(rgb, dtype=np.uint8).copy()
