"""A programme's credits: every contributor of every piece, and of what the pieces build on, with their share.

A piece's weight is what the programme is made of (seconds on screen, words, tracks); a remix passes part of its
weight to the people it builds on, as its lineage credits say. Names are people only as curators merged them:
"Ann Lee" and "ann lee" stay two lines until someone says they are one (`aliases`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from triage.programmes.plan import CreditLine

CONTRIBUTOR = "contributor"
BUILDS_ON = "builds on"
UNKNOWN = "(unknown contributor)"


@dataclass(frozen=True)
class Weighed:
    """One piece's part of the programme: its title, weight, and who made it (credits from lineage, shares summing
    to 1, the piece's own contributor among them; empty: its contributor alone)."""

    title: str
    contributor: str | None
    weight: float
    lineage: Sequence[tuple[str, float]] = ()


def person(name: str | None, aliases: Mapping[str, str]) -> str:
    """The person a submitted name stands for: the curator's merge, else the name exactly as given."""
    if not name or not name.strip():
        return UNKNOWN
    return aliases.get(name, name)


def credit_lines(pieces: Sequence[Weighed], aliases: Mapping[str, str] | None = None) -> list[CreditLine]:
    """One line per person, largest share first; the shares sum to 1 (every piece weighs the same when the whole
    programme weighs nothing, e.g. a book of pictures)."""
    aliases = aliases or {}
    total = sum(max(0.0, p.weight) for p in pieces)
    owed: dict[str, float] = {}
    titles: dict[str, list[str]] = {}
    own: set[str] = set()
    for piece in pieces:
        weight = max(0.0, piece.weight) / total if total > 0 else 1.0 / len(pieces)
        maker = person(piece.contributor, aliases)
        own.add(maker)
        for name, share in _split(maker, piece.lineage, aliases):
            owed[name] = owed.get(name, 0.0) + weight * share
            if piece.title not in titles.setdefault(name, []):
                titles[name].append(piece.title)
    lines = [CreditLine(name, share, tuple(titles[name]), CONTRIBUTOR if name in own else BUILDS_ON)
             for name, share in owed.items()]
    return sorted(lines, key=lambda line: (-line.share, line.name.casefold()))


def _split(maker: str, lineage: Sequence[tuple[str, float]], aliases: Mapping[str, str]) -> list[tuple[str, float]]:
    """A piece's weight among its people: lineage shares normalised, the maker taking what is not named."""
    named = [(person(name, aliases), max(0.0, share)) for name, share in lineage]
    given = sum(share for _, share in named)
    if given <= 0:
        return [(maker, 1.0)]
    if given < 1.0:
        named.append((maker, 1.0 - given))
        given = 1.0
    return [(name, share / given) for name, share in named]


def payout_rows(lines: Sequence[CreditLine], unit: str) -> list[dict[str, str]]:
    """The payout sheet: one row per person with their share (six places, so the column sums to 1 within 1e-6)."""
    return [{"name": line.name, "role": line.role, "share": f"{line.share:.6f}", "basis": unit,
             "pieces": "; ".join(line.pieces)} for line in lines]
