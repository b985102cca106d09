"""Lineage for many pieces at once: how many pieces each card builds on and is used by (a page of cards), and the
credits and sources of each row of the exported sheet.

Cards are drawn by the workbench on every decision, so their counts come from two or three indexed queries over
the page's own matches, not from `lineage()` per card; they follow the graph's rules for the plain cases (platform
assets masked, only ready pieces, the earlier piece the source) and may differ where `lineage()` reads more (two
pieces of one time, a cycle). The sheet is not on that path: its credits are the graph's own, read once for all
its rows together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from triage.lineage.graph import build_lineage
from triage.lineage.types import Reuse
from triage.service.lineage import components, pieces_of, unmasked, without_copies
from triage.store import lineage as rows
from triage.store.schema import Content, ReuseMatch, Submission
from triage.store.store import Store


@dataclass(frozen=True)
class Counts:
    """How many pieces one piece builds on, and how many build on it."""

    builds_on: int = 0
    used_by: int = 0


def lineage_counts(store: Store, submission_ids: Sequence[str]) -> dict[str, Counts]:
    """Counts for each submission that has lineage edges (the others are left out)."""
    with store.db.session() as session:
        shas = {sid: str(sha) for sid, sha in session.execute(select(Submission.id, Submission.sha256).where(
            Submission.id.in_(list(submission_ids)), Submission.sha256.is_not(None)))}
        found = rows.matches_touching(session, shas.values())
        if not found:  # the common case: nothing on the page is a remix or remixed
            return {}
        assets = rows.asset_shas(session)
        found = _distinct(without_copies(session, found)
                          + _asset_matches(session, {s for r in found for s in (r.source, r.user)}, assets))
        created = _ready_times(session, {s for r in found for s in (r.source, r.user)})
    sources: dict[str, set[str]] = defaultdict(set)
    users: dict[str, set[str]] = defaultdict(set)
    for reuse in unmasked(found, assets):
        source, user = reuse.source, reuse.user
        if source == user or source in assets or user in assets or source not in created or user not in created:
            continue  # what the graph drops too (see lineage/graph.py, _unusable)
        if created[source] > created[user]:  # the earlier piece is the source; at one time, the matcher's order
            source, user = user, source
        sources[user].add(source)
        users[source].add(user)
    counts = {sid: Counts(len(sources.get(sha, ())), len(users.get(sha, ()))) for sid, sha in shas.items()}
    return {sid: c for sid, c in counts.items() if c.builds_on or c.used_by}


def _asset_matches(session: Session, shas: set[str], assets: set[str]) -> list[Reuse]:
    """The matches between these contents and platform assets: what they took from an asset is masked between
    them (two pieces using the call-out's theme song are not each other's sources)."""
    if not assets:
        return []
    wanted, marked = list(shas), list(assets)
    query = select(ReuseMatch).where(or_(and_(ReuseMatch.source_sha.in_(marked), ReuseMatch.user_sha.in_(wanted)),
                                         and_(ReuseMatch.user_sha.in_(marked), ReuseMatch.source_sha.in_(wanted))))
    return [rows.as_reuse(row) for row in session.scalars(query)]


def _distinct(reuses: list[Reuse]) -> list[Reuse]:
    """Each match once: one between a piece and an asset is found by both queries, and counted twice it would
    mask more than the graph does."""
    return list({(r.source, r.user, r.kind, r.source_span, r.user_span): r for r in reuses}.values())


def _ready_times(session: Session, shas: set[str]) -> dict[str, datetime]:
    """When each content's bytes arrived, for those with a ready submission (an erased or failed piece makes no
    edge)."""
    ready = select(Submission.sha256).where(Submission.sha256.in_(list(shas)), Submission.status == "ready")
    return dict(session.execute(select(Content.sha256, Content.created_at).where(Content.sha256.in_(ready))).all())


@dataclass(frozen=True)
class SheetLineage:
    """A sheet row's credits, largest share first, and the external ids of what it builds on."""

    credits: tuple[tuple[str, float], ...]
    builds_on: tuple[str, ...]


def sheet_lineage(store: Store, shas: Iterable[str]) -> dict[str, SheetLineage]:
    """Each content's credits and sources, as `lineage()` gives them, from one graph over all their matches."""
    roots = set(shas)
    with store.db.session() as session:
        reuses, joined = components(session, roots)
        reuses = without_copies(session, reuses)
        pieces = pieces_of(session, joined).pieces
        assets = rows.asset_shas(session)
    graph = build_lineage(unmasked(reuses, assets), pieces, assets=assets)
    out = {}
    for sha in roots & set(pieces):
        sources = dict.fromkeys(pieces[e.source].external_id or e.source for e in graph.builds_on(sha))
        out[sha] = SheetLineage(tuple((c.contributor, c.share) for c in graph.credits[sha]), tuple(sources))
    return out


def credits_text(credits: Iterable[tuple[str, float]]) -> str:
    """Credits as a person reads them: "ann 58%; bob 42%"."""
    return "; ".join(f"{name} {round(100 * share)}%" for name, share in credits)
