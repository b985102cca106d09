"""Whisper base from two PyPI packages: joined once, checked file by file, never half there; and it transcribes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from triage.encoders import whisper, whisper_parts
from triage.encoders.whisper_parts import WEIGHTS, PartedWhisper
from triage.errors import ModelUnavailable

FILES = {"config.json": b'{"lang_ids": []}', "tokenizer.json": b"{}", "vocabulary.txt": b"a\nb\n"}
HALVES = (b"first half of the weights ", b"and the second")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, halves: tuple[bytes, bytes] = HALVES) -> PartedWhisper:
    """Two fake installed packages holding the halves (the first also the small files)."""
    parts = []
    for k, half in enumerate(halves, start=1):
        path = tmp_path / f"site/part{k}/{WEIGHTS}.part{k}"
        path.parent.mkdir(parents=True)
        path.write_bytes(half)
        parts.append(path)
    others = {}
    for name, data in FILES.items():
        (tmp_path / "site/part1" / name).write_bytes(data)
        others[name] = tmp_path / "site/part1" / name
    monkeypatch.setattr(whisper_parts, "installed_files", lambda parted: (parts, others))
    digests = {name: _sha(data) for name, data in FILES.items()}
    return PartedWhisper("base", ("fake-part1", "fake-part2"), "upstream", {WEIGHTS: _sha(b"".join(HALVES)), **digests})


def test_join_writes_the_whole_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parted = _fake(tmp_path, monkeypatch)
    target = whisper_parts.join(parted, tmp_path / "models/whisper/base")
    assert (target / WEIGHTS).read_bytes() == b"".join(HALVES)
    assert {p.name for p in target.iterdir()} == {WEIGHTS, *FILES}
    assert [p.name for p in target.parent.iterdir()] == ["base"]  # no work folder left behind


def test_a_changed_part_is_refused_and_nothing_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parted = _fake(tmp_path, monkeypatch, halves=(HALVES[0], b"and something else"))
    with pytest.raises(ModelUnavailable, match="do not hold the expected model.bin"):
        whisper_parts.join(parted, tmp_path / "models/whisper/base")
    assert list((tmp_path / "models/whisper").iterdir()) == []


def test_packages_not_installed_name_the_pip_command(tmp_path: Path) -> None:
    parted = PartedWhisper("base", ("no-such-package-part1", "no-such-package-part2"), "upstream", {})
    assert whisper_parts.installed_files(parted) is None
    with pytest.raises(ModelUnavailable, match="pip install no-such-package-part1 no-such-package-part2"):
        whisper_parts.join(parted, tmp_path / "base")


def test_resolve_joins_the_packages_on_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parted = _fake(tmp_path, monkeypatch)
    monkeypatch.setitem(whisper_parts.PARTED, "base", parted)
    models_dir = tmp_path / "models"
    with pytest.raises(ModelUnavailable):
        whisper.resolve("base", models_dir, join=False)  # listing models never writes 145 MB
    assert whisper.resolve("base", models_dir) == models_dir / "whisper" / "base"
    assert whisper.is_ctranslate2_folder(models_dir / "whisper" / "base")


def test_the_real_base_model_names_the_language_and_transcribes_it(tmp_path: Path) -> None:
    from faster_whisper import decode_audio

    folder = whisper.resolve("base", tmp_path)  # the dev extra installs the packages
    wav = tmp_path / "es.wav"
    # Two sentences: on one, int8 kernels on some CPUs (AMX) weigh Japanese and Spanish all but equally
    subprocess.run(["espeak-ng", "-v", "es", "-w", str(wav), "Cada mañana nos levantábamos a las cuatro para "
                    "hornear el pan en la panadería de mi abuelo. Mi abuela preparaba el café y escuchábamos "
                    "la radio mientras el horno se calentaba."], check=True, timeout=60)
    model = whisper.WhisperTranscriber(folder, label="base", threads=2)
    transcript = model.transcribe(decode_audio(str(wav), sampling_rate=whisper.SAMPLE_RATE))
    assert transcript.language == "es"
    assert "pan" in transcript.text.lower()
