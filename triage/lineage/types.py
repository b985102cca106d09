"""The shapes every lineage matcher returns and the graph consumes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReuseKind(StrEnum):
    """What was reused: sound (seconds), pictures (seconds) or words (character offsets, or seconds when spoken)."""

    AUDIO = "audio"
    VIDEO = "video"
    TEXT = "text"


@dataclass(frozen=True)
class Span:
    """A half-open range [start, end): seconds for sound and pictures, character offsets for written words."""

    start: float
    end: float
    unit: str = "s"  # "s" (seconds) or "chars"

    @property
    def length(self) -> float:
        return max(0.0, self.end - self.start)

    def overlap(self, other: Span) -> float:
        """How much of the two ranges is shared."""
        return max(0.0, min(self.end, other.end) - max(self.start, other.start))


@dataclass(frozen=True)
class Reuse:
    """B (the user) contains part of A (the source): one localised match found by one matcher.

    `share` is how much of B is A's material (the used range's length over B's length in the same unit).
    `score` is the matcher's own strength (e.g. aligned hashes per second), for ranking and thresholds.
    `evidence` says it in words for a curator.
    """

    source: str  # the source piece's key (the caller's id: sha256 or submission id)
    user: str  # the piece that builds on the source
    kind: ReuseKind
    source_span: Span
    user_span: Span
    share: float
    score: float
    evidence: str = ""


def distinct(reuses: list[Reuse]) -> list[Reuse]:
    """One reuse per stretch of the user: the same source found several ways (neighbouring cells, several views)
    is kept once, the strongest; in order of the user's time."""
    kept: list[Reuse] = []
    for r in sorted(reuses, key=lambda r: -r.score * r.user_span.length):
        if any(k.source == r.source and k.user_span.overlap(r.user_span) > 0.5 * min(k.user_span.length,
                                                                                    r.user_span.length)
               for k in kept):
            continue
        kept.append(r)
    return sorted(kept, key=lambda r: (r.user_span.start, r.source))
