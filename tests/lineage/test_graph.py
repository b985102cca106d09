"""The lineage graph: edges oriented by time and merged per pair and kind, bad inputs dropped with a reason, and
credits that follow what each piece builds on, summing to 1."""

from __future__ import annotations

import json
import random

import pytest

from triage.lineage.graph import Credit, Lineage, PieceInfo, build_lineage, lineage_dict, union
from triage.lineage.types import Reuse, ReuseKind, Span

AUDIO, TEXT, VIDEO = ReuseKind.AUDIO, ReuseKind.TEXT, ReuseKind.VIDEO


def seconds(source: str, user: str, a: tuple[float, float], b: tuple[float, float], user_length: float = 100.0,
            kind: ReuseKind = AUDIO) -> Reuse:
    span = Span(b[0], b[1])
    return Reuse(source, user, kind, Span(*a), span, span.length / user_length, 10.0, f"{source} in {user}")


def piece(contributor: str, created: float, **more: object) -> PieceInfo:
    return PieceInfo(contributor, created, **{"duration": 100.0, **more})  # type: ignore[arg-type]


def credits(lineage: Lineage, key: str) -> dict[str, float]:
    return {c.contributor: pytest.approx(c.share) for c in lineage.credits[key]}


def test_several_matches_between_one_pair_make_one_edge_per_kind() -> None:
    pieces = {"a": piece("alice", 1), "b": piece("bob", 2)}
    found = build_lineage([seconds("a", "b", (0, 10), (20, 30)), seconds("a", "b", (5, 20), (25, 40)),
                           seconds("a", "b", (50, 60), (70, 80)), seconds("a", "b", (0, 10), (20, 30), kind=VIDEO)],
                          pieces)
    assert [(e.user, e.source, e.kind) for e in found.edges] == [("b", "a", AUDIO), ("b", "a", VIDEO)]
    audio = found.edges[0]
    assert audio.user_ranges == (Span(20, 40), Span(70, 80))
    assert audio.source_ranges == (Span(0, 20), Span(50, 60))
    assert audio.share == pytest.approx(0.3)
    assert found.builds_on("b") == list(found.edges) and found.used_by("a") == list(found.edges)


def test_the_earlier_piece_is_the_source_whatever_order_the_matcher_gave() -> None:
    pieces = {"old": piece("alice", 1), "new": piece("bob", 5, duration=50.0)}
    reuse = Reuse("new", "old", AUDIO, Span(0, 25), Span(40, 65), 0.25, 9.0)
    edge = build_lineage([reuse], pieces).edges[0]
    assert (edge.user, edge.source) == ("new", "old")
    assert edge.user_ranges == (Span(0, 25),) and edge.source_ranges == (Span(40, 65),)
    assert edge.share == pytest.approx(25 / 50)  # recomputed from the new user's own length


def test_a_text_uploaded_after_its_reading_is_still_its_source() -> None:
    """The words a film speaks came from the text, whatever the upload order; two texts go by time."""
    pieces = {"film": piece("maker", 1, duration=300.0), "poem": PieceInfo("poet", 5, chars=200)}
    read = Reuse("poem", "film", TEXT, Span(0, 190, "chars"), Span(10, 40), 0.1, 30.0)
    edge = build_lineage([read], pieces).edges[0]
    assert (edge.user, edge.source) == ("film", "poem") and edge.share == pytest.approx(0.1)
    pieces = {"quote": PieceInfo("ann", 1, chars=400), "poem": PieceInfo("poet", 5, chars=200)}
    quoted = Reuse("poem", "quote", TEXT, Span(0, 190, "chars"), Span(10, 200, "chars"), 0.475, 30.0)
    assert [(e.user, e.source) for e in build_lineage([quoted], pieces).edges] == [("poem", "quote")]


def test_at_equal_times_the_piece_covered_more_is_the_source() -> None:
    pieces = {"poem": PieceInfo("poet", 3, chars=200), "film": PieceInfo("maker", 3, duration=300.0)}
    reuse = Reuse("film", "poem", TEXT, Span(10, 40), Span(0, 190, "chars"), 0.95, 30.0)  # matcher's order reversed
    edge = build_lineage([reuse], pieces).edges[0]
    assert (edge.user, edge.source) == ("film", "poem")
    assert edge.share == pytest.approx(30 / 300)


