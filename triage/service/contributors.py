"""Contributor names as people: a curator merges names that are one person ("Ann Lee", "ann  lee"), so credits
and payouts count them once; nothing is merged by guesswork."""

from __future__ import annotations

from sqlalchemy import func, select

from triage.errors import BadRequest
from triage.store import programmes as rows
from triage.store.rows import check_length
from triage.store.schema import ContributorAlias, Submission
from triage.store.store import Store


def merge(store: Store, names: list[str], person: str, by: str = "") -> dict[str, str]:
    """Say that every name in `names` is `person` (one of them, or a new spelling); the merges now in force."""
    person = person.strip()
    names = [n for n in dict.fromkeys(names) if n]
    if not person or not names:
        raise BadRequest("name the contributor names to merge and the one name they stand for")
    check_length(ContributorAlias, "person", person, "the merged name")
    for name in names:
        check_length(ContributorAlias, "name", name, "a contributor name")
    with store.db.session() as session:
        rows.merge_names(session, names, person, by)
        session.commit()
        return rows.aliases(session)


def unmerge(store: Store, names: list[str]) -> dict[str, str]:
    """Take names out of their merges: each is its own person again."""
    with store.db.session() as session:
        rows.unmerge_names(session, names)
        session.commit()
        return rows.aliases(session)


def merged(store: Store) -> dict[str, str]:
    """Every merge in force: {name as submitted: the person it is credited as}."""
    with store.db.session() as session:
        return rows.aliases(session)


def names(store: Store, like: str | None = None, limit: int = 200) -> list[dict[str, object]]:
    """Contributor names as submitted, with how many pieces each sent and the person a curator merged it into;
    `like` finds names that differ only in case and spacing from it (merging candidates, for a person to judge)."""
    with store.db.session() as session:
        merged = rows.aliases(session)
        query = select(Submission.contributor, func.count()).where(Submission.contributor.is_not(None)) \
            .group_by(Submission.contributor).order_by(Submission.contributor).limit(limit)
        if like:
            query = query.where(func.lower(func.replace(Submission.contributor, " ", "")) ==
                                "".join(like.split()).casefold())
        return [{"name": name, "pieces": count, "person": merged.get(name, name)}
                for name, count in session.execute(query) if name is not None]
