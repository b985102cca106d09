"""The team's votes: a mean, a disagreement when someone would take a piece and someone would not, and a duplicate
group counted as one piece with each curator once."""

from triage.scoring.dedup import DuplicateGroup
from triage.scoring.tally import Tally, group_tallies


def test_mean_and_split() -> None:
    assert Tally({"ana": 5, "ben": 1}).split and Tally({"ana": 5, "ben": 1}).mean == 3.0
    assert not Tally({"ana": 5, "ben": 3}).split  # a maybe is no disagreement
    assert not Tally({"ana": 2, "ben": 1}).split
    assert Tally().mean is None and not Tally().split


def test_a_group_counts_each_curator_once_with_their_newest_rating() -> None:
    groups = [DuplicateGroup("a", ("a", "b"), ())]
    votes = {"a": {"ana": (1.0, 5)}, "b": {"ana": (2.0, 2), "ben": (1.5, 4)}, "c": {"ben": (1.0, 3)}}
    out = group_tallies(groups, votes)
    assert out["a"] == out["b"] == Tally({"ana": 2, "ben": 4})
    assert out["a"].split and out["c"] == Tally({"ben": 3})
    assert "d" not in out
