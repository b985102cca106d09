"""Small encoders for stored derivatives: JPEG thumbnails and 16-bit PCM WAV audio."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
from PIL import Image

from triage.errors import InvalidSubmission


def jpeg_bytes(rgb: np.ndarray, max_side: int = 320, quality: int = 85) -> bytes:
    """Encode an RGB uint8 array as a JPEG whose long side is at most max_side (for thumbnails, posters)."""
    img = Image.fromarray(np.ascontiguousarray(rgb[..., :3], dtype=np.uint8), mode="RGB")
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def wav_bytes(audio: np.ndarray, sample_rate: int = 16000) -> bytes:
    """Encode mono float audio in [-1, 1] as a 16-bit PCM WAV file."""
    samples = np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)
    pcm = np.round(samples * 32767.0).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def read_wav(data_or_path: bytes | str | Path) -> np.ndarray:
    """Read a 16-bit PCM WAV (as written by wav_bytes) back to mono float32 in [-1, 1]."""
    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes | bytearray) else str(data_or_path)
    try:
        with wave.open(source, "rb") as w:
            if w.getsampwidth() != 2:
                raise InvalidSubmission("only 16-bit PCM WAV files can be read back")
            channels = w.getnchannels()
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    except (wave.Error, EOFError) as exc:
        raise InvalidSubmission(f"not a readable WAV file: {exc}") from exc
    audio = pcm.astype(np.float32) / 32767.0
    if channels > 1:
        audio = audio.reshape(-1, channels).mean(axis=1)
    return audio