def test_at_equal_times_without_lengths_the_matchers_order_stands() -> None:
    pieces = {"a": PieceInfo("alice", 4), "b": PieceInfo("bob", 4)}
    edge = build_lineage([seconds("a", "b", (0, 10), (5, 15))], pieces).edges[0]
    assert (edge.user, edge.source, edge.share) == ("b", "a", pytest.approx(0.1))


def test_self_matches_assets_removed_pieces_and_copies_make_no_edge() -> None:
    pieces = {"a": piece("alice", 1, duplicate_group="g1"), "a-copy": piece("ann", 2, duplicate_group="g1"),
              "b": piece("bob", 3), "theme": piece("studio", 0)}
    reuses = [seconds("b", "b", (0, 10), (50, 60)), seconds("theme", "b", (0, 30), (0, 30)),
              seconds("a", "theme", (0, 5), (0, 5)), seconds("gone", "b", (0, 10), (0, 10)),
              seconds("a", "a-copy", (0, 100), (0, 100))]
    found = build_lineage(reuses, pieces, assets={"theme"})
    assert found.edges == ()
    assert [why for _, why in found.dropped] == ["a piece matching itself", "a platform asset", "a platform asset",
                                                  "a piece that is gone", "copies of one submission"]
    assert credits(found, "b") == {"bob": 1.0}
    assert credits(found, "a-copy") == {"ann": 1.0}  # a copy owes nothing to its original: it is not a remix


def test_a_piece_using_two_copies_of_one_submission_credits_the_earliest_only() -> None:
    pieces = {"orig": piece("alice", 1, duplicate_group="g"), "reupload": piece("mallory", 2, duplicate_group="g"),
              "remix": piece("bob", 3)}
    found = build_lineage([seconds("orig", "remix", (0, 30), (0, 30)), seconds("reupload", "remix", (0, 30), (0, 30))],
                          pieces)
    assert [(e.user, e.source) for e in found.edges] == [("remix", "orig")]
    assert [why for _, why in found.dropped] == ["a later copy of a source already credited"]
    assert credits(found, "remix") == {"bob": 0.7, "alice": 0.3}


def test_a_cycle_from_bad_clocks_loses_its_weakest_link() -> None:
    pieces = {k: piece(f"{k}-maker", 7) for k in "xyz"}  # equal times: only the coverage orders them
    reuses = [Reuse("x", "y", AUDIO, Span(0, 30), Span(0, 30), 0.3, 5.0),
              Reuse("y", "z", AUDIO, Span(0, 20), Span(0, 20), 0.2, 5.0),
              Reuse("z", "x", AUDIO, Span(0, 10), Span(50, 60), 0.1, 5.0)]
    found = build_lineage(reuses, pieces)
    assert {(e.user, e.source) for e in found.edges} == {("y", "x"), ("z", "y")}
    assert [(r.user, r.source, why) for r, why in found.dropped] == [("x", "z", "would close a cycle")]
    for key in "xyz":
        assert sum(c.share for c in found.credits[key]) == pytest.approx(1.0)


def test_credits_are_transitive_and_sum_to_one() -> None:
    pieces = {"a": piece("alice", 1), "b": piece("bob", 2), "c": piece("carol", 3)}
    found = build_lineage([seconds("a", "b", (0, 50), (0, 50)), seconds("b", "c", (0, 40), (10, 50))], pieces)
    assert credits(found, "a") == {"alice": 1.0}
    assert credits(found, "b") == {"bob": 0.5, "alice": 0.5}
    assert credits(found, "c") == {"carol": 0.6, "bob": 0.2, "alice": 0.2}


def test_a_chain_of_remixes_longer_than_the_stack_still_gets_credits() -> None:
    pieces = {f"p{i}": piece(f"maker{i}", i) for i in range(3000)}
    reuses = [seconds(f"p{i}", f"p{i + 1}", (0, 50), (0, 50)) for i in range(2999)]
    found = build_lineage(reuses, pieces)
    last = found.credits["p2999"]
    assert sum(c.share for c in last) == pytest.approx(1.0)
    assert last[0] == Credit("maker2999", 0.5) and last[1].contributor == "maker2998"


def test_overlapping_sources_count_once_in_what_is_taken() -> None:
    """Music and pictures of the same 40 seconds take 40% of the piece, not 80%, split between their makers."""
    pieces = {"song": piece("singer", 1), "clip": piece("filmer", 1.5), "mix": piece("mixer", 2)}
    found = build_lineage([seconds("song", "mix", (0, 40), (0, 40)),
                           seconds("clip", "mix", (0, 40), (0, 40), kind=VIDEO)], pieces)
    assert credits(found, "mix") == {"mixer": 0.6, "singer": 0.2, "filmer": 0.2}


