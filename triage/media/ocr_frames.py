"""The words printed in a piece's pictures: each representative frame read, and a caption or title shown over
several frames kept once, from the first frame showing it to the last."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from triage.domain import Chunk, Decoded, Frame, MediaType
from triage.media.ocr import OcrLine, OcrReader, reader_or_none
from triage.textnorm import normalize_words


def _key(line: OcrLine) -> str:
    return " ".join(normalize_words(line.text))


def read_frames(frames: Sequence[Frame], reader: OcrReader) -> list[OcrLine]:
    """Lines of every frame in time order; a line read again in the next frames (the same words, case and
    punctuation aside) extends the earlier one instead of repeating it."""
    out: list[OcrLine] = []
    open_lines: dict[str, int] = {}  # a line's words -> its index in `out`, while the frames keep showing it
    for frame in sorted(frames, key=lambda f: f.time):
        seen: dict[str, int] = {}
        for line in reader.read(frame.rgb, frame.time):
            key = _key(line)
            if key in open_lines:
                at = open_lines[key]
                out[at] = replace(out[at], end=frame.time)
            else:
                at = len(out)
                out.append(line)
            seen[key] = at
        open_lines = seen
    return out


def ocr_text(lines: Sequence[OcrLine]) -> str:
    """The lines as one text, one line each: what search, labels and lineage read."""
    return "\n".join(line.text for line in lines)


def line_chunks(lines: Sequence[OcrLine] | None, max_words: int) -> list[Chunk]:
    """The lines as chunks to embed: the lines of one frame together (up to `max_words` words), each chunk timed
    from its frame to the last frame showing its lines; characters count in `ocr_text(lines)`."""
    chunks: list[Chunk] = []
    group: list[tuple[OcrLine, int]] = []  # a line and where it starts in ocr_text
    at = 0

    def close() -> None:
        if group:
            first, start = group[0]
            last, last_at = group[-1]
            chunks.append(Chunk(" ".join(line.text for line, _ in group), start, last_at + len(last.text),
                                first.time, max(line.end for line, _ in group)))
            group.clear()

    for line in lines or ():
        words = sum(len(g.text.split()) for g, _ in group)
        if group and (line.time != group[0][0].time or words + len(line.text.split()) > max_words):
            close()
        group.append((line, at))
        at += len(line.text) + 1
    close()
    return chunks


def read_pictures(decoded: Decoded) -> tuple[list[OcrLine] | None, str]:
    """The lines printed in an image or a video's representative frames, and the reader's name; (None, "") for
    other media, or where Tesseract is missing (said once in the log)."""
    if not decoded.frames or decoded.probe.media_type not in (MediaType.IMAGE, MediaType.VIDEO):
        return None, ""
    reader = reader_or_none()
    if reader is None:
        return None, ""
    return read_frames(decoded.frames, reader), reader.name
