"""Speech in other languages: what tiny.en doubts and base hears as likely not English goes to base."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from triage.encoders import registry
from triage.encoders.languages import likely_not_english
from triage.errors import ConfigError


@pytest.mark.parametrize(("heard", "other"), [
    ({"es": 0.9, "en": 0.05}, True),
    ({"es": 0.42, "ja": 0.28, "en": 0.11}, True),  # unsure which, but surely not English
    ({"en": 0.95, "es": 0.02}, False),
    ({"en": 0.4, "es": 0.3}, False),  # English likeliest, if not sure
    ({"es": 0.45, "en": 0.5}, False),  # as likely English as not
    ({}, False),  # no speech to judge
])
def test_only_speech_likely_not_english_leaves_the_english_model(heard: dict[str, float], other: bool) -> None:
    assert likely_not_english(heard) is other


def _speak(path: Path, voice: str, text: str) -> np.ndarray:
    from faster_whisper import decode_audio

    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, timeout=60)
    return decode_audio(str(path), sampling_rate=16_000)


def test_real_models_send_spanish_to_base_and_keep_english_with_tiny_en(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    model = registry.transcriber("tiny.en", other_languages="base", models_dir=tmp_path, device="cpu")
    assert model.name == "whisper-tiny.en/int8+whisper-base/int8"  # on every transcript: reprocess sees the change
    # Two sentences: on one, base's int8 kernels on some CPUs (AMX) weigh Japanese and Spanish all but equally
    spanish = model.transcribe(_speak(tmp_path / "es.wav", "es", "Cada mañana nos levantábamos a las cuatro para "
                                      "hornear el pan en la panadería de mi abuelo. Mi abuela preparaba el café y "
                                      "escuchábamos la radio mientras el horno se calentaba."))
    assert spanish.language == "es" and "pan" in spanish.text.lower() and spanish.model == model.name

    asked = []
    other = model.other_languages  # type: ignore[attr-defined]
    monkeypatch.setattr(other, "language_probabilities", lambda audio, vad=None: asked.append(1) or {"en": 1.0})
    english = model.transcribe(_speak(tmp_path / "en.wav", "en-us", "Every summer we picked cherries on my "
                                      "grandmother's farm and listened to the radio at night."))
    assert english.language == "en" and "radio" in english.text.lower()
    assert asked == []  # tiny.en was sure of its words: base never listened


def test_the_other_model_must_be_multilingual_beside_an_english_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="English-only TRIAGE_WHISPER_MODEL and a multilingual"):
        registry.transcriber("base", other_languages="base", models_dir=tmp_path, device="cpu")
    with pytest.raises(ConfigError, match="English-only TRIAGE_WHISPER_MODEL and a multilingual"):
        registry.transcriber("tiny.en", other_languages="tiny.en", models_dir=tmp_path, device="cpu")
