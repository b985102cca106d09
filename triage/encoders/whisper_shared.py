"""Several short clips laid on one timeline, so Whisper's batched pipeline decodes them together.

Each clip's speech (its voice-activity chunk, at most one 30 s window) starts on a whole second, after a pause of
`PAUSE_S` of silence that nothing decodes, and becomes one window of the batch. The pause makes faster-whisper's
word-timing heuristics, which look back at where the previous window's speech ended, see every clip as starting
after a pause, so a clip gets the same words alone or beside any others (its word timings come from attention
over the batch and can move by a frame or two). Whole seconds keep the window offsets exact, so each decoded
segment finds its clip by the offset it carries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

# More than faster-whisper's look-back (four median word lengths, at most 2.8 s) between one clip's last word
# and the next clip's first.
PAUSE_S = 5


@dataclass
class Layout:
    """The timeline: its samples, the clip_timestamps of its windows, and which clip starts at which second."""

    audio: np.ndarray
    windows: list[dict[str, float]]
    starts: dict[int, tuple[int, int]]  # start second -> (clip index, start second)

    def owner(self, seek: int, frames_per_second: int) -> tuple[int, int]:
        """(clip index, its start second) of a segment decoded from the window that begins at frame `seek`."""
        return self.starts[round(seek / frames_per_second)]


def lay_out(spoken: list[np.ndarray | None], sample_rate: int) -> Layout:
    """Place each clip's speech (None: no speech) at a whole second after a pause; returns the timeline."""
    windows, starts, placed = [], {}, []
    second = PAUSE_S
    for clip, speech in enumerate(spoken):
        if speech is None or not speech.size:
            continue
        # The end is half a sample late so that faster-whisper's int(seconds * rate) lands on the last sample.
        windows.append({"start": float(second), "end": second + (speech.size + 0.5) / sample_rate})
        starts[second] = (clip, second)
        placed.append((second * sample_rate, speech))
        second += math.ceil(speech.size / sample_rate) + PAUSE_S
    audio = np.zeros(second * sample_rate if placed else 0, dtype=np.float32)
    for at, speech in placed:
        audio[at:at + speech.size] = speech
    return Layout(audio, windows, starts)


def shifted(segment: Any, seconds: float) -> Any:
    """A faster-whisper segment (a dataclass, with its words) moved by `seconds`, rounded as faster-whisper
    rounds (segments to the millisecond, words to 10 ms), so the clip's own times come out the same wherever it
    lay."""
    words = [replace(w, start=round(w.start + seconds, 2), end=round(w.end + seconds, 2))
             for w in segment.words or ()]
    return replace(segment, start=round(segment.start + seconds, 3), end=round(segment.end + seconds, 3),
                   words=words or segment.words)
