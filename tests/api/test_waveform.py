"""Audio cards draw the piece's own waveform, with the matched moment marked."""

from __future__ import annotations

import numpy as np

from triage.api.cards import moment_mark, wave_path
from triage.pipeline import waveform


def test_waveform_peaks_follow_the_loudness() -> None:
    audio = np.concatenate([np.zeros(16000, np.float32), 0.5 * np.ones(16000, np.float32)])
    peaks = waveform(audio, buckets=4)
    assert peaks == [0.0, 0.0, 1.0, 1.0]
    assert waveform(np.zeros(10, np.float32)) == []


def test_the_card_path_andmoment_mark() -> None:
    assert wave_path([0.0, 1.0]) == "M0.5 50.0V50.0 M1.5 2.0V98.0"
    assert moment_mark(30.0, 60.0) == 50.0 and moment_mark(None, 60.0) == 0.0 and moment_mark(5.0, None) == 0.0
