import time
from pathlib import Path

import pytest

from triage.config import Settings
from triage.encoders import manage
from triage.errors import ModelUnavailable


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "models", **kw)  # type: ignore[arg-type]


def test_list_marks_configured_and_installed(tmp_path: Path) -> None:
    rows = manage.list_models(_settings(tmp_path))
    configured = {(r["family"], r["name"]) for r in rows if r["configured"]}
    assert configured == {("whisper", "tiny.en"), ("text", "all-MiniLM-L6-v2"), ("text", "all-mpnet-base-v2"),
                          ("clip", "ViT-B-32/laion2b_s34b_b79k")}
    by_name = {r["name"]: r for r in rows}
    assert by_name["tiny.en"]["installed"] and not by_name["ViT-B-32/laion2b_s34b_b79k"]["installed"]


def test_list_shows_a_configured_checkpoint(tmp_path: Path) -> None:
    ckpt = tmp_path / "weights.pt"
    ckpt.write_bytes(b"0" * 10)
    rows = manage.list_models(_settings(tmp_path, clip_checkpoint=ckpt))
    mine = [r for r in rows if r["family"] == "clip" and r["configured"]]
    assert len(mine) == 1 and mine[0]["location"] == str(ckpt) and mine[0]["size_bytes"] == 10


def test_pull_of_installed_models_needs_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*a: object, **k: object) -> None:
        raise AssertionError("pull must not go online for models already installed")

    monkeypatch.setattr(manage, "check_online", no_network)
    lines = manage.pull(_settings(tmp_path), ["tiny.en", "text:all-MiniLM-L6-v2"])
    assert all("already installed" in line for line in lines) and len(lines) == 2


def test_pull_offline_fails_fast_and_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://no-such-host.invalid")
    t0 = time.perf_counter()
    with pytest.raises(ModelUnavailable, match="needs internet"):
        manage.pull(_settings(tmp_path), ["ViT-B-32/laion2b_s34b_b79k"])
    assert time.perf_counter() - t0 < 10


def test_pull_refuses_when_offline_flag_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE"):
        manage.pull(_settings(tmp_path), ["base.en"])


def test_check_reports_missing_models_instead_of_raising(tmp_path: Path) -> None:
    rows = manage.check(_settings(tmp_path, whisper_model="fake", text_model="fake"))
    by_family = {r["family"]: r for r in rows}
    assert by_family["whisper"]["ok"] and by_family["text"]["ok"]
    assert by_family["text"]["speed"] > 0 and by_family["text"]["load_s"] is not None
    assert by_family["whisper"]["device"] == by_family["text"]["device"] == "cpu"  # where each one really runs
    assert not by_family["clip"]["ok"] and by_family["clip"]["device"] is None
    assert "triage models pull" in by_family["clip"]["error"]
