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
