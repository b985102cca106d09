"""Reading remix lineage: what a piece builds on, what uses it, and its credits (issue 19's contract).

Matches are stored per content (bytes) as the matchers found them; the graph is built when read, so marking a
platform asset, erasing a source or a new piece changes the answer at once, and a restart changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.domain import Status
from triage.errors import Conflict, NotFound
from triage.lineage.graph import PieceInfo, build_lineage, lineage_dict
from triage.lineage.types import Reuse, Span
from triage.service.duplicates import pool_groups
from triage.service.pool import load_pool
from triage.store import lineage as rows
from triage.store.schema import Artifact, Content, Submission
from triage.store.store import Store
from triage.store.submissions import lookup

# Reading stops after this many pieces joined through matches: credits reach back through sources of sources,
# but a chain this long is a data problem (e.g. an unmarked platform asset), not a lineage.
MAX_COMPONENT = 5_000


def lineage(store: Store, ref: str, callout_id: str | None = None) -> dict[str, Any]:
    """`triage lineage REF --json`: the piece, what it builds on, what builds on it, and its credits. Each item
    names the piece on the far side by external id and by submission id (its first ready submission)."""
    with store.db.session() as session:
        row = lookup(session, ref, callout_id)
        if row.sha256 is None:
            raise NotFound(f"submission {ref!r} has no stored file (erased, or never received whole)")
        if row.status != Status.READY.value:
            raise Conflict(f"submission {ref!r} is {row.status}: its lineage is found once it is ready")
        reuses, shas = components(session, {row.sha256})
        known = pieces_of(session, shas)
        assets = rows.asset_shas(session)
        submission_id, sha = row.id, row.sha256
        reuses = without_copies(session, reuses)
    graph = build_lineage(unmasked(_named(reuses, known.names), assets), known.pieces, assets=assets)
    found = lineage_dict(graph, sha, known.pieces, submission_id)
    for item, edge in zip(found["builds_on"], graph.builds_on(sha), strict=True):
        item["submission_id"] = known.ids[edge.source]
    for item, edge in zip(found["used_by"], graph.used_by(sha), strict=True):
        item["submission_id"] = known.ids[edge.user]
    found["platform_asset"] = sha in assets
    return found


def components(session: Session, roots: set[str]) -> tuple[list[Reuse], set[str]]:
    """Every stored match reachable from the roots through matches, and the contents they join."""
    seen, frontier = set(roots), list(roots)
    found: dict[tuple[Any, ...], Reuse] = {}  # a match between two pieces of the frontier comes back twice
    while frontier and len(seen) < MAX_COMPONENT + len(roots):
        step = rows.matches_touching(session, frontier)
        frontier = []
        for reuse in step:
            found.setdefault((reuse.source, reuse.user, reuse.kind, reuse.source_span, reuse.user_span), reuse)
            for other in (reuse.source, reuse.user):
                if other not in seen:
                    seen.add(other)
                    frontier.append(other)
    return list(found.values()), seen


@dataclass(frozen=True)
class Known:
    """The live pieces among some contents: what the graph needs of each, the name a person knows it by, and the
    submission that stands for it (its first ready one)."""

    pieces: dict[str, PieceInfo]
    names: dict[str, str]
    ids: dict[str, str]


def pieces_of(session: Session, shas: Iterable[str]) -> Known:
    """Each content's first ready submission (its contributor and external id), when the bytes arrived, and its
    length in seconds and characters. Erased or never-finished ones are left out, so matches to them make no edge."""
    wanted = list(set(shas))
    first: dict[str, Submission] = {}
    for sub in session.scalars(select(Submission).where(Submission.sha256.in_(wanted), Submission.status == "ready")
                               .order_by(Submission.created_at)):
        first.setdefault(str(sub.sha256), sub)
    arrived = dict(session.execute(select(Content.sha256, Content.created_at).where(Content.sha256.in_(wanted))).all())
    chars = _text_lengths(session, list(first))
    names = {sha: sub.external_id or sub.original_filename or sub.id for sha, sub in first.items()}
    # Pieces with no contributor named are not one person: each is credited as its own unnamed maker.
    pieces = {sha: PieceInfo(contributor=sub.contributor or f"unnamed ({names[sha]})",
                             created=arrived[sha].timestamp(), external_id=sub.external_id or sub.id,
                             duration=float((sub.probe or {}).get("duration") or 0.0), chars=chars.get(sha, 0))
              for sha, sub in first.items()}
    return Known(pieces, names, {sha: sub.id for sha, sub in first.items()})


def _named(reuses: list[Reuse], names: dict[str, str]) -> list[Reuse]:
    """The evidence with each piece's name where the matcher wrote its key."""
    return [replace(r, evidence=r.evidence.replace(r.source, names.get(r.source, "a removed piece"))
                    .replace(r.user, names.get(r.user, "a removed piece"))) for r in reuses]


def without_copies(session: Session, reuses: list[Reuse]) -> list[Reuse]:
    """The matches that are not between copies of one piece: what the duplicate finder groups (re-uploads,
    re-encodes, trims, retyped texts, with the curators' "merge" and "not a duplicate" verdicts) is a copy, not a
    remix, and is shown as a duplicate group instead."""
    joined = {s for r in reuses for s in (r.source, r.user)}
    if len(joined) < 2:
        return reuses
    pool = load_pool(session, None, shas=joined)
    group_of: dict[str, str] = {}
    for group in pool_groups(session, pool):
        for member in group.members:
            group_of[str(pool.submissions[member].sha256)] = group.representative
    return [r for r in reuses if r.source not in group_of or group_of[r.source] != group_of.get(r.user)]


def unmasked(reuses: list[Reuse], assets: set[str]) -> list[Reuse]:
    """Matches that do not lie inside what both pieces took from a platform asset. Assets marked before a piece
    was matched are masked by the matchers; one marked later is masked here: two pieces that both use the
    call-out's theme song share it with the asset, not with each other."""
    taken: dict[str, list[Span]] = {}
    for r in reuses:
        if r.source in assets and r.user not in assets:
            taken.setdefault(r.user, []).append(r.user_span)
        elif r.user in assets and r.source not in assets:
            taken.setdefault(r.source, []).append(r.source_span)
    return [r for r in reuses if not (_inside(r.user_span, taken.get(r.user, []))
                                      and _inside(r.source_span, taken.get(r.source, [])))]


def _inside(span: Span, spans: list[Span]) -> bool:
    """Whether most of `span` lies in `spans` (same unit)."""
    covered = sum(max(0.0, min(span.end, s.end) - max(span.start, s.start)) for s in spans if s.unit == span.unit)
    return span.length > 0 and covered >= 0.5 * span.length


def _text_lengths(session: Session, shas: list[str]) -> dict[str, int]:
    query = select(Artifact.sha256, Artifact.data).where(Artifact.sha256.in_(shas), Artifact.kind == "text")
    return {sha: len((data or {}).get("text") or "") for sha, data in session.execute(query)}


def mark_asset(store: Store, ref: str, by: str, *, marked: bool = True) -> dict[str, Any]:
    """Mark (or unmark) a piece's bytes as a platform asset: they and what they match make no lineage edges."""
    with store.db.session() as session:
        row = lookup(session, ref)
        if row.sha256 is None:
            raise NotFound(f"submission {ref!r} has no stored file")
        changed = rows.mark_asset(session, row.sha256, by) if marked else rows.unmark_asset(session, row.sha256)
        return {"submission_id": row.id, "external_id": row.external_id, "platform_asset": marked,
                "changed": changed}
