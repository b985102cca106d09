import numpy as np
import pytest

from triage.domain import MediaType
from triage.scoring.cluster import cluster_pool
from triage.scoring.dedup import DuplicateGroup
from triage.scoring.shortlist import Filters, shortlist
from triage.scoring.types import Explanation, Scored

from .helpers import axis, item, words


def scored(scores):
    return [Scored(i, s, {"text": s}, Explanation("text", s, "x")) for i, s in scores.items()]


def pool():
    items = {f"i{k}": item(f"i{k}", MediaType.TEXT if k % 2 else MediaType.AUDIO, duration=10.0 * k,
                           text=words([axis(0 if k < 4 else 1, 0.05, k)])) for k in range(8)}
    scores = {f"i{k}": round(0.9 - 0.1 * k, 2) for k in range(8)}
    return items, scores


def test_zero_diversity_is_pure_ranking_with_ties_by_id():
    items, scores = pool()
    scores["i7"] = scores["i6"]
    out = shortlist(scored(scores), items, diversity=0.0, limit=None)
    expected = sorted(scores, key=lambda i: (-scores[i], i))
    assert [e.item_id for e in out.entries] == expected
    assert [e.rank for e in out.entries] == list(range(1, 9))


def test_diversity_brings_a_different_piece_up():
    items, scores = pool()
    plain = [e.item_id for e in shortlist(scored(scores), items, diversity=0.0, limit=3).entries]
    diverse = [e.item_id for e in shortlist(scored(scores), items, diversity=0.6, limit=3).entries]
    assert plain == ["i0", "i1", "i2"] and "i4" in diverse and diverse[0] == "i0"


def test_one_entry_per_duplicate_group_with_the_others_attached():
    items, scores = pool()
    group = DuplicateGroup("i3", ("i3", "i0"), ())
    out = shortlist(scored(scores), items, groups=[group], diversity=0.0, limit=None)
    ids = [e.item_id for e in out.entries]
    assert "i0" not in ids and ids[0] == "i3"  # the group ranks by its best member's score
    assert out.entries[0].duplicates == ("i0",) and out.total == 7


def test_filters_and_pagination():
    items, scores = pool()
    decisions = {"i1": "yes", "i3": "no"}
    clusters = {i: (0 if int(i[1]) < 4 else 1) for i in items}
    f = Filters(media_types={MediaType.TEXT}, min_duration=5, max_duration=60, decisions={"undecided", "yes"})
    out = shortlist(scored(scores), items, filters=f, decisions=decisions, diversity=0.0, limit=None)
    assert [e.item_id for e in out.entries] == ["i1", "i5"]
    only = shortlist(scored(scores), items, filters=Filters(clusters={1}), clusters=clusters, limit=None)
    assert {e.item_id for e in only.entries} == {"i4", "i5", "i6", "i7"}
    full = [e.item_id for e in shortlist(scored(scores), items, diversity=0.3, limit=None).entries]
    pages = [e.item_id for off in (0, 3, 6) for e in
             shortlist(scored(scores), items, diversity=0.3, offset=off, limit=3).entries]
    assert pages == full


def test_diversity_out_of_range_is_refused():
    items, scores = pool()
    with pytest.raises(ValueError):
        shortlist(scored(scores), items, diversity=1.5)


def test_clusters_recover_planted_groups_with_readable_labels():
    texts = {0: "the dog chased the ball and the dog barked at the cat",
             1: "our team lost the football match in the final minute of the game",
             2: "the oven burned the bread and the soup boiled over in the kitchen"}
    items = [item(f"{c}-{k}", text=words([axis(c * 4, 0.08, 10 * c + k)]), words=texts[c])
             for c in range(3) for k in range(6)]
    clusters = cluster_pool(items)
    assert len(clusters) == 3
    assert sorted(sorted({m.split("-")[0] for m in c.members}) for c in clusters) == [["0"], ["1"], ["2"]]
    labels = {c.members[0].split("-")[0]: c.label for c in clusters}
    for c, label in labels.items():
        parts = label.split(" and ")  # "dog and ball": phrases the members say, joined as a person would
        words_of_label = " ".join(parts).split()
        assert len(parts) == 2 and set(words_of_label) <= set(texts[int(c)].split())
        assert not {"the", "and", "our", "of", "in"} & set(words_of_label)
    assert sum(c.size for c in clusters) == 18
    assert len(cluster_pool(items, k=2)) == 2


def test_tiny_pool_makes_one_cluster():
    items = [item("a", text=words([axis(0)]), words="hello world")]
    assert [c.members for c in cluster_pool(items)] == [("a",)]
    assert cluster_pool([]) == []


def test_items_without_vectors_still_cluster():
    items = [item(f"t{k}", text=words([axis(k % 2, 0.05, k)])) for k in range(8)] + [item("nothing")]
    members = [m for c in cluster_pool(items) for m in c.members]
    assert sorted(members) == sorted(i.submission_id for i in items)
    assert np.isfinite(len(members))


def test_a_cluster_whose_members_share_no_words_is_named_by_its_central_piece_or_its_media():
    texts = ["the dog chased the ball and the dog barked", "a dog barked at the ball", "the dog ran for the ball",
             "zebras graze quietly", "volcanoes erupt rarely", "submarines dive deep"]
    items = [item(f"a{k}", text=words([axis(0, 0.05, k)]), words=texts[k]) for k in range(3)]
    items += [item(f"b{k}", text=words([axis(4, 0.05, k)]), words=texts[3 + k]) for k in range(3)]
    items += [item(f"v{k}", MediaType.VIDEO, frames=words([axis(8, 0.05, k)])) for k in range(3)]
    clusters = {c.members[0][0]: c for c in cluster_pool(items, k=3)}
    assert clusters["a"].label == "dog and ball"  # shared words, as before
    central = texts[3 + int(clusters["b"].members[0][1])]
    assert clusters["b"].label == f"\u201c{central}\u201d"  # the piece nearest the centre, quoted
    assert clusters["v"].label == "3 videos without speech"
