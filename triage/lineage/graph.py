"""The lineage graph: matches of any kind turned into directed "builds on" edges (user -> source), one per pair and
kind, and every piece's credits: its contributor plus, transitively, the contributors of what it builds on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from triage.lineage.types import Reuse, ReuseKind, Span


@dataclass(frozen=True)
class PieceInfo:
    """What the graph needs of a piece besides its matches."""

    contributor: str
    created: float  # any increasing clock (epoch seconds, an ingest sequence): the earlier piece is the source
    external_id: str = ""  # for the JSON form; the key when empty
    duplicate_group: str | None = None  # pieces of one group are copies of each other, never a remix
    duration: float = 0.0  # seconds, where known: the share of a match turned round (see `_oriented`)
    chars: int = 0  # characters of its text (or its pictures' text), where known


@dataclass(frozen=True)
class Edge:
    """`user` builds on `source` by one kind of material: the union of every match between them of that kind."""

    user: str
    source: str
    kind: ReuseKind
    source_ranges: tuple[Span, ...]
    user_ranges: tuple[Span, ...]
    share: float  # the union of user_ranges (in the first one's unit) over the user's length
    score: float  # the strongest match's
    evidence: str
    user_length: float = 0.0  # the user's length in its first range's unit, where known or implied by the matches


@dataclass(frozen=True)
class Credit:
    contributor: str
    share: float


@dataclass(frozen=True)
class Lineage:
    edges: tuple[Edge, ...]
    credits: Mapping[str, tuple[Credit, ...]]  # every known piece's, largest share first (see Credits)
    dropped: tuple[tuple[Reuse, str], ...] = field(default=())  # matches that made no edge, and why

    def builds_on(self, key: str) -> list[Edge]:
        return [e for e in self.edges if e.user == key]

    def used_by(self, key: str) -> list[Edge]:
        return [e for e in self.edges if e.source == key]


def build_lineage(reuses: Iterable[Reuse], pieces: Mapping[str, PieceInfo], *, assets: Iterable[str] = (),
                  aliases: Mapping[str, str] | None = None) -> Lineage:
    """Edges and credits from the matches of every matcher. A match is dropped (and said why in `dropped`) when it
    joins a piece to itself, touches a platform asset or a piece not in `pieces` (removed), joins two copies of one
    submission, or would close a cycle; a piece using several copies of one submission builds on the earliest only
    (whoever re-uploaded it is owed nothing). `aliases` maps a contributor's other names to one; without it two names
    are two people."""
    assets = set(assets)
    dropped: list[tuple[Reuse, str]] = []
    kept: list[Reuse] = []
    for reuse in reuses:
        reason = _unusable(reuse, pieces, assets)
        if reason:
            dropped.append((reuse, reason))
        else:
            kept.append(_oriented(reuse, pieces))
    edges = _acyclic(_one_per_copy_group(_merged(kept, pieces), pieces, dropped), pieces, dropped)
    return Lineage(tuple(edges), Credits(edges, pieces, aliases or {}), tuple(dropped))


def _unusable(reuse: Reuse, pieces: Mapping[str, PieceInfo], assets: set[str]) -> str:
    if reuse.source == reuse.user:
        return "a piece matching itself"
    if reuse.source in assets or reuse.user in assets:
        return "a platform asset"
    if reuse.source not in pieces or reuse.user not in pieces:
        return "a piece that is gone"
    group = pieces[reuse.source].duplicate_group
    if group is not None and group == pieces[reuse.user].duplicate_group:
        return "copies of one submission"
    return ""


def _length(info: PieceInfo, unit: str) -> float:
    return info.duration if unit == "s" else float(info.chars)


def _coverage(span: Span, info: PieceInfo) -> float:
    length = _length(info, span.unit)
    return span.length / length if length > 0 else 0.0


def _oriented(reuse: Reuse, pieces: Mapping[str, PieceInfo]) -> Reuse:
    """The match with the earlier piece as its source; at equal times, the piece the match covers more of (a poem
    read whole inside a longer film), then the matcher's own order (also where the source's length is unknown).
    Turned round, the share is recomputed from the new user's length (0 where the caller did not give it).
    A written text heard or seen in a recording (characters in the source, seconds in the user) keeps its direction
    whatever the upload order: the reading uses the words, even when the text was uploaded after it."""
    source, user = pieces[reuse.source], pieces[reuse.user]
    if source.created < user.created or _read_aloud(reuse):
        return reuse
    if source.created == user.created and (_length(source, reuse.source_span.unit) <= 0
                                           or _coverage(reuse.source_span, source) >= reuse.share):
        return reuse
    return replace(reuse, source=reuse.user, user=reuse.source, source_span=reuse.user_span,
                   user_span=reuse.source_span, share=min(1.0, _coverage(reuse.source_span, source)))


def _read_aloud(reuse: Reuse) -> bool:
    return reuse.kind is ReuseKind.TEXT and reuse.source_span.unit == "chars" and reuse.user_span.unit == "s"


def union(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Overlapping or touching spans of one unit joined, in order."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.unit, s.start)):
        if out and out[-1].unit == span.unit and span.start <= out[-1].end:
            out[-1] = Span(out[-1].start, max(out[-1].end, span.end), span.unit)
        else:
            out.append(span)
    return tuple(out)


def _merged(reuses: Sequence[Reuse], pieces: Mapping[str, PieceInfo]) -> list[Edge]:
    """One edge per (user, source, kind): ranges unioned. A piece's words may be matched in two units (its text in
    characters, its reading in seconds): the share is taken in the unit where the source covers most of it, and
    that unit's ranges come first."""
    groups: dict[tuple[str, str, ReuseKind], list[Reuse]] = defaultdict(list)
    for reuse in reuses:
        groups[(reuse.user, reuse.source, reuse.kind)].append(reuse)
    edges = []
    for (user, source, kind), found in groups.items():
        info = pieces[user]
        lengths = {unit: _length(info, unit) or _read_back(found, unit) for unit in {r.user_span.unit for r in found}}
        shares = {unit: _covered([r.user_span for r in found], unit, length) for unit, length in lengths.items()}
        unit = max(shares, key=lambda u: (shares[u], u))
        if lengths[unit] <= 0:  # no length known at all: the strongest match's own word for it
            shares[unit] = max(r.share for r in found if r.user_span.unit == unit)
        best = max(found, key=lambda r: r.score)
        evidence = "; ".join(dict.fromkeys(r.evidence for r in sorted(found, key=lambda r: r.user_span.start)
                                           if r.evidence))
        first = {r.source_span.unit for r in found if r.user_span.unit == unit}
        edges.append(Edge(user, source, kind, _units_first(union(r.source_span for r in found), first),
                          _units_first(union(r.user_span for r in found), {unit}), shares[unit], best.score,
                          evidence, lengths[unit]))
    return edges


