"""How far the team, and one curator, got through a call-out: cards decided and left, votes and disagreements."""

from __future__ import annotations

from dataclasses import dataclass

from triage.encoders.base import Encoders
from triage.scoring.dedup import DuplicateGroup
from triage.service.assignments import assigned
from triage.service.cache import PoolCache, View
from triage.store.store import Store


@dataclass(frozen=True)
class Progress:
    """Counts of cards: a duplicate group is one card, as on the page."""

    callout_id: str
    curator: str
    entries: int
    decided: int
    assigned: int  # cards assigned to `curator`
    assigned_decided: int
    voted: int  # cards with at least one curator's rating
    split: int  # cards the team disagrees on (someone would take it, someone would not)

    @property
    def left(self) -> int:
        return self.entries - self.decided

    @property
    def assigned_left(self) -> int:
        return self.assigned - self.assigned_decided


def progress(store: Store, models: Encoders | None, callout_id: str, curator: str,
             cache: PoolCache | None = None, view: View | None = None) -> Progress:
    """The call-out's progress as `curator` sees it (no scoring: only the pool, its groups, decisions, votes)."""
    view = view or View(store, models, callout_id, cache)
    items = list(view.pool().items)
    card = view.of_pool(("cards",), lambda: _cards(items, view.groups()))
    decided = view.decisions()
    tallies = view.tallies()
    with store.db.session() as session:
        mine = assigned(session, callout_id, curator)
    cards = set(card.values())
    done = {card[i] for i in items if decided.get(i, "unrated") != "unrated"}
    own = {card[i] for i in mine if i in card}
    return Progress(callout_id, curator, entries=len(cards), decided=len(done), assigned=len(own),
                    assigned_decided=len(own & done), voted=len({card[i] for i in tallies if i in card}),
                    split=len({card[i] for i, t in tallies.items() if t.split and i in card}))


def _cards(items: list[str], groups: list[DuplicateGroup]) -> dict[str, str]:
    """Each piece's card: its duplicate group's representative, or itself."""
    card = {i: i for i in items}
    for g in groups:
        card.update(dict.fromkeys(g.members, g.representative))
    return card
