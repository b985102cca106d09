"""Row helpers shared by the store's modules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from sqlalchemy import String
from sqlalchemy.orm import Session

from triage.errors import BadRequest
from triage.store.schema import Base

T = TypeVar("T")
BATCH = 500  # values per IN (...) list: well under what SQLite binds in one statement


def batches(values: Iterable[T], size: int = BATCH) -> list[list[T]]:
    """`values` (duplicates dropped, order kept) in lists short enough for one IN (...) each."""
    unique = list(dict.fromkeys(values))
    return [unique[i:i + size] for i in range(0, len(unique), size)]


def column_length(model: type[Base], column: str) -> int:
    """The most characters a string column holds (PostgreSQL refuses more; SQLite would keep them silently)."""
    return int(cast(String, model.__table__.c[column].type).length or 0)


def check_length(model: type[Base], column: str, value: str | None, what: str) -> None:
    """Refuse, in words, a value its column cannot hold, before the database refuses the whole transaction."""
    limit = column_length(model, column)
    if value is not None and limit and len(value) > limit:
        raise BadRequest(f"{what} is longer than {limit} characters")


def insert_if_absent(session: Session, model: type[Base], **values: Any) -> bool:
    """Insert a row unless its unique key exists; True when this call added it.

    Another writer can add the same key between a lookup and an insert (two ingests of one folder, one file
    uploaded twice at once, two curators on one pair): the database settles it, where a plain INSERT fails.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        result = session.execute(sqlite_insert(model).values(**values).on_conflict_do_nothing())
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        result = session.execute(pg_insert(model).values(**values).on_conflict_do_nothing())
    else:  # no portable ON CONFLICT: a plain insert, which a concurrent writer can still fail
        session.add(model(**values))
        session.flush()
        return True
    return bool(result.rowcount)  # type: ignore[attr-defined]
