"""The fine band hash: short copies match, the same words in another voice do not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from triage.domain import MediaType
from triage.fingerprints import audio_band_hash, audio_fingerprint, audio_similarity
from triage.media.encode import read_wav
from triage.scoring.dedup import compare
from triage.scoring.types import Fingerprint

SENTENCE = "My neighbour's goat ate the whole hedge before breakfast."


def speak(tmp: Path, voice: str, name: str) -> np.ndarray:
    wav = tmp / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), SENTENCE], check=True)
    out = tmp / f"{name}16k.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", "16000", "-ac", "1", str(out)], check=True)
    return read_wav(out)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    tmp = tmp_path_factory.mktemp("bands")
    return {"us": speak(tmp, "en-us", "us"), "gb": speak(tmp, "en-gb", "gb")}


def test_short_copies_match_after_trim_gain_and_padding(clips: dict[str, np.ndarray]) -> None:
    original = clips["us"]
    assert len(original) < 16000 * 5  # a few seconds: the case Chromaprint cannot judge
    a = audio_band_hash(original)
    quieter = audio_band_hash(original * 0.4)
    trimmed = audio_band_hash(original[int(0.4 * 16000):])
    padded = audio_band_hash(np.concatenate([np.zeros(16000, np.float32), original]))
    noisy = audio_band_hash(original + np.random.default_rng(0).normal(0, 0.003, len(original)).astype(np.float32))
    for copy in (quieter, trimmed, padded, noisy):
        assert audio_similarity(a, copy) >= 0.5


def _fingerprint(name: str, audio: np.ndarray) -> Fingerprint:
    return Fingerprint(submission_id=name, media_type=MediaType.AUDIO, sha256=name, duration=len(audio) / 16000,
                       audio=audio_fingerprint(audio), audio_bands=audio_band_hash(audio), has_speech=True)


def test_dedup_groups_a_short_copy_but_not_the_same_words_in_another_voice(clips: dict[str, np.ndarray]) -> None:
    original = _fingerprint("a", clips["us"])
    copy = _fingerprint("b", clips["us"][int(0.3 * 16000):] * 0.5)
    other_voice = _fingerprint("c", clips["gb"])
    edge = compare(original, copy)
    assert edge is not None and edge.kind == "audio"
    assert compare(original, other_voice) is None


def test_too_short_audio_gives_an_empty_hash() -> None:
    assert len(audio_band_hash(np.zeros(1000, np.float32))) == 0
