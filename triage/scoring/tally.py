"""The team's votes on a piece: each curator's own 1-5 rating, their mean, and whether the team disagrees.

A rating of 4 or 5 says "yes", 1 or 2 "no", 3 "maybe". The team disagrees on a piece when someone says yes and
someone says no: the pieces worth talking about before the shared decision, whatever the mean hides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from triage.scoring.dedup import DuplicateGroup

RATINGS = (1, 2, 3, 4, 5)
YES_FROM = 4
NO_UP_TO = 2


@dataclass(frozen=True)
class Tally:
    votes: dict[str, int] = field(default_factory=dict)  # curator -> rating

    @property
    def mean(self) -> float | None:
        return sum(self.votes.values()) / len(self.votes) if self.votes else None

    @property
    def split(self) -> bool:
        """Someone would take the piece and someone would not."""
        ratings = self.votes.values()
        return any(r >= YES_FROM for r in ratings) and any(r <= NO_UP_TO for r in ratings)


def group_tallies(groups: Sequence[DuplicateGroup],
                  votes: Mapping[str, Mapping[str, tuple[float, int]]]) -> dict[str, Tally]:
    """Each item's tally with a duplicate group counted as one piece.

    `votes`: item -> curator -> (when, rating). A curator who rated two members of a group counts once, with
    the newer rating; every member of the group gets the group's tally. Items without votes are left out.
    """
    out = {i: Tally({who: rating for who, (_, rating) in by.items()}) for i, by in votes.items() if by}
    for g in groups:
        newest: dict[str, tuple[float, int]] = {}
        for member in g.members:
            for who, cast in votes.get(member, {}).items():
                if who not in newest or cast > newest[who]:
                    newest[who] = cast
        if newest:
            merged = Tally({who: rating for who, (_, rating) in sorted(newest.items())})
            out.update(dict.fromkeys(g.members, merged))
    return out
