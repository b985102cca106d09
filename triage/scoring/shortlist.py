"""The curator's shortlist: one entry per duplicate group, filtered, ranked by relevance with variety, paged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from triage.domain import CHOSEN, UNDECIDED, MediaType
from triage.scoring.dedup import DuplicateGroup
from triage.scoring.types import Explanation, Item, Scored, unit

SORTS = ("rank", "score", "newest", "rating")
_MEDIA = list(MediaType)


@dataclass(frozen=True)
class Filters:
    """Only entries matching every given filter are listed.

    Media type and duration are properties of one piece: a duplicate group is shown through a member that has
    them. Decisions, clusters and `submission_ids` apply to the group as a whole (a copy never surfaces on its
    own): the group's decision, the cluster of the piece it is shown as, any member among the ids.
    `decisions` may include "undecided".
    """

    media_types: Collection[MediaType] | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    clusters: Collection[int] | None = None
    decisions: Collection[str] | None = None
    submission_ids: Collection[str] | None = None


@dataclass(frozen=True)
class Entry:
    item_id: str
    rank: int  # 1-based position in the whole shortlist
    score: float
    why: Explanation
    duplicates: tuple[str, ...] = ()  # the group's other members, whatever the filters
    cluster: int | None = None
    by_score: int = 0  # 1-based position by score alone: differs from rank where variety moved the piece


@dataclass(frozen=True)
class Shortlist:
    entries: list[Entry]
    total: int  # entries in the whole shortlist, before paging
    offset: int = 0
    limit: int | None = None
    applied: dict[str, object] = field(default_factory=dict)
    # Entries per cluster under every filter but the cluster one: what each cluster chip opens.
    cluster_counts: dict[int, int] = field(default_factory=dict)


def shortlist(scored: Sequence[Scored], items: Mapping[str, Item], *, groups: Sequence[DuplicateGroup] = (),
              diversity: float = 0.2, filters: Filters | None = None, clusters: Mapping[str, int] | None = None,
              decisions: Mapping[str, str] | None = None, offset: int = 0, limit: int | None = 50,
              sort: str = "rank", ratings: Mapping[str, float] | None = None) -> Shortlist:
    """Collapse duplicates, filter, rank (with variety), page.

    diversity in [0, 1]: 0 is pure relevance order; higher values trade relevance for entries unlike those
    above them (maximal marginal relevance over the items' word/frame vectors). Ties break by item id,
    so the order is stable and pages never overlap. `sort` "score" is relevance alone, "newest" the latest
    uploads first, "rating" the team's mean rating (`ratings`, by item) first; "rank" is relevance with variety.
    `decisions` are by item; a group's decision is its shown member's (see `group_decisions`).
    """
    by_id = {s.item_id: s for s in scored}
    table = PoolTable([items[i] for i in by_id if i in items])
    score = np.array([by_id[i].score for i in table.ids], dtype=np.float64)
    ranking = rank(table, score, groups=groups, diversity=diversity, filters=filters, clusters=clusters,
                   decisions=decisions, want=None if limit is None else offset + limit, sort=sort, ratings=ratings)
    return ranking.page(offset, limit, lambda i: by_id[table.ids[i]].why)


def rank(table: PoolTable, score: np.ndarray, *, groups: Sequence[DuplicateGroup] = (), diversity: float = 0.2,
         filters: Filters | None = None, clusters: Mapping[str, int] | None = None,
         decisions: Mapping[str, str] | None = None, want: int | None = None, sort: str = "rank",
         ratings: Mapping[str, float] | None = None) -> Ranking:
    """`shortlist` over arrays: `score` is aligned with `table` (nan: not scored, left out). Variety orders the
    first `want` entries (all when None); nothing is explained here (`Ranking.page` asks for the page's reasons)."""
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must lie between 0 and 1, got {diversity}")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    f = filters or Filters()
    cluster_of = table.clusters(clusters or {})
    kept = ~np.isnan(score) & table.piece_passes(f)
    heads, others, best = _collapse(table, kept, score, groups)
    heads = heads[_groups_pass(table, heads, others, f, decisions or {})]
    counts = Counter(cluster_of[heads][cluster_of[heads] >= 0].tolist())
    if f.clusters is not None:
        heads = heads[np.isin(cluster_of[heads], list(f.clusters))]
    by_score = heads[np.lexsort((table.id_rank[heads], -best[heads]))]
    position = np.zeros(len(table), dtype=np.int64)
    position[by_score] = np.arange(1, len(by_score) + 1)
    want = len(by_score) if want is None else min(len(by_score), want)
    order = _sorted(table, by_score, sort, ratings or {})
    if sort == "rank" and diversity > 0 and want > 1:
        order = _mmr(table, order, best, diversity, want)
    return Ranking(table, order, best, position, others, cluster_of, dict(counts),
                   {"diversity": diversity, "sort": sort})


@dataclass(frozen=True)
class Ranking:
    """A whole ranking as table indices; entries (and their reasons) are made for a page only."""

    table: PoolTable
    order: np.ndarray  # heads' table indices, in rank order
    score: np.ndarray  # (n,) each head's score: its group's best member's
    position: np.ndarray  # (n,) 1-based position by score alone
    others: dict[int, tuple[str, ...]]  # a grouped head's other members
    cluster_of: np.ndarray  # (n,) -1: none
    counts: dict[int, int]
    applied: dict[str, object]

    def page(self, offset: int, limit: int | None, why: Callable[[int], Explanation]) -> Shortlist:
        """Entries `offset` to `offset + limit`; `why(i)` explains table piece i."""
        end = len(self.order) if limit is None else offset + limit
        entries = [Entry(self.table.ids[i], offset + k + 1, float(self.score[i]), why(i), self.others.get(i, ()),
                         None if self.cluster_of[i] < 0 else int(self.cluster_of[i]), int(self.position[i]))
                   for k, i in enumerate(self.order[offset:end].tolist())]
        return Shortlist(entries, len(self.order), offset, limit, self.applied, self.counts)


class PoolTable:
    """A pool's pieces as arrays, made once per pool: what filters, sorts and variety read."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.items = list(items)
        self.ids = [item.submission_id for item in self.items]
        self.pos = {sid: k for k, sid in enumerate(self.ids)}
        n = len(self.ids)
        self.id_rank = np.empty(n, dtype=np.int64)  # ties break by id
        self.id_rank[sorted(range(n), key=self.ids.__getitem__)] = np.arange(n)
        self.media = np.array([_MEDIA.index(item.media_type) for item in self.items], dtype=np.int64)
        self.duration = np.array([np.nan if i.duration is None else i.duration for i in self.items], dtype=np.float64)
        self.created_at = np.array([item.created_at for item in self.items], dtype=np.float64)
        self._spaces: dict[int, tuple[np.ndarray, np.ndarray]] | None = None
        self._dims = np.zeros(n, dtype=np.int64)
        self._clusters: tuple[Mapping[str, int], np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def piece_passes(self, f: Filters) -> np.ndarray:
        ok = np.ones(len(self), dtype=bool)
        if f.media_types is not None:
            ok &= np.isin(self.media, [_MEDIA.index(m) for m in f.media_types])
        if f.min_duration is not None:
            ok &= self.duration >= f.min_duration  # false for nan: no duration
        if f.max_duration is not None:
            ok &= self.duration <= f.max_duration
        return ok

    def clusters(self, clusters: Mapping[str, int]) -> np.ndarray:
        """Each piece's cluster (-1: none); the last mapping's array is kept, as one view asks with one mapping."""
        kept = self._clusters
        if kept is not None and kept[0] is clusters:
            return kept[1]
        out = np.full(len(self), -1, dtype=np.int64)
        for sid, c in clusters.items():
            if (k := self.pos.get(sid)) is not None:
                out[k] = c
        self._clusters = (clusters, out)
        return out

    def spaces(self) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]:
        """Each piece's vector size for variety (0: none) and, per size, its pieces and their unit vectors.

        Made once per pool: stacking them on every ranking cost 80 ms at 10,000 pieces, after every decision.
        """
        if self._spaces is None:
            vecs = [_vector(item) for item in self.items]
            dims = np.array([0 if v is None else len(v) for v in vecs], dtype=np.int64)
            spaces = {}
            for d in set(dims.tolist()) - {0}:
                idx = np.flatnonzero(dims == d)
                spaces[d] = (idx, unit(np.stack([v for v in (vecs[k] for k in idx.tolist()) if v is not None])))
            self._dims, self._spaces = dims, spaces
        return self._dims, self._spaces


def group_decisions(groups: Sequence[DuplicateGroup], latest: Mapping[str, tuple[int, str]]) -> dict[str, str]:
    """Each item's decision with duplicate groups decided as one: every member takes the newest decision made on
    any member (`latest`: item -> (decision id, decision); ids grow with time). Items outside groups keep theirs."""
    out = {i: d for i, (_, d) in latest.items()}
    for g in groups:
        made = [latest[m] for m in g.members if m in latest]
        if made:
            newest = max(made)[1]
            out.update(dict.fromkeys(g.members, newest))
    return out


def decision_filter(decision: str | None) -> list[str] | None:
    """The decisions a filter's name admits: "unrated" is what a card shows for a piece nobody has rated, so it
    matches those too; "undecided" matches only pieces nobody has ever decided on; "chosen" the shortlisted and
    the starred."""
    if not decision:
        return None
    if decision == CHOSEN:
        return ["shortlisted", "starred"]
    return [decision, UNDECIDED] if decision == "unrated" else [decision]


def _groups_pass(table: PoolTable, heads: np.ndarray, others: Mapping[int, tuple[str, ...]], f: Filters,
                 decisions: Mapping[str, str]) -> np.ndarray:
    """Which heads pass the filters that apply to a group as a whole: its decision (the head's) and the ids."""
    ok = np.ones(len(heads), dtype=bool)
    if f.decisions is not None:
        wanted = set(f.decisions)
        made = np.full(len(table), UNDECIDED in wanted)
        for sid, d in decisions.items():
            if (k := table.pos.get(sid)) is not None:
                made[k] = d in wanted
        ok &= made[heads]
    if f.submission_ids is not None:
        ids = set(f.submission_ids)
        ok &= np.array([any(m in ids for m in (table.ids[h], *others.get(h, ()))) for h in heads.tolist()],
                       dtype=bool)
    return ok


def _sorted(table: PoolTable, by_score: np.ndarray, sort: str, ratings: Mapping[str, float]) -> np.ndarray:
    if sort == "newest":
        return by_score[np.lexsort((table.id_rank[by_score], -table.created_at[by_score]))]
    if sort == "rating":  # unrated pieces after the rated ones, each part in score order (a stable sort)
        rated = np.full(len(table), np.inf)
        for sid, r in ratings.items():
            if (k := table.pos.get(sid)) is not None:
                rated[k] = -r
        return by_score[np.argsort(rated[by_score], kind="stable")]
    return by_score


def _collapse(table: PoolTable, kept: np.ndarray, score: np.ndarray,
              groups: Sequence[DuplicateGroup]) -> tuple[np.ndarray, dict[int, tuple[str, ...]], np.ndarray]:
    """One head per duplicate group among the kept pieces: the group's representative when it passed the
    filters, else the best-quality kept member. Every other member of the group rides along, kept or not: a
    copy's badge must not vanish because a filter hides the copy. Returns the heads (table order: grouped ones
    first), each grouped head's other members, and the scores with each head's raised to its best member's."""
    best = score.copy()
    others: dict[int, tuple[str, ...]] = {}
    grouped = np.zeros(len(table), dtype=bool)
    heads: list[int] = []
    for g in groups:
        present = [k for m in g.members if (k := table.pos.get(m)) is not None and kept[k]]
        if not present:
            continue
        rep = table.pos.get(g.representative)
        items = table.items
        head = rep if rep is not None and kept[rep] else \
            min(present, key=lambda k: (-items[k].quality, items[k].created_at, table.ids[k]))
        if head not in others:
            heads.append(head)
        others[head] = tuple(m for m in g.members if m != table.ids[head])
        grouped[present] = True
        # a group is as relevant as its best member: a re-upload must not hide a strong piece
        best[head] = max(float(score[k]) for k in present)
    alone = np.flatnonzero(kept & ~grouped)
    return np.concatenate([np.array(heads, dtype=np.int64), alone]), others, best


def _vector(item: Item) -> np.ndarray | None:
    """The piece's whole-piece vector that variety is judged on (words first, else frames), not yet unit."""
    for v in (item.text, item.transcript, item.frames):
        if v is not None and len(v.matrix):
            return v.pooled_vector()
    return None


def _mmr(table: PoolTable, order: np.ndarray, rel_of: np.ndarray, diversity: float, want: int) -> np.ndarray:
    """Greedy maximal marginal relevance over `order` (table indices); a prefix of the result never changes when
    more is asked for.

    Each step is one matrix-vector product over the ranked pieces' unit vectors of one space (pieces compare
    within one space: words with words, frames with frames), taken in rank order from the pool's, made once: the
    same products, to the bit, as stacking them per ranking gave (a tie between copies resolves as it did).
    """
    n = len(order)
    rel = rel_of[order]
    dims_of, pool_spaces = table.spaces()
    dims = dims_of[order]
    spaces = {}
    for d in set(dims.tolist()) - {0}:
        at = np.flatnonzero(dims == d)
        idx, matrix = pool_spaces[d]
        spaces[d] = (at, matrix[np.searchsorted(idx, order[at])])
    max_sim = np.zeros(n)
    left = np.ones(n, dtype=bool)
    chosen: list[int] = []
    while len(chosen) < min(want, n):
        gains = np.where(left, (1 - diversity) * rel - diversity * max_sim, -np.inf)
        k = int(np.argmax(gains))  # argmax keeps the first of equals: relevance order, then id
        chosen.append(k)
        left[k] = False
        if dims[k]:
            at, matrix = spaces[int(dims[k])]
            max_sim[at] = np.maximum(max_sim[at], matrix @ matrix[np.searchsorted(at, k)])
    return np.concatenate([order[chosen], order[left]])
