"""The curator's shortlist: one entry per duplicate group, filtered, ranked by relevance with variety, paged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from triage.domain import CHOSEN, UNDECIDED, MediaType
from triage.scoring.dedup import DuplicateGroup
from triage.scoring.types import Explanation, Item, Scored, unit

SORTS = ("rank", "score", "newest", "rating")


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
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must lie between 0 and 1, got {diversity}")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    f = filters or Filters()
    clusters = clusters or {}
    decisions = decisions or {}
    by_id = {s.item_id: s for s in scored}
    kept = [i for i in by_id if i in items and _piece_passes(items[i], f)]
    heads = {h: others for h, others in _collapse(kept, groups, by_id, items).items()
             if _group_passes(h, others, f, decisions)}
    counts = Counter(clusters[h] for h in heads if h in clusters)
    if f.clusters is not None:
        heads = {h: others for h, others in heads.items() if clusters.get(h) in f.clusters}
    by_score = sorted(heads, key=lambda i: (-by_id[i].score, i))
    position = {i: k + 1 for k, i in enumerate(by_score)}
    want = len(by_score) if limit is None else min(len(by_score), offset + limit)
    order = _sorted(by_score, sort, items, ratings or {})
    if sort == "rank" and diversity > 0 and want > 1:
        order = _mmr(order, by_id, items, diversity, want)
    page = order[offset:want]
    entries = [Entry(i, offset + k + 1, by_id[i].score, by_id[i].why, heads[i], clusters.get(i), position[i])
               for k, i in enumerate(page)]
    return Shortlist(entries, len(order), offset, limit, {"diversity": diversity, "sort": sort}, dict(counts))


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


def _piece_passes(item: Item, f: Filters) -> bool:
    if f.media_types is not None and item.media_type not in f.media_types:
        return False
    if f.min_duration is not None and (item.duration is None or item.duration < f.min_duration):
        return False
    return f.max_duration is None or (item.duration is not None and item.duration <= f.max_duration)


def _group_passes(head: str, others: tuple[str, ...], f: Filters, decisions: Mapping[str, str]) -> bool:
    if f.decisions is not None and decisions.get(head, UNDECIDED) not in f.decisions:
        return False
    return f.submission_ids is None or any(m in f.submission_ids for m in (head, *others))


def _sorted(by_score: list[str], sort: str, items: Mapping[str, Item], ratings: Mapping[str, float]) -> list[str]:
    if sort == "newest":
        return sorted(by_score, key=lambda i: (-items[i].created_at, i))
    if sort == "rating":  # unrated pieces after the rated ones, each part in score order (sorted is stable)
        return sorted(by_score, key=lambda i: -ratings[i] if i in ratings else float("inf"))
    return list(by_score)


def _collapse(kept: list[str], groups: Sequence[DuplicateGroup], by_id: dict[str, Scored],
              items: Mapping[str, Item]) -> dict[str, tuple[str, ...]]:
    """One head per duplicate group among the kept items: the group's representative when it passed the
    filters, else the best-quality kept member. Every other member of the group rides along, kept or not: a
    copy's badge must not vanish because a filter hides the copy."""
    kept_set = set(kept)
    heads: dict[str, tuple[str, ...]] = {}
    grouped: set[str] = set()
    for g in groups:
        present = [m for m in g.members if m in kept_set]
        if not present:
            continue
        head = g.representative if g.representative in kept_set else \
            min(present, key=lambda m: (-items[m].quality, items[m].created_at, m))
        heads[head] = tuple(m for m in g.members if m != head)
        grouped.update(present)
        # a group is as relevant as its best member: a re-upload must not hide a strong piece
        best = max(present, key=lambda m: (by_id[m].score, m))
        if best != head:
            by_id[head] = Scored(head, by_id[best].score, by_id[best].per_modality, by_id[head].why)
    for i in kept:
        if i not in grouped:
            heads[i] = ()
    return heads


def _vector(item: Item) -> np.ndarray | None:
    """The piece's whole-piece vector that variety is judged on (words first, else frames), not yet unit."""
    for v in (item.text, item.transcript, item.frames):
        if v is not None and len(v.matrix):
            return v.pooled_vector()
    return None


def _mmr(order: list[str], by_id: Mapping[str, Scored], items: Mapping[str, Item], diversity: float,
         want: int) -> list[str]:
    """Greedy maximal marginal relevance; a prefix of the result never changes when more is asked for.

    Each step is one matrix-vector product over the pool (pieces compare within one space: words with words,
    frames with frames), so a deep page of a big pool costs seconds, not the minutes of a loop per pair.
    """
    n = len(order)
    rel = np.array([by_id[i].score for i in order])
    vecs = [_vector(items[i]) for i in order]
    dims = np.array([0 if v is None else len(v) for v in vecs])
    spaces = {}
    for d in set(dims.tolist()) - {0}:
        idx = np.flatnonzero(dims == d)
        # unit over the stacked rows at once: a call per piece cost 100 ms at 10,000 pieces, after every decision
        spaces[d] = (idx, unit(np.stack([v for v in (vecs[k] for k in idx.tolist()) if v is not None])))
    max_sim = np.zeros(n)
    left = np.ones(n, dtype=bool)
    chosen: list[int] = []
    while len(chosen) < min(want, n):
        gains = np.where(left, (1 - diversity) * rel - diversity * max_sim, -np.inf)
        k = int(np.argmax(gains))  # argmax keeps the first of equals: relevance order, then id
        chosen.append(k)
        left[k] = False
        if dims[k]:
            idx, matrix = spaces[int(dims[k])]
            max_sim[idx] = np.maximum(max_sim[idx], matrix @ matrix[np.searchsorted(idx, k)])
    return [order[k] for k in chosen] + [order[k] for k in np.flatnonzero(left).tolist()]
