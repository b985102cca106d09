"""Image dimensions read straight from file headers, before any decoder allocates a pixel.

A decompression bomb is a tiny file whose header claims an enormous picture; reading the claim
ourselves means no library ever gets the chance to allocate for it.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from triage.errors import InvalidSubmission

_JPEG_SCAN_LIMIT = 1 << 20  # EXIF and ICC segments can precede the frame header; never scan further
# Start-of-frame markers carry the size; C4 (Huffman tables), C8 (reserved) and CC (arithmetic) do not.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _read(f: BinaryIO, offset: int, size: int) -> bytes:
    f.seek(offset)
    data = f.read(size)
    if len(data) < size:
        raise InvalidSubmission("the image is truncated: its header ends early")
    return data


def _png(f: BinaryIO) -> tuple[int, int]:
    if _read(f, 12, 4) != b"IHDR":
        raise InvalidSubmission("corrupt PNG: the IHDR header is missing")
    width, height = struct.unpack(">II", _read(f, 16, 8))
    return width, height


def _gif(f: BinaryIO) -> tuple[int, int]:
    width, height = struct.unpack("<HH", _read(f, 6, 4))
    return width, height


def _bmp(f: BinaryIO) -> tuple[int, int]:
    (dib_size,) = struct.unpack("<I", _read(f, 14, 4))
    if dib_size == 12:
        width, height = struct.unpack("<HH", _read(f, 18, 4))
        return width, height
    width, height = struct.unpack("<ii", _read(f, 18, 8))
    return abs(width), abs(height)  # a negative height means top-down rows


def _webp(f: BinaryIO) -> tuple[int, int]:
    chunk = _read(f, 12, 4)
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", _read(f, 26, 4))
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        (bits,) = struct.unpack("<I", _read(f, 21, 4))
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        raw = _read(f, 24, 6)
        return int.from_bytes(raw[:3], "little") + 1, int.from_bytes(raw[3:], "little") + 1
    raise InvalidSubmission("corrupt WebP: unknown image chunk")


def _jpeg(f: BinaryIO) -> tuple[int, int]:
    offset = 2
    while offset < _JPEG_SCAN_LIMIT:
        marker = _read(f, offset, 2)
        if marker[0] != 0xFF:
            raise InvalidSubmission("corrupt JPEG: the header structure is broken")
        kind = marker[1]
        if kind == 0xFF:  # fill byte before a marker
            offset += 1
            continue
        if kind in (0x01, *range(0xD0, 0xD8)):  # markers without a length field
            offset += 2
            continue
        (length,) = struct.unpack(">H", _read(f, offset + 2, 2))
        if kind in _JPEG_SOF:
            height, width = struct.unpack(">HH", _read(f, offset + 5, 4))
            return width, height
        if kind == 0xDA or length < 2:  # image data started without a frame header
            break
        offset += 2 + length
    raise InvalidSubmission("corrupt JPEG: no frame header with the image size was found")


_READERS = {"png": _png, "gif": _gif, "bmp": _bmp, "webp": _webp, "jpeg": _jpeg}


def header_size(f: BinaryIO, format_name: str) -> tuple[int, int] | None:
    """(width, height) claimed by the header of an image in format_name, or None for formats not read here."""
    reader = _READERS.get(format_name)
    return reader(f) if reader is not None else None