def _read_back(found: Sequence[Reuse], unit: str) -> float:
    """A piece's length in `unit` as its matches imply it (a range's length over its share)."""
    return max((r.user_span.length / r.share for r in found if r.user_span.unit == unit and r.share > 0),
               default=0.0)


def _covered(spans: Iterable[Span], unit: str, length: float) -> float:
    """How much of a piece of `length` the spans in `unit` cover together, overlaps counted once."""
    if length <= 0:
        return 0.0
    return min(1.0, sum(s.length for s in union(s for s in spans if s.unit == unit)) / length)


def _units_first(spans: tuple[Span, ...], units: set[str]) -> tuple[Span, ...]:
    return tuple(sorted(spans, key=lambda s: s.unit not in units))


def _one_per_copy_group(edges: list[Edge], pieces: Mapping[str, PieceInfo],
                        dropped: list[tuple[Reuse, str]]) -> list[Edge]:
    """Of the edges from one user and kind to copies of one submission, the one to the earliest copy."""
    def rank(edge: Edge) -> tuple[float, str]:
        return pieces[edge.source].created, edge.source

    first: dict[tuple[str, ReuseKind, str], Edge] = {}
    for edge in sorted(edges, key=rank):
        group = pieces[edge.source].duplicate_group
        if group is None:
            continue
        slot = (edge.user, edge.kind, group)
        first.setdefault(slot, edge)
    kept = []
    for edge in edges:
        group = pieces[edge.source].duplicate_group
        if group is None or first[(edge.user, edge.kind, group)] is edge:
            kept.append(edge)
        else:
            dropped.append((_as_reuse(edge), "a later copy of a source already credited"))
    return kept


def _as_reuse(edge: Edge) -> Reuse:
    return Reuse(edge.source, edge.user, edge.kind, edge.source_ranges[0], edge.user_ranges[0], edge.share,
                 edge.score, edge.evidence)


def _acyclic(edges: list[Edge], pieces: Mapping[str, PieceInfo], dropped: list[tuple[Reuse, str]]) -> list[Edge]:
    """The edges without cycles. Time order makes a cycle impossible, so one means bad data (equal clocks): edges
    are taken strongest first and one that would close a cycle is dropped, so the weakest link goes. Only an edge
    between pieces of one time is checked: every path from an earlier source goes to pieces earlier still."""
    after: dict[str, set[str]] = defaultdict(set)  # piece -> what it builds on
    kept: list[Edge] = []
    for edge in sorted(edges, key=lambda e: (-e.share, -e.score, e.user, e.source, e.kind)):
        same_time = pieces[edge.source].created >= pieces[edge.user].created
        if same_time and _reaches(after, edge.source, edge.user):
            dropped.append((_as_reuse(edge), "would close a cycle"))
            continue
        after[edge.user].add(edge.source)
        kept.append(edge)
    return sorted(kept, key=lambda e: (e.user, -e.share, e.source, e.kind))


