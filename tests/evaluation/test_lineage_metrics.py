import pytest

from triage.evaluation.lineage_metrics import Edge, boundary_error, score_lineage

TRUTH = [
    Edge("b", "a", "audio", (2.0, 6.0), (10.0, 14.0)),
    Edge("c", "a", "video", (0.0, 3.0), (5.0, 8.0)),
    Edge("d", "t", "text", (100.0, 220.0), (40.0, 160.0), source_unit="chars", unit="chars"),
    Edge("e", "t", "text", (0.0, 90.0), (3.0, 9.5), source_unit="chars", unit="s"),
]


def test_all_found_with_exact_ranges_scores_one():
    s = score_lineage(TRUTH, TRUTH)
    assert (s.counts.precision, s.counts.recall) == (1.0, 1.0)
    assert (s.range_error_s, s.range_error_chars, s.ranges_within, s.ranges_missing) == (0.0, 0.0, 1.0, 0)
    assert s.asset_edges == 0 and s.missed == [] and s.false == []


def test_a_wrong_direction_is_a_miss_and_a_false_edge():
    predicted = [*TRUTH[1:], Edge("a", "b", "audio", (10.0, 14.0), (2.0, 6.0))]
    s = score_lineage(TRUTH, predicted)
    assert (s.counts.true_positives, s.counts.false_positives, s.counts.false_negatives) == (3, 1, 1)
    assert s.counts.precision == pytest.approx(3 / 4) and s.counts.recall == pytest.approx(3 / 4)
    assert s.missed == [("b", "a", "audio")] and s.false == [("a", "b", "audio")]
    audio = s.by_kind["audio"]
    assert (audio.true_positives, audio.false_positives, audio.false_negatives) == (0, 1, 1)
    assert audio.precision == 0.0 and audio.recall == 0.0


def test_a_wrong_kind_is_a_miss_and_a_false_edge():
    predicted = [Edge("b", "a", "text"), *TRUTH[1:]]
    s = score_lineage(TRUTH, predicted)
    assert (s.counts.true_positives, s.counts.false_positives, s.counts.false_negatives) == (3, 1, 1)


def test_range_errors_per_unit_and_tolerance():
    predicted = [
        Edge("b", "a", "audio", (2.5, 6.0), (10.0, 15.5)),  # 0.5 s and 1.5 s: the worst side counts
        Edge("c", "a", "video", (0.0, 3.2), (5.0, 8.0)),  # 0.2 s
        Edge("d", "t", "text", (110.0, 220.0), (40.0, 135.0)),  # 10 and 25 chars
        Edge("e", "t", "text", (0.0, 95.0), (3.4, 9.5)),  # 5 chars, 0.4 s
    ]
    s = score_lineage(TRUTH, predicted)
    assert s.range_error_s == pytest.approx(1.5)
    assert s.range_error_chars == pytest.approx(25.0)
    assert s.ranges_within == pytest.approx(2 / 4)  # b (1.5 s) and d (25 chars) are out
    assert score_lineage(TRUTH, predicted, tolerance_s=2.0, tolerance_chars=30).ranges_within == 1.0
    assert boundary_error((1.0, 2.0), (0.0, 2.5)) == 1.0


def test_missing_ranges_are_counted_and_none_truth_ranges_are_not_scored():
    truth = [Edge("p", "t", "text", (0.0, 50.0), None, source_unit="chars", unit="image"),
             Edge("b", "a", "audio", (2.0, 6.0), (10.0, 14.0))]
    predicted = [Edge("p", "t", "text", (5.0, 50.0), (0.0, 1.0)), Edge("b", "a", "audio", None, (10.0, 14.0))]
    s = score_lineage(truth, predicted)
    assert s.counts.precision == 1.0 and s.counts.recall == 1.0
    assert s.range_error_chars == 5.0 and s.range_error_s == 0.0
    assert s.ranges_missing == 1 and s.ranges_within == pytest.approx(1 / 2)


def test_repeats_count_once_and_the_best_range_is_scored():
    truth = [Edge("b", "a", "audio", (2.0, 6.0), (10.0, 14.0))]
    predicted = [Edge("b", "a", "audio", (20.0, 26.0), (0.0, 4.0)), Edge("b", "a", "audio", (2.1, 6.0), (10.0, 14.0))]
    s = score_lineage(truth, predicted)
    assert (s.counts.true_positives, s.counts.false_positives) == (1, 0)
    assert s.range_error_s == pytest.approx(0.1)


def test_asset_edges_are_false_and_counted_and_tolerated_edges_count_neither_way():
    truth = [Edge("b", "a", "audio", (2.0, 6.0), (10.0, 14.0))]
    predicted = [*truth, Edge("b", "theme", "audio"), Edge("theme", "a", "audio"), Edge("b", "a", "text")]
    s = score_lineage(truth, predicted, assets=["theme"], tolerated=[("b", "a", "text")])
    assert (s.counts.true_positives, s.counts.false_positives, s.counts.false_negatives) == (1, 2, 0)
    assert s.asset_edges == 2
    assert s.counts.precision == pytest.approx(1 / 3)


def test_nothing_predicted_and_nothing_true():
    assert score_lineage([], []).counts.precision == 1.0
    empty = score_lineage(TRUTH, [])
    assert (empty.counts.precision, empty.counts.recall, empty.range_error_s, empty.ranges_within) == (
        1.0, 0.0, None, None)
    data = score_lineage(TRUTH, TRUTH[:2]).to_dict()
    assert data["recall"] == 0.5 and data["by_kind"]["text"]["recall"] == 0.0
