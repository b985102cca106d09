"""Synthetic media the lineage tests share: numpy tunes, noise and tones, mixed at chosen times."""

from __future__ import annotations

import numpy as np

from triage.lineage.landmarks import SAMPLE_RATE

SR = SAMPLE_RATE


def melody(seconds: float, seed: int) -> np.ndarray:
    """A random tune (no repeated phrase): harmonic notes with decaying envelopes, and a soft click track."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * SR), dtype=np.float32)
    t = 0.0
    scale = 220.0 * 2 ** (np.array([0, 2, 4, 7, 9, 12, 14, 16, 19, 21, 24]) / 12)
    while t < seconds:
        length = float(rng.uniform(0.12, 0.4))
        n = int(min(length, seconds - t) * SR)
        tt = np.arange(n) / SR
        f0 = float(rng.choice(scale)) * float(rng.choice([0.5, 1.0, 1.0]))
        env = np.exp(-tt * rng.uniform(3, 9)) * np.minimum(1.0, tt / 0.005)
        note = sum(np.sin(2 * np.pi * f0 * k * tt + rng.uniform(0, 6)) / k for k in range(1, 6))
        start = int(t * SR)
        out[start:start + n] += (0.25 * env * note).astype(np.float32)
        t += length
    return out


def noise(seconds: float, seed: int, level: float = 0.2) -> np.ndarray:
    """Broadband noise with a random clapping envelope: what applause looks like to a spectrogram."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    claps = np.repeat(rng.uniform(0.3, 1.0, n // 400 + 1), 400)[:n]
    return (level * claps * rng.standard_normal(n)).astype(np.float32)


def tone(seconds: float, *freqs: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * sum(np.sin(2 * np.pi * f * t) for f in freqs) / len(freqs)).astype(np.float32)


def place(length_s: float, *parts: tuple[float, np.ndarray]) -> np.ndarray:
    """A track of `length_s` seconds with each (start, audio) part mixed in."""
    out = np.zeros(int(length_s * SR), dtype=np.float32)
    for start, audio in parts:
        i = int(start * SR)
        piece = audio[: len(out) - i]
        out[i:i + len(piece)] += piece
    return out


def assert_near(span, start: float, end: float) -> None:  # type: ignore[no-untyped-def]
    """A found span's ends are within a second of the planted ones."""
    assert abs(span.start - start) <= 1.0 and abs(span.end - end) <= 1.0, (span, start, end)