def test_a_contributor_named_two_ways_is_two_people_unless_merged() -> None:
    pieces = {"a": piece("Alice Smith", 1), "b": piece("alice", 2)}
    reuses = [seconds("a", "b", (0, 50), (0, 50))]
    assert credits(build_lineage(reuses, pieces), "b") == {"alice": 0.5, "Alice Smith": 0.5}
    merged = build_lineage(reuses, pieces, aliases={"Alice Smith": "alice"})
    assert credits(merged, "b") == {"alice": 1.0}


def test_shares_sum_to_one_on_random_graphs() -> None:
    rng = random.Random(3)
    for _ in range(30):
        keys = [f"p{i}" for i in range(12)]
        pieces = {k: piece(f"m{rng.randrange(6)}", rng.randrange(5)) for k in keys}
        reuses = []
        for _ in range(25):
            a, b = rng.sample(keys, 2)
            start = rng.uniform(0, 90)
            reuses.append(seconds(a, b, (0, 10), (start, start + rng.uniform(1, 10)),
                                  kind=rng.choice([AUDIO, VIDEO, TEXT])))
        found = build_lineage(reuses, pieces)
        for key in keys:
            assert sum(c.share for c in found.credits[key]) == pytest.approx(1.0)
            assert all(c.share >= 0 for c in found.credits[key])


def test_text_edges_share_in_characters() -> None:
    pieces = {"story": PieceInfo("writer", 1, chars=400), "essay": PieceInfo("critic", 2, chars=1000)}
    reuse = Reuse("story", "essay", TEXT, Span(0, 300, "chars"), Span(100, 400, "chars"), 0.3, 50.0)
    found = build_lineage([reuse], pieces)
    assert found.edges[0].share == pytest.approx(0.3)
    assert credits(found, "essay") == {"critic": 0.7, "writer": 0.3}


def test_words_matched_in_a_text_and_in_its_reading_make_one_edge_in_the_unit_that_takes_most() -> None:
    pieces = {"poem": PieceInfo("poet", 1, chars=300), "video": PieceInfo("maker", 2, chars=1000, duration=60.0)}
    in_text = Reuse("poem", "video", TEXT, Span(0, 250, "chars"), Span(500, 750, "chars"), 0.25, 40.0, "quoted")
    read = Reuse("poem", "video", TEXT, Span(0, 300, "chars"), Span(10, 40), 0.5, 50.0, "read aloud")
    found = build_lineage([in_text, read], pieces)
    assert len(found.edges) == 1
    edge = found.edges[0]
    assert edge.share == pytest.approx(0.5) and edge.user_ranges[0] == Span(10, 40)
    shown = lineage_dict(found, "video", pieces)["builds_on"][0]
    assert shown["range"] == [10.0, 40.0] and shown["source_range"] == [0, 300]
    assert shown["ranges"] == [[10.0, 40.0], [500, 750]]
    assert credits(found, "video") == {"maker": 0.5, "poet": 0.5}


def test_the_json_form_follows_the_cli_contract() -> None:
    pieces = {"a": piece("alice", 1, external_id="ext-a"), "b": piece("bob", 2, external_id="ext-b")}
    found = build_lineage([seconds("a", "b", (12, 31), (40, 59))], pieces)
    shown = lineage_dict(found, "b", pieces, submission_id=7)
    assert json.loads(json.dumps(shown)) == shown
    assert shown["submission"] == {"submission_id": 7, "external_id": "ext-b"}
    assert shown["builds_on"] == [{"external_id": "ext-a", "contributor": "alice", "kind": "audio",
                                   "source_range": [12.0, 31.0], "range": [40.0, 59.0],
                                   "source_ranges": [[12.0, 31.0]], "ranges": [[40.0, 59.0]], "share": 0.19,
                                   "evidence": "a in b"}]
    assert shown["used_by"] == [] and shown["credits"] == [{"contributor": "bob", "share": 0.81},
                                                           {"contributor": "alice", "share": 0.19}]
    used = lineage_dict(found, "a", pieces)["used_by"][0]
    assert (used["external_id"], used["source_range"], used["range"]) == ("ext-b", [12.0, 31.0], [40.0, 59.0])


def test_union_joins_overlapping_spans_of_one_unit_only() -> None:
    assert union([Span(5, 9), Span(0, 6), Span(20, 30), Span(0, 4, "chars")]) == (
        Span(0, 4, "chars"), Span(0, 9), Span(20, 30))
