"""Deterministic fakes for all three model families: fast, no torch, stable across runs and machines.

They are simple but not arbitrary, so tests of the layers above mean something:
- FakeTextEncoder is a hashed bag of words: texts sharing words are closer than texts that do not.
- FakeTranscriber hears "speech" only where the audio has energy: silence gives an empty transcript.
- FakeImageTextEncoder maps images by colour histogram, prompts by hashed words plus basic colour names,
  so a prompt naming a colour is closest to images of that colour.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from triage.domain import Segment, Transcript, Word

SAMPLE_RATE = 16_000
_TOKEN = re.compile(r"[^\W_]+")


def _digest(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return (v / norm).astype(np.float32) if norm > 0 else v.astype(np.float32)


def hashed_bag_of_words(text: str, dim: int) -> np.ndarray:
    """Unit vector of signed word-hash counts; an empty text maps to a fixed "empty" direction."""
    v = np.zeros(dim, dtype=np.float32)
    tokens = _TOKEN.findall(text.lower()) or ["\x00empty"]
    for tok in tokens:
        h = _digest(tok.encode())
        v[h % dim] += 1.0 if (h >> 32) & 1 else -1.0
    return _unit(v)


class FakeTextEncoder:
    """Hashed bag-of-words text encoder."""

    device = "cpu"

    def __init__(self, dim: int = 256, max_tokens: int = 256) -> None:
        self.name = f"fake-text-{dim}"
        self.dim = dim
        self.max_tokens = max_tokens

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit rows."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = hashed_bag_of_words(text, self.dim)
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts)


class FakeTranscriber:
    """Energy-based fake: each loud second becomes one pseudo-word derived from the samples."""

    device = "cpu"
    batch_size = 1  # one clip at a time, as Whisper on a CPU

    def __init__(self, threshold: float = 0.01, vad: bool = True) -> None:
        self.name = "fake-transcriber"
        self.threshold = threshold  # RMS below this is "silence"
        self.vad = vad

    def transcribe(self, audio: np.ndarray, *, vad: bool | None = None) -> Transcript:
        """A transcript with one segment per run of loud seconds; silence gives no segments."""
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        words: list[Word] = []
        for start in range(0, len(audio), SAMPLE_RATE):
            window = audio[start : start + SAMPLE_RATE]
            if window.size == 0 or float(np.sqrt(np.mean(window**2))) < self.threshold:
                continue
            # Quantise first so tiny float differences (e.g. a resample round trip) give the same word.
            q = np.round(window * 64).astype(np.int8).tobytes()
            token = "w" + format(_digest(q) % 46_656, "x")
            t0 = start / SAMPLE_RATE
            words.append(Word(t0, t0 + window.size / SAMPLE_RATE, token, 1.0))
        segments: list[Segment] = []
        group: list[Word] = []
        for w in words:
            if group and w.start > group[-1].end:
                segments.append(_segment(group))
                group = []
            group.append(w)
        if group:
            segments.append(_segment(group))
        text = " ".join(s.text for s in segments)
        return Transcript(text=text, segments=tuple(segments), language="en",
                          duration=len(audio) / SAMPLE_RATE, model=self.name)

    def transcribe_many(self, audios: Sequence[np.ndarray], *, vad: bool | None = None) -> list[Transcript]:
        """One `transcribe` per clip (a subclass that changes `transcribe` changes both)."""
        return [self.transcribe(audio, vad=vad) for audio in audios]


def _segment(words: list[Word]) -> Segment:
    return Segment(start=words[0].start, end=words[-1].end, text=" ".join(w.word for w in words),
                   avg_logprob=0.0, no_speech_prob=0.0, words=tuple(words))


# Basic colour names in RGB, so fake prompt search behaves like a (very) small CLIP.
_COLOURS = {
    "red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0),
    "black": (0, 0, 0), "white": (255, 255, 255), "cyan": (0, 255, 255), "magenta": (255, 0, 255),
}
_BINS = 4  # per channel: 4 x 4 x 4 = 64 colour bins


def _bin_index(rgb: np.ndarray) -> np.ndarray:
    q = (rgb.astype(np.int32) * _BINS) // 256
    return np.asarray((q[..., 0] * _BINS + q[..., 1]) * _BINS + q[..., 2])


class FakeImageTextEncoder:
    """Colour-histogram images and hashed-word prompts in one 128-d space."""

    device = "cpu"

    def __init__(self) -> None:
        self.name = "fake-clip"
        self.dim = 2 * _BINS**3  # first half colour bins, second half hashed words

    def encode_images(self, images: list[np.ndarray]) -> np.ndarray:
        """(n, dim) float32 unit rows from RGB uint8 images."""
        colours = _BINS**3
        out = np.zeros((len(images), self.dim), dtype=np.float32)
        for i, img in enumerate(images):
            rgb = np.asarray(img)[..., :3]
            hist = np.bincount(_bin_index(rgb).reshape(-1), minlength=colours).astype(np.float32)
            out[i, :colours] = np.sqrt(hist)  # square root keeps one dominant colour from hiding the rest
        return np.stack([_unit(row) for row in out]) if len(images) else out

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit rows; named colours land on their colour bin."""
        colours = _BINS**3
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i, colours:] = hashed_bag_of_words(text, colours)
            for tok in _TOKEN.findall(text.lower()):
                if tok in _COLOURS:
                    out[i, int(_bin_index(np.array(_COLOURS[tok])))] += 2.0
            out[i] = _unit(out[i])
        return out
