"""The migrations build exactly the tables schema.py declares: a column or index added to one and not the other
fails here, not on a curator's database."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from triage.store.db import Database
from triage.store.schema import Base


def test_the_migrated_database_matches_the_declared_schema(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'triage.db'}")
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = [d for d in compare_metadata(context, Base.metadata) if d[0] != "remove_table"
                       or d[1].name != "alembic_version"]
    assert differences == []
