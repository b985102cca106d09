"""What faster-whisper's segments become: the checks that keep or redo them, and sentence-sized Segments.

Pure functions over the segments faster-whisper returns (read by attribute), so they need no model to test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from triage.domain import Segment, Word

# The thresholds Whisper itself uses to decide a window was not speech (openai/whisper and faster-whisper
# defaults): a window is silence when the model thinks "no speech" is likely AND its own text is unlikely;
# text that compresses too well is a repetition loop, the classic hallucination on music.
NO_SPEECH_THRESHOLD = 0.6
LOG_PROB_THRESHOLD = -1.0
COMPRESSION_RATIO_THRESHOLD = 2.4
_HAS_WORD = re.compile(r"[^\W_]")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")
MAX_SEGMENT_S = 12.0  # longest segment kept when a batched chunk is cut into sentences


def keep_segment(text: str, avg_logprob: float, no_speech_prob: float, compression_ratio: float) -> bool:
    """Whether a decoded segment is real speech rather than text invented over silence or music.

    Dropped: segments without a single letter or digit (" .", " ..."), segments that Whisper's own
    silence rule rejects (no_speech_prob > 0.6 and avg_logprob < -1.0), and repetition loops
    (compression ratio > 2.4). faster-whisper applies the silence rule per 30 s window only, and
    only when the first decode fails, so leftovers still reach us; this applies it per segment.
    """
    if not _HAS_WORD.search(text):
        return False
    if no_speech_prob > NO_SPEECH_THRESHOLD and avg_logprob < LOG_PROB_THRESHOLD:
        return False
    return compression_ratio <= COMPRESSION_RATIO_THRESHOLD


def needs_second_pass(avg_logprob: float, no_speech_prob: float, compression_ratio: float) -> bool:
    """Whether a segment decoded greedily failed the checks that make Whisper try again: a repetition loop,
    or speech (not silence) whose words the model itself finds unlikely."""
    if compression_ratio > COMPRESSION_RATIO_THRESHOLD:
        return True
    return avg_logprob < LOG_PROB_THRESHOLD and no_speech_prob <= NO_SPEECH_THRESHOLD


def split_sentences(segments: Iterable[Segment], max_seconds: float = MAX_SEGMENT_S) -> list[Segment]:
    """Cut long segments at sentence ends (and at least every `max_seconds`) using their word timings.

    A batched chunk can hold 30 s of speech; sentence-sized segments keep "the moment that matched" precise.
    Each piece's text is the slice of the segment's own text (Whisper's spacing kept). Segments whose words
    cannot be placed in the text stay whole.
    """
    out: list[Segment] = []
    for seg in segments:
        spans = _word_spans(seg)
        if spans is None:
            out.append(seg)
            continue
        first = 0
        for k, word in enumerate(seg.words):
            last_of_piece = (k + 1 == len(seg.words) or _SENTENCE_END.search(word.word) is not None
                             or seg.words[k + 1].end - seg.words[first].start > max_seconds)
            if last_of_piece:
                out.append(Segment(start=seg.words[first].start, end=word.end,
                                   text=seg.text[spans[first][0]:spans[k][1]], avg_logprob=seg.avg_logprob,
                                   no_speech_prob=seg.no_speech_prob, words=seg.words[first:k + 1]))
                first = k + 1
    return out


def _word_spans(seg: Segment) -> list[tuple[int, int]] | None:
    """Where each word sits in the segment's text, or None when the words cannot all be found in order."""
    spans, cursor = [], 0
    for word in seg.words:
        at = seg.text.find(word.word, cursor) if word.word else -1
        if at < 0:
            return None
        spans.append((at, at + len(word.word)))
        cursor = at + len(word.word)
    return spans or None


def convert(raw: Iterable[Any], duration: float) -> list[Segment]:
    out: list[Segment] = []
    for s in raw:
        text = s.text.strip()
        if not keep_segment(text, s.avg_logprob, s.no_speech_prob, s.compression_ratio):
            continue
        words = tuple(
            Word(start=min(float(w.start), duration), end=min(float(w.end), duration), word=w.word.strip(),
                 probability=float(w.probability))
            for w in (s.words or ())
        )
        out.append(Segment(start=float(s.start), end=min(float(s.end), duration), text=text,
                           avg_logprob=float(s.avg_logprob), no_speech_prob=float(s.no_speech_prob),
                           words=words))
    return out
