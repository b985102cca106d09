"""Row helpers shared by the store's modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from triage.store.schema import Base


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
