"""Alembic environment: runs migrations on the connection that triage.store.db hands it."""

from __future__ import annotations

from alembic import context

from triage.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # invoked from the alembic CLI
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    connection = engine.connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER through table copies
)
with context.begin_transaction():
    context.run_migrations()
