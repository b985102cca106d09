"""A stored index whose bytes no longer match their checksum is rebuilt from the database, and the log says so."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ingested
from triage.config import Settings
from triage.service.index import sync
from triage.store.store import Store


@pytest.fixture
def store(settings: Settings) -> Store:
    return ingested(settings, "story.txt", "lyrics.md", "latin1.txt")


def _flip_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4] = np.float32(7.0).tobytes()
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damaged", ["text.faiss", "text.ids.npy"])
def test_a_corrupted_index_file_is_rebuilt_from_the_database(store: Store, tmp_path: Path, damaged: str,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "index"
    built, first = sync(store, folder, "text", exact_max=1000)
    assert built is not None and first.rebuilt
    queries = np.eye(built.dim, dtype=np.float32)[:3]
    expected = built.search(queries, 5)
    _flip_middle(folder / damaged)
    with caplog.at_level(logging.WARNING, logger="triage.service.index"):
        again, report = sync(store, folder, "text", exact_max=1000)
    assert report.rebuilt and again is not None
    assert any("checksum" in r.getMessage() and "rebuilding" in r.getMessage() for r in caplog.records)
    np.testing.assert_array_equal(again.search(queries, 5)[1], expected[1])
    _, third = sync(store, folder, "text", exact_max=1000)
    assert not third.rebuilt  # the rebuilt index was saved with a good checksum
