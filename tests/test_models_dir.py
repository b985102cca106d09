"""The models folder is one absolute place, whatever the working directory: the checkout's models/ where it can
be written, else a per-user cache; TRIAGE_MODELS_DIR overrides both."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, triage_cmd
from triage import config
from triage.config import Settings


@pytest.fixture
def no_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TRIAGE_MODELS_DIR, and a home of our own (the per-user cache must not be the real one)."""
    monkeypatch.delenv("TRIAGE_MODELS_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_the_default_does_not_depend_on_the_working_directory(no_setting: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    for folder in ("a", "b"):
        (no_setting / folder).mkdir()
        monkeypatch.chdir(no_setting / folder)
        seen.append(Settings().models_dir)
    assert seen[0] == seen[1] and seen[0].is_absolute()


def test_the_checkout_models_folder_is_the_default_where_it_can_be_written(no_setting: Path) -> None:
    assert Settings().models_dir == ROOT / "models"  # where the bundled mpnet is unpacked once for every folder


def test_an_unwritable_checkout_falls_back_to_a_per_user_cache(no_setting: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real_access = os.access
    monkeypatch.setattr(config.os, "access", lambda path, mode: False if Path(path) == ROOT / "models"
                        else real_access(path, mode))
    assert Settings().models_dir == no_setting / "home" / ".cache" / "triage" / "models"
    monkeypatch.setenv("XDG_CACHE_HOME", str(no_setting / "cache"))
    assert Settings().models_dir == no_setting / "cache" / "triage" / "models"


def test_triage_models_dir_overrides_the_default(no_setting: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_MODELS_DIR", str(no_setting / "mine"))
    assert Settings().models_dir == no_setting / "mine"


def test_models_list_from_another_folder_names_the_same_absolute_place_and_writes_nothing_there(
        no_setting: Path) -> None:
    elsewhere = no_setting / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(HOME=str(no_setting / "home"), HF_HUB_OFFLINE="1")
    done = subprocess.run([*triage_cmd(), "models", "list", "--json"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["models"]
    pulled_into = [r["source"] for r in rows if r["family"] == "whisper" and not r["installed"]]
    assert pulled_into and all(f"into {ROOT / 'models'}/whisper" in s for s in pulled_into)
    assert not any(elsewhere.iterdir())  # no models/ of its own
