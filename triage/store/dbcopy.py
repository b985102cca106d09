"""The database out and back in: SQLite through its online backup API, PostgreSQL through pg_dump and pg_restore.

Each copy is one snapshot of a database that may be written meanwhile: SQLite's backup copies every page in one
step, inside one read transaction (writers go on in the WAL); pg_dump reads the snapshot that a transaction of
ours exported, the same one the counts and the list of contents are read in.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, make_url, text

from triage.errors import ConfigError, Conflict, ProcessingFailed
from triage.store.manifest import COUNTED

SQLITE_FILE = "triage.db"
SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
PG_FILE = "database.pgdump"


@dataclass
class Snapshot:
    """What one copy of the database holds: its schema revision, rows per table, and the contents it names."""

    revision: str
    counts: dict[str, int]
    shas: set[str]


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise ConfigError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(parsed.database)


def _read(execute: Callable[[str], list[tuple[Any, ...]]], tables: str) -> Snapshot:
    revision = execute("SELECT version_num FROM alembic_version")
    present = {row[0] for row in execute(tables)}  # a backup of an older schema may lack a newer table
    counts = {table: int(execute(f"SELECT count(*) FROM {table}")[0][0]) for table in COUNTED if table in present}
    shas = {row[0] for row in execute("SELECT sha256 FROM contents")}
    return Snapshot(str(revision[0][0]) if revision else "", counts, shas)


def sqlite_snapshot(path: Path) -> Snapshot:
    with closing(sqlite3.connect(path)) as conn:
        return _read(lambda sql: conn.execute(sql).fetchall(), SQLITE_TABLES)


def engine_snapshot(engine: Engine) -> Snapshot:
    tables = SQLITE_TABLES if engine.dialect.name == "sqlite" else PG_TABLES
    with engine.connect() as conn:
        return _read(lambda sql: [tuple(r) for r in conn.execute(text(sql))], tables)


def check_sqlite(path: Path) -> None:
    """SQLite's own integrity and foreign-key checks on a database file; ProcessingFailed with the first problem."""
    with closing(sqlite3.connect(path)) as conn:
        found = conn.execute("PRAGMA integrity_check").fetchall()
        if found != [("ok",)]:
            raise ProcessingFailed(f"the database copy {path} fails SQLite's integrity check: {found[0][0]}")
        dangling = conn.execute("PRAGMA foreign_key_check").fetchall()
        if dangling:
            raise ProcessingFailed(f"the database copy {path} has {len(dangling)} rows naming missing rows "
                                   f"(first in table {dangling[0][0]})")


def copy_sqlite(source: Path, target: Path) -> Snapshot:
    """A consistent copy of a live SQLite database at `target` (one self-contained file), checked."""
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(temp)) as dst:
            src.backup(dst)  # pages=-1: every page in one step, so one snapshot however busy the writers are
            dst.execute("PRAGMA journal_mode=DELETE")  # no -wal beside it: the file alone is the database
        check_sqlite(temp)
        snapshot = sqlite_snapshot(temp)
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return snapshot


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq form of a SQLAlchemy PostgreSQL URL, and the environment that carries its password (a password
    on a command line would show in `ps`)."""
    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigError(f"{name} is not installed: backing up and restoring PostgreSQL needs PostgreSQL's client "
                          "programs, of the server's version or newer (apt install postgresql-client)")
    return found


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ProcessingFailed(f"{what} failed: {last}")


@contextmanager
def _repeatable_read(engine: Engine) -> Iterator[Any]:
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        yield conn


def dump_postgres(engine: Engine, url: str, target: Path) -> Snapshot:
    """pg_dump (custom format) of the database at `target`, and what that same snapshot holds."""
    uri, env = _libpq(url)
    pg_dump = _tool("pg_dump")
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with _repeatable_read(engine) as conn:
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            snapshot = _read(lambda sql: [tuple(r) for r in conn.execute(text(sql))], PG_TABLES)
            # The transaction stays open while pg_dump runs: its exported snapshot lives only as long.
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}",
                  f"--file={temp}", f"--dbname={uri}"], env, "pg_dump")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return snapshot


def postgres_holds_data(engine: Engine) -> bool:
    """Whether a PostgreSQL database already holds triage rows (its tables may exist empty: a command ran)."""
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text(PG_TABLES))}
        return any(conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {t})")).scalar() for t in COUNTED if t in tables)


def restore_postgres(engine: Engine, url: str, source: Path) -> None:
    """pg_restore a dump into an empty database (tables triage created but never filled are replaced)."""
    if postgres_holds_data(engine):
        raise Conflict("the database TRIAGE_DATABASE_URL names already holds triage data; restore into an empty "
                       "database (createdb a new one, or drop this one's tables first)")
    uri, env = _libpq(url)
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", f"--dbname={uri}", str(source)], env, "pg_restore")
