"""Thumbnails and stored audio round-trip faithfully."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from triage.errors import InvalidSubmission
from triage.media import jpeg_bytes, read_wav, wav_bytes


def test_jpeg_thumbnail_keeps_aspect_and_limits_size():
    rgb = np.zeros((400, 800, 3), dtype=np.uint8)
    rgb[:, 400:] = (200, 30, 30)
    data = jpeg_bytes(rgb, max_side=320)
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and img.size == (320, 160)
    assert np.asarray(img)[80, 300, 0] > 150


def test_wav_round_trip_is_close_and_16k(tmp_path):
    audio = (0.5 * np.sin(np.linspace(0, 200 * np.pi, 16000))).astype(np.float32)
    data = wav_bytes(audio)
    back = read_wav(data)
    assert back.dtype == np.float32 and back.shape == audio.shape
    assert np.abs(back - audio).max() < 1e-4
    path = tmp_path / "a.wav"
    path.write_bytes(data)
    assert np.array_equal(read_wav(path), back)
    assert data[24:28] == (16000).to_bytes(4, "little")


def test_wav_clips_out_of_range_samples():
    assert read_wav(wav_bytes(np.array([2.0, -3.0], dtype=np.float32))).tolist() == pytest.approx([1.0, -1.0])


def test_read_wav_refuses_garbage():
    with pytest.raises(InvalidSubmission):
        read_wav(b"not a wav at all")
