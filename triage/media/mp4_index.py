"""How many index entries an MP4/QuickTime file makes FFmpeg build, read from its boxes before FFmpeg opens it.

FFmpeg's MP4 reader allocates an index entry for every sample a track declares, before a frame is read: a 3 KB
file whose sample-size box declares 80 million samples of one constant size took 1 GB while opening. A box that
declares a count costs a few bytes whatever the count, so the counts are read here first (headers and the small
index boxes only, never the media data) and a file declaring far more samples than any real one is refused.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from triage.errors import InvalidSubmission, TooLarge

_TOP_BOXES = 1_000_000  # a fragmented file of 15 minutes has a few thousand; each costs a seek here
_MAX_INDEX_BOX = 64 * 1024**2  # moov or moof bytes read into memory (a 15-minute video's moov is a few MB)
SAMPLES_PER_SECOND = 1000  # more than any real track: 240 fps video, AAC at 96 kHz is 94 packets a second
MIN_SAMPLES = 1_000_000


def check_index(path: Path, max_duration_s: float) -> None:
    """Raise TooLarge when the file's tracks declare more samples than `max_duration_s` of any real media holds."""
    allowed = max(MIN_SAMPLES, int(SAMPLES_PER_SECOND * max_duration_s))
    total = index_entries(path)
    if total > allowed:
        raise TooLarge(f"the file's index declares {total:,} samples, more than the {allowed:,} allowed for media "
                       f"of up to {max_duration_s:,.0f} s; it may be crafted to exhaust memory")


def index_entries(path: Path) -> int:
    """The index entries FFmpeg would build for the file: each track's samples, except uncompressed audio stored
    with one duration for all samples, which FFmpeg indexes by chunk; plus the samples of every fragment."""
    total = 0
    with open(path, "rb") as f:
        for count, (kind, start, size) in enumerate(_boxes(f, 0, path.stat().st_size)):
            if count >= _TOP_BOXES:
                raise InvalidSubmission(f"the file has more than {_TOP_BOXES:,} top-level boxes")
            if kind in (b"moov", b"moof"):
                if size > _MAX_INDEX_BOX:
                    raise TooLarge(f"the file's index ({kind.decode()} box) is {size:,} bytes")
                f.seek(start)
                total += _entries(f.read(size), kind)
    return total


def _entries(body: bytes, kind: bytes) -> int:
    if kind == b"moof":
        return sum(_u32(run, 4) for run in _find(body, (b"traf", b"trun")))
    total = 0
    for trak in _find(body, (b"trak",)):
        handler = next(iter(_find(trak, (b"mdia", b"hdlr"))), b"")
        stbl = next(iter(_find(trak, (b"mdia", b"minf", b"stbl"))), b"")
        samples = sum(_u32(box, 8) for box in [*_find(stbl, (b"stsz",)), *_find(stbl, (b"stz2",))])
        stts = next(iter(_find(stbl, (b"stts",))), b"")
        by_chunk = handler[8:12] == b"soun" and _u32(stts, 4) == 1 and _u32(stts, 12) == 1
        chunks = sum(_u32(box, 4) for box in [*_find(stbl, (b"stco",)), *_find(stbl, (b"co64",))])
        total += chunks if by_chunk else samples
    return total


def _find(body: bytes, path: tuple[bytes, ...]) -> Iterator[bytes]:
    """The bodies of the boxes at `path` below `body` (every match at each level)."""
    for kind, start, size in _boxes_in(body):
        if kind == path[0]:
            inner = body[start:start + size]
            if len(path) == 1:
                yield inner
            else:
                yield from _find(inner, path[1:])


def _boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(kind, body start, body size) of each box in f between start and end, by seeking from header to header."""
    at = start
    while at + 8 <= end:
        f.seek(at)
        found = _header(f.read(16), end - at)
        if found is None:
            return
        kind, body, size = found
        yield kind, at + body, size - body
        at += size


def _boxes_in(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    at = 0
    while at + 8 <= len(data):
        found = _header(data[at:at + 16], len(data) - at)
        if found is None:
            return
        kind, body, size = found
        yield kind, at + body, size - body
        at += size


def _header(head: bytes, room: int) -> tuple[bytes, int, int] | None:
    """(kind, header length, whole box size) of the box header at the start of `head`, `room` bytes before the end;
    a box running past the end (a file cut short) is cut there. None for a broken header: the walk stops, and
    FFmpeg says what is wrong with the file, as it would have."""
    size, kind = struct.unpack(">I4s", head[:8])
    body = 8
    if size == 1 and len(head) >= 16:
        size, body = struct.unpack(">Q", head[8:16])[0], 16
    elif size == 0:  # the box runs to the end
        size = room
    if size < body:
        return None
    return kind, body, min(size, room)


def _u32(body: bytes, offset: int) -> int:
    return struct.unpack(">I", body[offset:offset + 4])[0] if len(body) >= offset + 4 else 0
