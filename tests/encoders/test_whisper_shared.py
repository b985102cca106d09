"""Short clips laid on one timeline for Whisper's batched pipeline, and found again (no model needed)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from triage.encoders.whisper_shared import PAUSE_S, lay_out, shifted

SR = 16_000


def test_each_clip_starts_on_a_whole_second_after_a_pause() -> None:
    one, none, two = np.ones(int(2.5 * SR), np.float32), None, np.full(SR, 0.5, np.float32)
    layout = lay_out([one, none, two], SR)
    assert [w["start"] for w in layout.windows] == [PAUSE_S, PAUSE_S + 3 + PAUSE_S]
    for window, clip in zip(layout.windows, (one, two), strict=True):
        start, end = int(window["start"] * SR), int(window["end"] * SR)  # as faster-whisper cuts the windows
        assert np.array_equal(layout.audio[start:end], clip)
        assert not layout.audio[start - PAUSE_S * SR:start].any()  # silence before each clip
    assert layout.owner(PAUSE_S * 50, 50) == (0, PAUSE_S)
    assert layout.owner((2 * PAUSE_S + 3) * 50, 50) == (2, 2 * PAUSE_S + 3)


def test_no_speech_at_all_lays_out_nothing() -> None:
    layout = lay_out([None, np.zeros(0, np.float32)], SR)
    assert layout.windows == [] and layout.audio.size == 0


@dataclass
class _Word:
    start: float
    end: float
    word: str = "w"


@dataclass
class _Segment:
    start: float
    end: float
    words: list[_Word] | None = field(default=None)


def test_a_segment_shifted_back_keeps_faster_whispers_rounding() -> None:
    segment = _Segment(1005.123, 1007.5, [_Word(1005.14, 1005.62), _Word(1005.7, 1007.5)])
    moved = shifted(segment, -1000)
    assert (moved.start, moved.end) == (5.123, 7.5)
    assert [(w.start, w.end) for w in moved.words] == [(5.14, 5.62), (5.7, 7.5)]
    assert segment.start == 1005.123  # the original is left as it was
    assert shifted(_Segment(12.0, 13.0), -7).words is None
