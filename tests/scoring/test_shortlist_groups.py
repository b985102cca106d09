"""A duplicate group is one entry under every filter and sort: its decision is the group's, its badge survives,
cluster chips count what they open, and a piece moved for variety says where score alone would put it."""

from triage.domain import MediaType
from triage.scoring.dedup import DuplicateGroup
from triage.scoring.shortlist import Filters, group_decisions, shortlist
from triage.scoring.types import Explanation, Scored

from .helpers import axis, item, words


def scored(scores: dict[str, float]) -> list[Scored]:
    return [Scored(i, s, {"text": s}, Explanation("text", s, "x")) for i, s in scores.items()]


def pool():
    items = {f"i{k}": item(f"i{k}", MediaType.AUDIO if k < 2 else MediaType.TEXT, duration=10.0,
                           text=words([axis(k % 3, 0.05, k)]), created_at=float(k)) for k in range(6)}
    scores = {f"i{k}": round(0.9 - 0.1 * k, 2) for k in range(6)}
    return items, scores, [DuplicateGroup("i0", ("i0", "i1"), ())]  # i1 is a copy of i0


def ids(out) -> list[str]:
    return [e.item_id for e in out.entries]


def test_a_decided_group_leaves_the_undecided_list_whole() -> None:
    items, scores, groups = pool()
    decided = group_decisions(groups, {"i0": (1, "shortlisted")})
    assert decided == {"i0": "shortlisted", "i1": "shortlisted"}  # the copy takes the group's decision
    undecided = shortlist(scored(scores), items, groups=groups, decisions=decided, diversity=0.0, limit=None,
                          filters=Filters(decisions={"undecided"}))
    assert "i0" not in ids(undecided) and "i1" not in ids(undecided)  # before: the copy surfaced alone as #1


def test_the_duplicate_badge_survives_a_decision_filter() -> None:
    items, scores, groups = pool()
    decided = group_decisions(groups, {"i0": (1, "shortlisted")})
    out = shortlist(scored(scores), items, groups=groups, decisions=decided, diversity=0.0, limit=None,
                    filters=Filters(decisions={"shortlisted"}))
    assert ids(out) == ["i0"] and out.entries[0].duplicates == ("i1",)


def test_a_media_filter_shows_the_group_through_a_member_that_passes_with_its_badge() -> None:
    items, scores, groups = pool()
    items["i1"] = item("i1", MediaType.TEXT, duration=10.0, text=words([axis(1, 0.05, 1)]))
    out = shortlist(scored(scores), items, groups=groups, diversity=0.0, limit=None,
                    filters=Filters(media_types={MediaType.TEXT}))
    assert ids(out)[0] == "i1" and out.entries[0].duplicates == ("i0",)


def test_the_newest_decision_on_any_member_decides_the_group() -> None:
    groups = [DuplicateGroup("a", ("a", "b", "c"), ())]
    assert group_decisions(groups, {"a": (5, "rejected"), "c": (9, "starred"), "x": (1, "shortlisted")}) == \
        {"a": "starred", "b": "starred", "c": "starred", "x": "shortlisted"}


def test_cluster_counts_are_the_entries_each_chip_opens() -> None:
    items, scores, groups = pool()
    clusters = {f"i{k}": k % 2 for k in range(6)}  # the copy i1 sits in another cluster than its group's head
    out = shortlist(scored(scores), items, groups=groups, clusters=clusters, diversity=0.0, limit=None)
    for cluster, count in out.cluster_counts.items():
        opened = shortlist(scored(scores), items, groups=groups, clusters=clusters, diversity=0.0, limit=None,
                           filters=Filters(clusters={cluster}))
        assert opened.total == count
    assert sum(out.cluster_counts.values()) == out.total == 5


def test_a_piece_moved_for_variety_knows_its_place_by_score() -> None:
    items, scores, _ = pool()
    for k in range(6):  # the three best say the same thing: variety brings the fourth up
        items[f"i{k}"] = item(f"i{k}", MediaType.TEXT, text=words([axis(0 if k < 3 else k, 0.01, k)]))
    out = shortlist(scored(scores), items, diversity=0.7, limit=None)
    moved = [e for e in out.entries if e.rank != e.by_score]
    assert moved, "variety moved nothing: the test pool lost its point"
    assert sorted(e.by_score for e in out.entries) == list(range(1, 7))
    assert all(scores[e.item_id] == sorted(scores.values(), reverse=True)[e.by_score - 1] for e in out.entries)


def test_sorts_keep_groups_together() -> None:
    items, scores, groups = pool()
    newest = shortlist(scored(scores), items, groups=groups, sort="newest", limit=None)
    assert ids(newest) == ["i5", "i4", "i3", "i2", "i0"]
    rated = shortlist(scored(scores), items, groups=groups, sort="rating", ratings={"i3": 5.0, "i0": 2.0},
                      limit=None)
    assert ids(rated)[:2] == ["i3", "i0"] and "i1" not in ids(rated)


def test_only_keeps_groups_with_a_member_among_the_ids() -> None:
    items, scores, groups = pool()
    out = shortlist(scored(scores), items, groups=groups, limit=None, filters=Filters(submission_ids={"i1", "i4"}))
    assert sorted(ids(out)) == ["i0", "i4"]