def _reaches(after: Mapping[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in after.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


class Credits(Mapping[str, tuple[Credit, ...]]):
    """Every piece's credits, largest share first, worked out when asked for (a long chain of remixes would make
    all of them together quadratic). A piece's contributor keeps 1 - the share of it taken from others (the union
    of the used ranges, in the unit where it takes most: sound and pictures of one second overlap); the rest goes to
    its sources in proportion to their shares, each source's part split again the same way."""

    def __init__(self, edges: Sequence[Edge], pieces: Mapping[str, PieceInfo], aliases: Mapping[str, str]) -> None:
        self._pieces = pieces
        self._aliases = aliases
        self._sources: dict[str, list[Edge]] = defaultdict(list)
        for edge in edges:
            self._sources[edge.user].append(edge)
        self._splits: dict[str, tuple[str, float, list[tuple[str, float]]]] = {}
        self._done: dict[str, tuple[Credit, ...]] = {}

    def _split(self, key: str) -> tuple[str, float, list[tuple[str, float]]]:
        """(its contributor, the part it keeps, [(source, the part passed to it)])."""
        if key not in self._splits:
            info = self._pieces[key]
            found = self._sources.get(key, [])
            weights: dict[str, float] = defaultdict(float)
            for edge in found:
                weights[edge.source] += edge.share
            total = sum(weights.values())
            used = min(1.0, max(_used(found, unit, info) for unit in ("s", "chars"))) if total > 0 else 0.0
            passed = [(source, used * weight / total) for source, weight in weights.items()]
            self._splits[key] = (self._aliases.get(info.contributor, info.contributor), 1.0 - used, passed)
        return self._splits[key]

    def __getitem__(self, key: str) -> tuple[Credit, ...]:
        if key not in self._done:
            if key not in self._pieces:
                raise KeyError(key)
            mass: dict[str, float] = defaultdict(float, {key: 1.0})
            shares: dict[str, float] = defaultdict(float)
            for node in reversed(_sources_first([key], self._sources)):  # each piece after all its users
                name, keeps, passed = self._split(node)
                shares[name] += mass[node] * keeps
                for source, part in passed:
                    mass[source] += mass[node] * part
            self._done[key] = tuple(Credit(n, v) for n, v in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0])))
        return self._done[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pieces)

    def __len__(self) -> int:
        return len(self._pieces)


def _sources_first(roots: Iterable[str], sources: Mapping[str, list[Edge]]) -> list[str]:
    """The roots and everything they build on, each after all it builds on (the edges hold no cycle), without
    recursion: a chain of remixes may be longer than Python's stack."""
    order: list[str] = []
    placed: set[str] = set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            key, ready = stack.pop()
            if key in placed:
                continue
            if ready:
                placed.add(key)
                order.append(key)
                continue
            stack.append((key, True))
            stack += [(e.source, False) for e in sources.get(key, ()) if e.source not in placed]
    return order


def _used(edges: Sequence[Edge], unit: str, info: PieceInfo) -> float:
    """The share of a piece its sources' ranges in one unit cover together (overlaps counted once)."""
    mine = [e for e in edges if e.user_ranges[0].unit == unit]
    if not mine:
        return 0.0
    length = _length(info, unit) or max(e.user_length for e in mine)
    if length <= 0:
        return max(e.share for e in mine)
    return _covered([s for e in mine for s in e.user_ranges], unit, length)


def _hull(spans: Sequence[Span]) -> list[float]:
    """Outer bounds of the spans in the first one's unit."""
    unit = spans[0].unit
    digits = 3 if unit == "s" else 0
    same = [s for s in spans if s.unit == unit]
    return [round(min(s.start for s in same), digits), round(max(s.end for s in same), digits)]


def edge_dict(edge: Edge, other: str, pieces: Mapping[str, PieceInfo]) -> dict[str, Any]:
    """One `builds_on` or `used_by` item of the CLI contract: `other` is the piece on the far side (the source in
    builds_on, the user in used_by); source_range is always on the source, range on the user (outer bounds of the
    unioned ranges, all of which are in source_ranges and ranges)."""
    info = pieces[other]
    return {"external_id": info.external_id or other, "contributor": info.contributor, "kind": str(edge.kind),
            "source_range": _hull(edge.source_ranges), "range": _hull(edge.user_ranges),
            "source_ranges": [_hull([s]) for s in edge.source_ranges], "ranges": [_hull([s]) for s in edge.user_ranges],
            "share": round(edge.share, 4), "evidence": edge.evidence}


def lineage_dict(lineage: Lineage, key: str, pieces: Mapping[str, PieceInfo],
                 submission_id: int | str | None = None) -> dict[str, Any]:
    """`triage lineage SUBMISSION --json` for one piece."""
    return {"submission": {"submission_id": submission_id, "external_id": pieces[key].external_id or key},
            "builds_on": [edge_dict(e, e.source, pieces) for e in lineage.builds_on(key)],
            "used_by": [edge_dict(e, e.user, pieces) for e in lineage.used_by(key)],
            "credits": [{"contributor": c.contributor, "share": round(c.share, 4)}
                        for c in lineage.credits.get(key, ())]}
