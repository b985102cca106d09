"""The store: one database plus one file tree under the data dir."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import make_url, select
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from triage.domain import Status
from triage.errors import ConfigError
from triage.store.db import Database
from triage.store.files import FileStore
from triage.store.schema import Content


class Store:
    """Everything durable about one triage installation."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.data_dir = data_dir.resolve()
        self.files = _file_store(self.data_dir)
        try:
            self.db = Database(database_url)
        except (DBAPIError, ArgumentError, NoSuchModuleError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise ConfigError(f"cannot open the database {_shown(database_url)}: {reason}") from exc

    def sweep(self) -> int:
        """Remove what killed runs left behind (temp files, unreferenced originals, unfinished derived files)."""
        with self.db.session() as session:
            known = set(session.scalars(select(Content.sha256)))
            ready = set(session.scalars(select(Content.sha256).where(Content.status == Status.READY.value)))
        return self.files.sweep(known, ready)

    def close(self) -> None:
        """Close the database's connections (SQLite keeps its file, -wal and -shm open until then). Idempotent;
        a closed store opens new connections if used again."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _file_store(data_dir: Path) -> FileStore:
    """The data dir's file tree, or one line saying why it cannot be used (every command needs to write there)."""
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"the data dir {data_dir} is a file, not a folder; set --data-dir or TRIAGE_DATA_DIR")
    try:
        files = FileStore(data_dir)
    except OSError as exc:
        raise ConfigError(f"cannot create the data dir {data_dir}: {exc.strerror or exc}") from exc
    # SQLite writes beside its file even to read (WAL), so a read-only data dir fails every command.
    if not os.access(data_dir, os.W_OK) or not os.access(files.tmp, os.W_OK):
        raise ConfigError(f"the data dir {data_dir} is not writable; triage keeps its database and files there")
    return files


def _shown(url: str) -> str:
    """The database URL without its password, for an error message."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(TRIAGE_DATABASE_URL is not a database URL)"
