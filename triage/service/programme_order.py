"""A programme's suggested running order and its pieces' matched moments, from each piece's own call-out: its
relevance, its sub-theme (cluster) and the team's votes."""

from __future__ import annotations

from dataclasses import dataclass

from triage.encoders.base import Encoders
from triage.programmes.credits import person
from triage.programmes.order import Candidate, clashes, suggest
from triage.scoring.relevance import PoolScores
from triage.service.cache import PoolCache, View
from triage.service.programme_pieces import sources
from triage.service.search import moment
from triage.store import programmes as rows
from triage.store.store import Store


@dataclass(frozen=True)
class Suggestion:
    """A running order to accept or change, and how often a contributor follows themself in it and now."""

    order: tuple[str, ...]
    clashes_before: int
    clashes_after: int


def suggestion(store: Store, models: Encoders, programme_id: str, cache: PoolCache | None = None) -> Suggestion:
    """The programme's pieces in a suggested order (pieces no call-out ranks, e.g. removed ones, go last)."""
    with store.db.session() as session:
        placed = [(i.submission_id, i.position) for i in rows.items(session, programme_id)]
        merged = rows.aliases(session)
    found = sources(store, [sid for sid, _ in placed])
    by_callout: dict[str, list[str]] = {}
    for sid, _ in placed:
        if sid in found:
            by_callout.setdefault(found[sid].callout_id, []).append(sid)
    candidates = {}
    for callout_id, ids in by_callout.items():
        view = View(store, models, callout_id, cache)
        scores, _, clusters = view.scores()
        index = {sid: i for i, sid in enumerate(scores.ids)}
        theme = {m: f"{callout_id}:{c.id}" for c in clusters for m in c.members}
        tallies = view.tallies()
        for sid in ids:
            at = index.get(sid)
            tally = tallies.get(sid)
            candidates[sid] = Candidate(sid, float(scores.scored(at).score) if at is not None else 0.0,
                                        tally.mean if tally is not None else None, theme.get(sid, callout_id),
                                        person(found[sid].maker, merged))
    now = [candidates[sid] for sid, _ in placed if sid in candidates]
    order = suggest(now)
    after = [candidates[sid] for sid in order]
    return Suggestion(tuple(order + [sid for sid, _ in placed if sid not in candidates]), clashes(now),
                      clashes(after))


def moment_of(store: Store, models: Encoders, callout_id: str, submission_id: str,
              cache: PoolCache | None = None) -> tuple[float, float] | None:
    """The moment that made a piece rank for its call-out, or None (a text, a picture, a piece not ranked)."""
    scores: PoolScores = View(store, models, callout_id, cache).scores()[0]
    ids = scores.ids
    if submission_id not in ids:
        return None
    found = moment(scores.scored(ids.index(submission_id)).why)
    return (found["start"], found["end"]) if found else None
