"""Scores for "builds on" edges: predicted edges against an answer key.

An edge is directed and typed: (user, source, kind). A wrong direction is a miss and a false edge. Ranges are
scored only on matched edges, per side, in that side's unit ("s" or "chars"); a side whose answer range is None
(a still picture has no time) is not scored. Pure: plain dataclasses in, a dataclass out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Key = tuple[str, str, str]
Range = tuple[float, float]


@dataclass(frozen=True)
class Edge:
    """`user` builds on `source`: `source_range` in the source, `range` in the user; units say seconds or chars."""

    user: str
    source: str
    kind: str
    source_range: Range | None = None
    range: Range | None = None
    source_unit: str = "s"
    unit: str = "s"

    @property
    def key(self) -> Key:
        return (self.user, self.source, self.kind)


@dataclass(frozen=True)
class Counts:
    """True and false edges of one group (all edges, or one kind)."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0


@dataclass(frozen=True)
class LineageScores:
    """Edge precision and recall, boundary errors of matched edges, and edges that touch platform assets."""

    counts: Counts
    by_kind: dict[str, Counts]
    range_error_s: float | None  # the largest boundary error over matched sides in seconds
    range_error_chars: float | None  # the same for sides in characters
    ranges_within: float | None  # share of matched, ranged edges with every boundary given and within tolerance
    ranges_missing: int  # matched edges whose prediction lacks a range the answer has
    asset_edges: int
    missed: list[Key] = field(default_factory=list)
    false: list[Key] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready numbers."""
        return {"precision": self.counts.precision, "recall": self.counts.recall, **_counts(self.counts),
                "by_kind": {k: {"precision": c.precision, "recall": c.recall, **_counts(c)}
                            for k, c in sorted(self.by_kind.items())},
                "range_error_s": self.range_error_s, "range_error_chars": self.range_error_chars,
                "ranges_within": self.ranges_within, "ranges_missing": self.ranges_missing,
                "asset_edges": self.asset_edges, "missed": [list(k) for k in self.missed],
                "false": [list(k) for k in self.false]}


def _counts(c: Counts) -> dict[str, int]:
    return {"true_positives": c.true_positives, "false_positives": c.false_positives,
            "false_negatives": c.false_negatives}


def boundary_error(truth: Range, predicted: Range) -> float:
    """The larger of the start and end differences."""
    return max(abs(truth[0] - predicted[0]), abs(truth[1] - predicted[1]))


def side_errors(truth: Edge, predicted: Edge) -> list[tuple[str, float | None]]:
    """(unit, error) for each side the answer ranges; error None where the prediction has no range."""
    sides = [(truth.source_unit, truth.source_range, predicted.source_range),
             (truth.unit, truth.range, predicted.range)]
    return [(unit, None if guess is None else boundary_error(want, guess))
            for unit, want, guess in sides if want is not None]


def best_match(truth: Edge, candidates: list[Edge]) -> list[tuple[str, float | None]]:
    """Side errors of the candidate (same key) whose worst known boundary error is smallest."""
    options = [side_errors(truth, c) for c in candidates]
    return min(options, key=lambda errs: (sum(e is None for _, e in errs), max((e for _, e in errs if e is not None),
                                                                              default=0.0)))


def _grouped(edges: Iterable[Edge]) -> dict[Key, list[Edge]]:
    groups: dict[Key, list[Edge]] = {}
    for edge in edges:
        groups.setdefault(edge.key, []).append(edge)
    return groups


def _by_kind(truth: set[Key], predicted: set[Key]) -> dict[str, Counts]:
    kinds = {k[2] for k in truth | predicted}
    return {kind: Counts(len({k for k in truth & predicted if k[2] == kind}),
                         len({k for k in predicted - truth if k[2] == kind}),
                         len({k for k in truth - predicted if k[2] == kind})) for kind in kinds}


def score_lineage(truth: Iterable[Edge], predicted: Iterable[Edge], *, assets: Iterable[str] = (),
                  tolerated: Iterable[Key] = (), tolerance_s: float = 1.0, tolerance_chars: float = 20.0
                  ) -> LineageScores:
    """Score `predicted` against `truth`. A predicted key listed in `tolerated` (and not in truth) counts neither
    way; repeated predictions of one key count once, their best range is scored."""
    want, got = _grouped(truth), _grouped(predicted)
    excused = set(tolerated) - set(want)
    got_keys = set(got) - excused
    errors = [best_match(want[k][0], got[k]) for k in sorted(set(want) & got_keys)]
    tolerance = {"s": tolerance_s, "chars": tolerance_chars}
    scored = [errs for errs in errors if errs]
    asset_set = set(assets)
    return LineageScores(
        counts=Counts(len(set(want) & got_keys), len(got_keys - set(want)), len(set(want) - got_keys)),
        by_kind=_by_kind(set(want), got_keys),
        range_error_s=_worst(errors, "s"), range_error_chars=_worst(errors, "chars"),
        ranges_within=(sum(all(e is not None and e <= tolerance.get(u, 0.0) for u, e in errs) for errs in scored)
                       / len(scored)) if scored else None,
        ranges_missing=sum(any(e is None for _, e in errs) for errs in errors),
        asset_edges=len({k for k in got if k[0] in asset_set or k[1] in asset_set}),
        missed=sorted(set(want) - got_keys), false=sorted(got_keys - set(want)))


def _worst(errors: list[list[tuple[str, float | None]]], unit: str) -> float | None:
    found = [e for errs in errors for u, e in errs if u == unit and e is not None]
    return max(found) if found else None
