"""The store: one database plus one file tree under the data dir."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from triage.domain import Status
from triage.store.db import Database
from triage.store.files import FileStore
from triage.store.schema import Content


class Store:
    """Everything durable about one triage installation."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.data_dir = data_dir.resolve()
        self.files = FileStore(self.data_dir)
        self.db = Database(database_url)

    def sweep(self) -> int:
        """Remove what killed runs left behind (temp files, unreferenced originals, unfinished derived files)."""
        with self.db.session() as session:
            known = set(session.scalars(select(Content.sha256)))
            ready = set(session.scalars(select(Content.sha256).where(Content.status == Status.READY.value)))
        return self.files.sweep(known, ready)

    def close(self) -> None:
        self.db.close()
