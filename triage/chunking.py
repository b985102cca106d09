"""Split texts and transcripts into pieces a model can embed, and pool piece vectors back into one.

Pure functions: strings and dataclasses in, Chunks and arrays out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from triage.domain import Chunk, Transcript

# A sentence ends at . ! ? or an ellipsis (optionally followed by closing quotes/brackets) before
# whitespace, or at a blank line; single newlines inside verse or lyrics also end a piece.
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019)\]]*\s+|\n\s*")
_WORD = re.compile(r"\S+")

# Sub-word tokenisers spend roughly 1.3 tokens per English word plus punctuation and special tokens;
# 0.6 words per token leaves room for that so a chunk is not silently truncated by the model.
WORDS_PER_TOKEN = 0.6


def max_words_for(max_tokens: int) -> int:
    """How many words fit safely in a model that reads `max_tokens` tokens."""
    return max(1, int(max_tokens * WORDS_PER_TOKEN))


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start() + len(match.group(0).rstrip())))
        start = match.end()
    spans.append((start, len(text)))
    # Trim whitespace at the edges and drop empty pieces.
    trimmed = []
    for s, e in spans:
        piece = text[s:e]
        if piece.strip():
            s += len(piece) - len(piece.lstrip())
            e -= len(piece) - len(piece.rstrip())
            trimmed.append((s, e))
    return trimmed


def _word_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]


def chunk_text(text: str, max_words: int = 150) -> list[Chunk]:
    """Split `text` into sentences and pack consecutive sentences into chunks of at most `max_words` words.

    A sentence longer than `max_words` is cut between words. Each chunk keeps its character offsets,
    so `text[c.char_start:c.char_end] == c.text`. Empty or blank text gives no chunks.
    """
    if max_words < 1:
        raise ValueError("max_words must be at least 1")
    pieces: list[tuple[int, int, int]] = []  # (start, end, words)
    for s, e in _sentence_spans(text):
        words = _word_spans(text, s, e)
        for i in range(0, len(words), max_words):
            part = words[i : i + max_words]
            pieces.append((part[0][0], part[-1][1], len(part)))

    chunks: list[Chunk] = []
    cur_start, cur_end, cur_words = -1, -1, 0
    for s, e, n in pieces:
        if cur_words and cur_words + n > max_words:
            chunks.append(Chunk(text[cur_start:cur_end], cur_start, cur_end))
            cur_words = 0
        if not cur_words:
            cur_start = s
        cur_end, cur_words = e, cur_words + n
    if cur_words:
        chunks.append(Chunk(text[cur_start:cur_end], cur_start, cur_end))
    return chunks


def _segment_offsets(transcript: Transcript) -> list[tuple[int, int]]:
    """Where each segment's text sits in transcript.text (searched in order, so repeats map correctly)."""
    offsets: list[tuple[int, int]] = []
    cursor = 0
    for seg in transcript.segments:
        piece = seg.text.strip()
        found = transcript.text.find(piece, cursor) if piece else -1
        if found < 0:
            # The transcript text was built some other way: fall back to the running position.
            found = min(cursor, len(transcript.text))
            offsets.append((found, found))
            continue
        offsets.append((found, found + len(piece)))
        cursor = found + len(piece)
    return offsets


def chunk_transcript(transcript: Transcript, max_words: int = 150, max_seconds: float = 30.0) -> list[Chunk]:
    """Group consecutive transcript segments into windows of at most `max_words` words and `max_seconds`.

    Each chunk carries start/end seconds (for "the matching moment") and character offsets into
    transcript.text. A single segment over either limit stays whole: Whisper segments are short.
    """
    if max_words < 1 or max_seconds <= 0:
        raise ValueError("max_words must be at least 1 and max_seconds positive")
    chunks: list[Chunk] = []
    group: list[int] = []
    offsets = _segment_offsets(transcript)
    segs = transcript.segments

    def flush() -> None:
        texts = [segs[i].text.strip() for i in group if segs[i].text.strip()]
        if texts:
            chunks.append(Chunk(text=" ".join(texts), char_start=offsets[group[0]][0],
                                char_end=offsets[group[-1]][1], start=segs[group[0]].start,
                                end=segs[group[-1]].end))
        group.clear()

    words = 0
    for i, seg in enumerate(segs):
        n = len(seg.text.split())
        if group and (words + n > max_words or seg.end - segs[group[0]].start > max_seconds):
            flush()
            words = 0
        group.append(i)
        words += n
    if group:
        flush()
    return chunks


def pool(vectors: np.ndarray | Sequence[np.ndarray], weights: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """Weighted mean of row vectors, re-normalised to unit length (float32).

    Typical weights are chunk lengths, so a long passage counts more than a short aside.
    """
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError("pool needs a non-empty 2-D array of vectors")
    w = np.ones(arr.shape[0], dtype=np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
    if w.shape != (arr.shape[0],) or np.any(w < 0) or float(w.sum()) <= 0:
        raise ValueError("weights must be non-negative, one per vector, and not all zero")
    mean = (w[:, None] * arr).sum(axis=0) / float(w.sum())
    norm = float(np.linalg.norm(mean))
    if norm == 0.0:
        # Opposite vectors cancel out; the first vector is the least surprising answer.
        mean, norm = arr[0], float(np.linalg.norm(arr[0])) or 1.0
    return (mean / norm).astype(np.float32)
