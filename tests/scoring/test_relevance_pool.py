"""The pool-level steps of relevance: neighbour graph, smoothing over it, and the classifier over call-outs."""

import numpy as np

from triage.scoring.relevance import (
    RelevanceParams,
    classify,
    pool_graph,
    score_pool,
    smooth,
    smoothing_graph,
)
from triage.scoring.types import CalloutQuery

from .helpers import axis, item, words


def test_graph_links_each_item_to_its_own_topic_and_skips_items_without_vectors():
    vecs = [axis(0, 0.1, 1), axis(0, 0.1, 2), axis(0, 0.1, 3), axis(1, 0.1, 4), axis(1, 0.1, 5), None]
    nb, w = pool_graph(vecs, k=2, block=2)  # a small block exercises the blockwise search
    assert set(nb[0]) == {1, 2} and set(nb[3]) <= {4, 0, 1, 2} and 4 in nb[3]
    assert 5 not in nb[:5] and np.all(w[5] == 0)
    assert np.allclose(w[:5].sum(axis=1), 1.0)
    assert pool_graph(vecs[:2], k=2) is None  # too few items to have k neighbours


def test_smoothing_lifts_an_item_whose_neighbours_score_high():
    nb = np.array([[1, 2], [0, 2], [0, 1], [0, 1]])
    w = np.full((4, 2), 0.5)
    z = np.array([2.0, 2.0, 0.0, np.nan])
    out = smooth(z, (nb, w), 0.5)
    assert out[2] == 1.0  # half its own 0, half its neighbours' 2
    assert out[0] == 1.5 and np.isnan(out[3])
    assert smooth(z, None, 0.5) is z


def test_classifier_prefers_the_callout_an_item_answers_best_and_has_a_none_option():
    z = np.array([2.0, 2.0, 0.0, np.nan])
    other = np.array([0.0, 3.0, 0.0, 1.0])
    p = classify(z, [other], slope=1.0, center=1.0)
    assert p[0] > 0.5 > p[1]  # item 1 answers the other call-out better
    assert p[2] < 0.5 and p[3] == 0.0  # weak everywhere: "none" wins; no score: zero
    alone = classify(z, [], slope=1.0, center=1.0)
    assert np.isclose(alone[0], 1 / (1 + np.exp(-1.0)))  # with no other call-out: a plain logistic


def test_smoothing_pulls_up_a_piece_that_sits_among_on_theme_pieces():
    # four pieces clearly on the theme; "shy" shares their topic (axis 3) but barely the brief's words
    items = [item(f"on{k}", text=words([np.asarray(axis(0) * 0.6 + axis(3, 0.05, k) * 0.8)])) for k in range(4)]
    items.append(item("shy", text=words([np.asarray(axis(0) * 0.15 + axis(3, 0.05, 9))])))
    items += [item(f"off{k}", text=words([axis(4 + k, 0.1, k)])) for k in range(8)]
    q = CalloutQuery(text=np.stack([axis(0)]))
    plain = {s.item_id: s.score for s in score_pool(items, q, RelevanceParams(smooth_weight=0.0))}
    smoothed = {s.item_id: s.score for s in score_pool(items, q)}
    assert smoothed["shy"] > plain["shy"]
    # the graph depends on the pool only: computed once and passed in, it scores the same
    graph = smoothing_graph(items)
    assert graph is not None
    assert [s.score for s in score_pool(items, q, graph=graph)] == [s.score for s in score_pool(items, q)]
    assert [s.score for s in score_pool(items, q, graph=None)] == [s.score for s in score_pool(
        items, q, RelevanceParams(smooth_weight=0.0))]
    assert smoothing_graph(items, RelevanceParams(smooth_max=len(items) - 1)) is None  # too big to smooth
