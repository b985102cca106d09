"""Audio cards draw the piece's own waveform, with the matched moment marked."""

from __future__ import annotations

import numpy as np

from triage.api.cards import _mark, _wave_path
from triage.pipeline import waveform


def test_waveform_peaks_follow_the_loudness() -> None:
    audio = np.concatenate([np.zeros(16000, np.float32), 0.5 * np.ones(16000, np.float32)])
    peaks = waveform(audio, buckets=4)
    assert peaks == [0.0, 0.0, 1.0, 1.0]
    assert waveform(np.zeros(10, np.float32)) == []


def test_the_card_path_and_mark() -> None:
    assert _wave_path([0.0, 1.0]) == "M0.5 50.0V50.0 M1.5 2.0V98.0"
    assert _mark(30.0, 60.0) == 50.0 and _mark(None, 60.0) == 0.0 and _mark(5.0, None) == 0.0
