"""A data dir or database that cannot be used is one readable ConfigError, not an OSError or SQLAlchemy trace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from triage.errors import ConfigError
from triage.store import store as store_module
from triage.store.store import Store


def sqlite(folder: Path) -> str:
    return f"sqlite:///{folder / 'triage.db'}"


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        Store(tmp_path / "data", sqlite(tmp_path / "data"))


def test_a_data_dir_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="cannot create the data dir"):
        Store(tmp_path / "file" / "data", sqlite(tmp_path))


def test_a_read_only_data_dir_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # root may write anywhere, so ask os.access as a read-only mount answers it
    monkeypatch.setattr(store_module.os, "access", lambda path, mode: mode != os.W_OK)
    with pytest.raises(ConfigError, match="is not writable"):
        Store(tmp_path / "data", sqlite(tmp_path / "data"))


@pytest.mark.parametrize(("url", "says"), [
    ("postgresql+psycopg://ana:s3cret@127.0.0.1:1/triage", "postgresql+psycopg://ana:***@127.0.0.1:1/triage"),
    ("nosuchdb://x", "Can't load plugin"),
    ("ana:s3cret@not-a-url", "is not a database URL"),
])
def test_a_database_that_cannot_be_opened_is_one_line_without_its_password(tmp_path: Path, url: str,
                                                                             says: str) -> None:
    with pytest.raises(ConfigError, match="cannot open the database") as raised:
        Store(tmp_path / "data", url)
    assert says in str(raised.value) and "s3cret" not in str(raised.value) and "\n" not in str(raised.value)
