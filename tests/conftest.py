"""Shared fixtures: a throwaway data dir with fake models, and paths to the committed media."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import postgres
from triage.config import Settings
from triage.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT / "tests" / "data" / "media"
FAKE_MODELS = {"TRIAGE_WHISPER_MODEL": "fake", "TRIAGE_TEXT_MODEL": "fake", "TRIAGE_CLIP_MODEL": "fake"}


_opened: list[Store] = []  # every store opened during the run and not yet closed by the fixtures below


@pytest.fixture(scope="session", autouse=True)
def _track_stores() -> Iterator[None]:
    """Note every Store a test, fixture or app opens: each keeps its SQLite file (with -wal and -shm) open until
    closed, and a suite of tests that never close theirs ends with hundreds open."""
    original = Store.__init__

    def tracked(self: Store, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _opened.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Store, "__init__", tracked)
        yield
    _close_from(0)


def _close_from(mark: int) -> None:
    while len(_opened) > mark:
        _opened.pop().close()  # a closed store still works if something uses it again: it reconnects


@pytest.fixture(scope="module", autouse=True)
def _close_module_stores() -> Iterator[None]:
    """Close what a module's fixtures opened once the module is done."""
    mark = len(_opened)
    yield
    _close_from(mark)


@pytest.fixture(autouse=True)
def _close_test_stores() -> Iterator[None]:
    """Close what a test (and its fixtures) opened once it is done, after its apps have shut down."""
    mark = len(_opened)
    yield
    _close_from(mark)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: its own data dir, the deterministic fake models."""
    return Settings(data_dir=tmp_path / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                    models_dir=tmp_path / "models")


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the real `triage` command in a subprocess with fake models."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(FAKE_MODELS, TRIAGE_DATA_DIR=str(tmp_path / "data"), TRIAGE_MODELS_DIR=str(tmp_path / "models"),
               HF_HUB_OFFLINE="1")
    return env


def ingested(settings: Settings, *names: str) -> Store:
    """The committed media files `names` (in good/) ingested into the call-out "lawn" with the settings' models."""
    from triage import runtime
    from triage.ingest.runner import ingest
    from triage.ingest.sources import from_paths
    from triage.store.callouts import upsert_callout

    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="Stories about foxes, dogs and rivers.")
    ingest(store, "lawn", list(from_paths([MEDIA / "good" / name for name in names])),
           runtime.analyser(settings, runtime.encoders(settings)), max_file_bytes=10**9)
    return store


def triage_cmd() -> list[str]:
    return [sys.executable, "-m", "triage.cli"]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database triage supports: SQLite in a file, and a fresh PostgreSQL database (see tests/postgres.py)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'triage.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL server for the whole test run (see tests/postgres.py); skipped where not installed."""
    with postgres.running_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty PostgreSQL database."""
    return postgres.new_database(postgres_server)
