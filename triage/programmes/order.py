"""A suggested running order: sub-themes kept together, a strong opener and closer, and no contributor twice in a
row where the pieces allow it. A suggestion only: the curator accepts it or moves pieces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """A piece to place: its relevance to its call-out (0..1), the team's mean rating (1-5, None: unrated), its
    sub-theme (cluster) and its contributor as one person."""

    submission_id: str
    score: float
    rating: float | None
    theme: str
    person: str


def strength(pieces: Sequence[Candidate]) -> dict[str, float]:
    """How strong each piece is, 0..1: half its relevance's rank among these pieces, half the team's rating (its
    relevance rank again when nobody rated it). Ranks, so relevance from different call-outs compares fairly."""
    if not pieces:
        return {}
    ordered = sorted(pieces, key=lambda p: p.score)
    rank = {p.submission_id: (i / (len(pieces) - 1) if len(pieces) > 1 else 1.0) for i, p in enumerate(ordered)}
    return {p.submission_id: (rank[p.submission_id]
                              + ((p.rating - 1) / 4 if p.rating is not None else rank[p.submission_id])) / 2
            for p in pieces}


def suggest(pieces: Sequence[Candidate]) -> list[str]:
    """The pieces' submission ids in a suggested order."""
    if len(pieces) <= 2:
        power = strength(pieces)
        return [p.submission_id for p in sorted(pieces, key=lambda p: -power[p.submission_id])]
    power = strength(pieces)
    by_power = sorted(pieces, key=lambda p: (-power[p.submission_id], p.submission_id))
    opener, closer = by_power[0], by_power[1]
    middle = [p for p in pieces if p.submission_id not in (opener.submission_id, closer.submission_id)]
    themes: dict[str, list[Candidate]] = {}
    for p in sorted(middle, key=lambda p: (-power[p.submission_id], p.submission_id)):
        themes.setdefault(p.theme, []).append(p)
    # the opener's sub-theme goes on from it; then the others, strongest first
    blocks = sorted(themes.values(), key=lambda b: (b[0].theme != opener.theme, -power[b[0].submission_id]))
    order = [opener, *(p for block in blocks for p in block), closer]
    return [p.submission_id for p in apart(order)]


def apart(order: Sequence[Candidate]) -> list[Candidate]:
    """Break up a contributor's pieces back to back: the second moves to before the nearest later piece by someone
    else (the opener and closer stay where they are; a clash at the closer swaps the piece before it with an earlier
    one). Left as it is where the pieces allow nothing else (one contributor's programme)."""
    out = list(order)
    for i in range(1, len(out)):
        if out[i].person != out[i - 1].person:
            continue
        if i < len(out) - 1:
            later = next((j for j in range(i + 1, len(out) - 1) if out[j].person != out[i - 1].person), None)
            if later is not None:
                out.insert(i, out.pop(later))
        else:
            for j in range(1, i - 1):
                trial = out[:]
                trial[j], trial[i - 1] = trial[i - 1], trial[j]
                if clashes(trial) < clashes(out):
                    out = trial
                    break
    return out


def clashes(order: Sequence[Candidate]) -> int:
    """How many times a contributor follows themself."""
    return sum(1 for a, b in zip(order, order[1:], strict=False) if a.person == b.person)
