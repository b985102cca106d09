"""Engine, sessions and migrations. SQLite in WAL mode by default; any SQLAlchemy URL (PostgreSQL) works."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from triage.errors import BadRequest, Degraded

MIGRATIONS = Path(__file__).parent / "migrations"
# What SQLite and PostgreSQL say when they cannot write for a reason outside the request (lower case).
_CANNOT_WRITE = {"readonly database": "the database is read-only", "read-only transaction": "the database is read-only",
                 "disk is full": "the database's disk is full", "no space left": "the database's disk is full",
                 "could not extend file": "the database's disk is full"}


def cannot_write(exc: BaseException) -> str | None:
    """Why the database refused a write when it is the database's state, not the request (None: another error)."""
    if not isinstance(exc, DBAPIError):
        return None
    said = str(exc.orig).lower()
    return next((reason for phrase, reason in _CANNOT_WRITE.items() if phrase in said), None)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers (the web page) run while an ingest writes; busy_timeout waits out short write locks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for `url`, creating the SQLite file's folder when needed."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # A pooled SQLite connection is a file handle and never goes stale; a server's connection can (and a ping costs
    # a round trip on every checkout, a few percent of a warm page's request on SQLite).
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """A migrated engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except DataError as exc:
                # A value the database cannot hold or compare, such as a NUL character in text (PostgreSQL refuses
                # it, and a client may put one in any field, path or query): a bad request, not our failure.
                session.rollback()
                raise BadRequest(f"the database refused a value: {str(exc.orig).splitlines()[0]}") from exc
            except DBAPIError as exc:
                session.rollback()
                reason = cannot_write(exc)
                if reason is None:
                    raise
                raise Degraded(f"{reason}: nothing was changed; reading works, and writing will again once "
                               f"the operators fix it") from exc
            except BaseException:
                session.rollback()
                raise

    def write_problem(self) -> str | None:
        """Whether a write would work now: a write that changes nothing, rolled back (None: it would)."""
        try:
            with self.engine.connect() as connection, connection.begin() as transaction:
                connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
                transaction.rollback()
        except DBAPIError as exc:
            return cannot_write(exc) or f"the database refuses writes: {str(exc.orig).splitlines()[0]}"
        return None

    def close(self) -> None:
        self.engine.dispose()
