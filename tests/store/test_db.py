"""The database: migrations from empty, WAL mode, idempotent call-out upserts and submission keys, on SQLite and
PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect

from triage.errors import ConfigError, NotFound
from triage.store.callouts import get_callout, list_callouts, upsert_callout
from triage.store.db import Database
from triage.store.submissions import get_or_create, get_or_create_content


def test_migrations_create_every_table_and_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'triage.db'}"
    db = Database(url)
    Database(url).close()  # a second start migrates nothing and breaks nothing
    tables = set(inspect(db.engine).get_table_names())
    assert {"callouts", "contents", "submissions", "artifacts", "vectors", "api_tokens", "decisions",
            "duplicate_overrides", "jobs", "alembic_version"} <= tables
    assert "ix_submissions_uploader" in {i["name"] for i in inspect(db.engine).get_indexes("submissions")}
    assert "ix_vectors_pooled_model" in {i["name"] for i in inspect(db.engine).get_indexes("vectors")}
    assert "session_epoch" in {c["name"] for c in inspect(db.engine).get_columns("api_tokens")}
    with sqlite3.connect(tmp_path / "db" / "triage.db") as conn:
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_callout_upsert_creates_then_updates_only_given_fields(database_url: str) -> None:
    db = Database(database_url)
    with db.session() as session:
        _, created = upsert_callout(session, "one", title="One", brief="Anything about the number one.")
        assert created
        _, created = upsert_callout(session, "one", prompts=["a single candle"])
        assert not created
    with db.session() as session:
        callout = get_callout(session, "one")
        assert (callout.title, callout.brief, callout.prompts) == ("One", "Anything about the number one.",
                                                                    ["a single candle"])
        assert [c.id for c in list_callouts(session)] == ["one"]
        with pytest.raises(NotFound):
            get_callout(session, "two")
        with pytest.raises(ConfigError):
            upsert_callout(session, "../evil")
        assert upsert_callout(session, "blank", title="  ")[0].title == "blank"
        assert upsert_callout(session, "one", title="")[0].title == "one"


def test_a_failed_transaction_leaves_nothing_behind(database_url: str) -> None:
    db = Database(database_url)
    with db.session() as session:
        upsert_callout(session, "one")
    with pytest.raises(RuntimeError), db.session() as session:
        get_or_create_content(session, "a" * 64, 10)
        get_or_create(session, "one", "file:x:aaa", sha256="a" * 64)
        raise RuntimeError("crash half-way")
    with db.session() as session:
        row, created = get_or_create(session, "one", "file:x:aaa")
        assert created


def test_two_writers_creating_the_same_rows_both_get_them(database_url: str) -> None:
    # Two ingests of one folder: the second looks up a content and a submission, finds none, and inserts
    # while the first's uncommitted rows hold the write lock. A plain INSERT then failed its whole batch.
    first_db, second_db = Database(database_url), Database(database_url)
    with first_db.session() as session:
        upsert_callout(session, "c", title="C")
    outcome: dict[str, object] = {}

    def second_writer() -> None:
        try:
            with second_db.session() as session:
                content = get_or_create_content(session, "ab" * 32, 10)
                row, created = get_or_create(session, "c", "file:a.txt", sha256=content.sha256)
                outcome.update(content=content.sha256, row=row.id, created=created)
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            outcome["error"] = exc

    with first_db.session() as session:
        get_or_create_content(session, "ab" * 32, 10)
        first_row, _ = get_or_create(session, "c", "file:a.txt", sha256="ab" * 32)
        first_id = first_row.id
        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.5)  # the second writer has looked and is now waiting for the write lock
    thread.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome == {"content": "ab" * 32, "row": first_id, "created": False}


def test_timestamps_come_back_in_utc_with_their_zone(database_url: str) -> None:
    """Both databases give the same aware UTC time, whatever zone the writer's value had."""
    db = Database(database_url)
    taken = datetime(2026, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    with db.session() as session:
        upsert_callout(session, "one", title="One")
        get_callout(session, "one").created_at = taken
    with db.session() as session:
        callout = get_callout(session, "one")
        assert callout.created_at == taken and callout.created_at.utcoffset() == timedelta(0)
        assert callout.updated_at.tzinfo is not None
        assert callout.created_at.isoformat() == "2026-03-01T12:30:00+00:00"
    db.close()
