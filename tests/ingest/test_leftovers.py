"""A server that starts removes the partial uploads a killed one left in tmp/, never those of a live one."""

from __future__ import annotations

import os
import time
from pathlib import Path

from fastapi.testclient import TestClient

from triage.api.app import create_app
from triage.config import Settings
from triage.ingest.leftovers import STALE_AFTER_S, sweep_partial_uploads
from triage.store.files import FileStore


def _partial(folder: Path, name: str, age_s: float = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"half of a video")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_a_starting_server_removes_the_partial_uploads_of_a_killed_one(settings: Settings) -> None:
    tmp = settings.data_dir / "tmp"
    left = [_partial(tmp, "0123abcd.upload"), _partial(tmp, "4567ef.upload", age_s=3600)]
    with TestClient(create_app(settings, workers=0)) as client:
        assert client.get("/api/health").status_code == 200
        assert not any(p.exists() for p in left)


def test_a_starting_server_keeps_the_uploads_another_server_is_receiving(settings: Settings) -> None:
    """Two servers share the data dir: the other one holds the store (an upload in progress) while this one starts;
    only what has not been touched for a day is a leftover then."""
    files = FileStore(settings.data_dir)
    live = _partial(files.tmp, "live.upload", age_s=60)
    dead = _partial(files.tmp, "dead.upload", age_s=STALE_AFTER_S + 60)
    with files.active(), TestClient(create_app(settings, workers=0)):
        assert live.exists() and not dead.exists()
    assert sweep_partial_uploads(files) == 1  # once nobody writes, nothing in tmp/ can be in progress
    assert not live.exists()
