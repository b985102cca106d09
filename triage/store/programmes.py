"""Rows of programmes: the programme, its pieces in order, and curators' merges of contributor names."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from triage.errors import NotFound
from triage.store.schema import ContributorAlias, Programme, ProgrammeItem

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """A programme's id from its name: "Episode 1: Rain!" -> "episode-1-rain"."""
    return _NOT_SLUG.sub("-", name.casefold()).strip("-")[:56] or "programme"


def free_id(session: Session, name: str) -> str:
    """The name's slug, numbered when a programme has it already."""
    base = slug(name)
    taken = set(session.scalars(select(Programme.id).where(Programme.id.like(f"{base}%"))))
    return base if base not in taken else next(f"{base}-{n}" for n in range(2, len(taken) + 3)
                                               if f"{base}-{n}" not in taken)


def get_programme(session: Session, programme_id: str) -> Programme:
    row = session.get(Programme, programme_id)
    if row is None:
        raise NotFound(f"no programme {programme_id!r}; `triage programme list` shows them")
    return row


def list_programmes(session: Session, callout_id: str | None = None) -> list[Programme]:
    query = select(Programme).order_by(Programme.created_at, Programme.id)
    if callout_id is not None:
        query = query.where(Programme.callout_id == callout_id)
    return list(session.scalars(query))


def items(session: Session, programme_id: str) -> list[ProgrammeItem]:
    """A programme's pieces in running order."""
    return list(session.scalars(select(ProgrammeItem).where(ProgrammeItem.programme_id == programme_id)
                                .order_by(ProgrammeItem.position, ProgrammeItem.id)))


def renumber(ordered: list[ProgrammeItem]) -> None:
    """Positions 1..n in the given order."""
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            item.position = position


def aliases(session: Session) -> dict[str, str]:
    """{name as submitted: the person a curator merged it into}."""
    return {row.name: row.person for row in session.scalars(select(ContributorAlias))}


def merge_names(session: Session, names: list[str], person: str, by: str) -> None:
    for name in names:
        if name == person:
            session.execute(delete(ContributorAlias).where(ContributorAlias.name == name))
            continue
        row = session.get(ContributorAlias, name)
        if row is None:
            session.add(ContributorAlias(name=name, person=person, merged_by=by))
        else:
            row.person, row.merged_by = person, by


def unmerge_names(session: Session, names: list[str]) -> int:
    gone = session.execute(delete(ContributorAlias).where(ContributorAlias.name.in_(names)))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
