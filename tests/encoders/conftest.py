"""Fixtures for the encoder tests: the committed speech clips and generated non-speech signals."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

SPEECH = Path(__file__).resolve().parent.parent / "data" / "speech"
SR = 16_000


def read_wav(path: Path) -> np.ndarray:
    """16-bit mono WAV to float32 in [-1, 1]."""
    with wave.open(str(path)) as w:
        assert w.getframerate() == SR and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768


@pytest.fixture(scope="session")
def speech_clips() -> dict[str, tuple[np.ndarray, str]]:
    """name -> (audio, reference text) for every committed clip."""
    refs = json.loads((SPEECH / "transcripts.json").read_text(encoding="utf-8"))
    return {name: (read_wav(SPEECH / f"{name}.wav"), text) for name, text in refs.items()}


def _harmonic(freq: float, t: np.ndarray) -> np.ndarray:
    return sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, 6))  # type: ignore[return-value]


@pytest.fixture(scope="session")
def non_speech() -> dict[str, np.ndarray]:
    """Eight-second signals that contain no words: silence, noise, a pure tone, chords, a melody."""
    rng = np.random.default_rng(7)
    t = np.arange(SR * 8) / SR
    notes = [262, 294, 330, 349, 392, 440, 494, 523]
    half = SR // 2
    melody = np.concatenate([0.1 * _harmonic(notes[i % 8], t[:half]) * np.hanning(half) for i in range(16)])
    signals = {
        "silence": np.zeros(SR * 8),
        "noise": rng.normal(0, 0.1, SR * 8),
        "tone": 0.3 * np.sin(2 * np.pi * 440 * t),
        "chords": 0.05 * (_harmonic(262, t) + _harmonic(330, t) + _harmonic(392, t)),
        "melody": melody,
    }
    return {k: v.astype(np.float32) for k, v in signals.items()}
