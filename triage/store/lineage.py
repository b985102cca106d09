"""Rows of remix lineage: the reuses found between stored contents, and the platform's own assets."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from triage.lineage.types import Reuse, ReuseKind, Span
from triage.store.schema import PlatformAsset, ReuseMatch


def replace_matches(session: Session, user_sha: str, found: Iterable[Reuse]) -> int:
    """Store what matching `user_sha` against the archive found, in place of what an earlier run found for it."""
    session.execute(delete(ReuseMatch).where(ReuseMatch.user_sha == user_sha))
    return _insert(session, found)


def replace_pair(session: Session, user_sha: str, source_sha: str, kind: ReuseKind, found: Iterable[Reuse]) -> int:
    """Store what `user_sha` was found to contain of `source_sha` (by one kind) when the source was matched after
    it (a text arriving after a reading of it), in place of what was stored for that pair and kind: the user's other
    matches stay, and a pair found from both sides is stored once."""
    found = list(found)
    if any((r.user, r.source, r.kind) != (user_sha, source_sha, kind) for r in found):
        raise ValueError(f"replace_pair({user_sha}, {source_sha}, {kind.value}) was given another pair's match")
    session.execute(delete(ReuseMatch).where(ReuseMatch.user_sha == user_sha, ReuseMatch.source_sha == source_sha,
                                             ReuseMatch.kind == kind.value))
    return _insert(session, found)


def _insert(session: Session, found: Iterable[Reuse]) -> int:
    count = 0
    for reuse in found:
        if reuse.source == reuse.user:
            continue  # a piece never builds on its own bytes
        session.add(ReuseMatch(source_sha=reuse.source, user_sha=reuse.user, kind=reuse.kind.value,
                               unit=reuse.user_span.unit, source_unit=reuse.source_span.unit,
                               source_start=reuse.source_span.start, source_end=reuse.source_span.end,
                               user_start=reuse.user_span.start, user_end=reuse.user_span.end,
                               share=reuse.share, score=reuse.score, evidence=reuse.evidence))
        count += 1
    return count


def as_reuse(row: ReuseMatch) -> Reuse:
    return Reuse(source=row.source_sha, user=row.user_sha, kind=ReuseKind(row.kind),
                 source_span=Span(row.source_start, row.source_end, row.source_unit),
                 user_span=Span(row.user_start, row.user_end, row.unit), share=row.share, score=row.score,
                 evidence=row.evidence)


def matches_touching(session: Session, shas: Iterable[str]) -> list[Reuse]:
    """Every stored reuse with one of these contents on either side."""
    wanted = list(set(shas))
    if not wanted:
        return []
    rows = session.scalars(select(ReuseMatch).where(or_(ReuseMatch.user_sha.in_(wanted),
                                                        ReuseMatch.source_sha.in_(wanted))).order_by(ReuseMatch.id))
    return [as_reuse(row) for row in rows]


def all_matches(session: Session) -> list[Reuse]:
    return [as_reuse(row) for row in session.scalars(select(ReuseMatch).order_by(ReuseMatch.id))]


def clear_matches(session: Session) -> int:
    """Forget every stored reuse (before a rebuild); returns how many there were."""
    return int(session.execute(delete(ReuseMatch)).rowcount or 0)  # type: ignore[attr-defined]


def forget_contents(session: Session, shas: Iterable[str]) -> int:
    """Remove the reuses and asset marks of contents that are going away (erasure)."""
    wanted = list(set(shas))
    if not wanted:
        return 0
    gone = session.execute(delete(ReuseMatch).where(or_(ReuseMatch.user_sha.in_(wanted),
                                                        ReuseMatch.source_sha.in_(wanted))))
    session.execute(delete(PlatformAsset).where(PlatformAsset.sha256.in_(wanted)))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def mark_asset(session: Session, sha256: str, marked_by: str) -> bool:
    """Mark bytes as a platform asset; False when they were marked already."""
    if session.get(PlatformAsset, sha256) is not None:
        return False
    session.add(PlatformAsset(sha256=sha256, marked_by=marked_by))
    return True


def unmark_asset(session: Session, sha256: str) -> bool:
    row = session.get(PlatformAsset, sha256)
    if row is None:
        return False
    session.delete(row)
    return True


def asset_shas(session: Session) -> set[str]:
    return set(session.scalars(select(PlatformAsset.sha256)))
