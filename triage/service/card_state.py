"""What a curator sees change on a card as the team works: the shared decision (a duplicate group's, as one), the
notes on the piece and its copies, their own rating, the team's votes and who the piece is assigned to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from triage.encoders.base import Encoders
from triage.scoring.tally import Tally
from triage.service import assignments, notes, votes
from triage.service.cache import PoolCache, View
from triage.service.decisions import latest
from triage.service.notes import TimedNote
from triage.store.store import Store


@dataclass(frozen=True)
class CardState:
    submission_id: str
    decision: str  # "unrated" when nobody decided
    decided_by: str | None = None
    copies: tuple[str, ...] = ()  # the other members of its duplicate group (submission ids)
    notes: tuple[TimedNote, ...] = ()  # on the piece and its copies, oldest first
    my_vote: int | None = None
    team: Tally = field(default_factory=Tally)
    assignee: str | None = None


def card_states(store: Store, models: Encoders, callout_id: str, submission_ids: Iterable[str], curator: str,
                cache: PoolCache | None = None, view: View | None = None) -> dict[str, CardState]:
    """The state of each given card of a call-out, as `curator` sees it (group-wide where groups apply). A
    request that has a `view` of the call-out already passes it: its signature is not read twice."""
    view = view or View(store, models, callout_id, cache)
    wanted = list(dict.fromkeys(submission_ids))
    copies = {m: tuple(o for o in g.members if o != m) for g in view.groups() for m in g.members}
    decided = view.decisions()
    tallies = view.tallies()
    everyone = {sid for sid in wanted} | {c for sid in wanted for c in copies.get(sid, ())}
    with store.db.session() as session:
        rows = latest(session, list(everyone))
        said = notes.of(session, everyone)
        cast = votes.of(session, everyone)
        given = assignments.assignees(session, wanted)
    out = {}
    for sid in wanted:
        group = (sid, *copies.get(sid, ()))
        row = next((rows[m] for m in group if m in rows and rows[m].decision == decided.get(sid)), None)
        mine = max(((when, rating) for m in group for who, (when, rating) in cast.get(m, {}).items()
                    if who == curator), default=None)
        out[sid] = CardState(
            sid, decided.get(sid) or (rows[sid].decision if sid in rows else "unrated"),
            decided_by=row.decided_by if row is not None else None, copies=copies.get(sid, ()),
            notes=tuple(sorted((n for m in group for n in said.get(m, [])), key=lambda n: n.id)),
            my_vote=mine[1] if mine else None, team=tallies.get(sid, Tally()), assignee=given.get(sid))
    return out
