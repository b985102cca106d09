import math

import pytest

from triage.evaluation.bm25 import BM25, tokenize
from triage.evaluation.metrics import duplicate_pair_scores, ndcg_at_k, precision_at_k


def test_ndcg_hand_computed():
    # relevant at ranks 1 and 3, two relevant in all
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, k=3) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b"], {"a", "b"}, k=10) == pytest.approx(1.0)
    assert ndcg_at_k(["x"], set(), k=10) == 0.0


def test_a_duplicate_of_a_listed_item_counts_as_not_relevant():
    groups = [["a", "a2"]]
    # ideal: a and b (a2 is the same piece as a)
    assert ndcg_at_k(["a", "a2", "b"], {"a", "a2", "b"}, k=3, groups=groups) == pytest.approx(
        (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert precision_at_k(["a", "a2", "b", "x"], {"a", "a2", "b"}, k=4, groups=groups) == 0.5


def test_pairwise_duplicate_scores():
    s = duplicate_pair_scores([["a", "b", "c"]], [["a", "b"], ["c", "d"]])
    # predicted pairs ab ac bc; true ab cd
    assert (s.precision, s.recall) == pytest.approx((1 / 3, 1 / 2))
    assert s.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert duplicate_pair_scores([], []).f1 == 1.0


def test_bm25_prefers_documents_with_rare_query_words():
    docs = ["the cat sat on the mat", "the dog ate the homework", "a cat and a dog", "the the the"]
    bm = BM25(docs)
    assert bm.rank("homework dog")[0] == 1
    assert bm.scores("zebra") == [0.0] * 4
    assert tokenize("Don't STOP, 42!") == ["don't", "stop", "42"]
    # hand check of one term: idf * tf*(k1+1)/(tf + k1*(1-b+b*len/avg))
    idf = math.log((4 - 2 + 0.5) / (2 + 0.5) + 1)
    norm = 1.5 * (1 - 0.75 + 0.75 * 6 / bm.avg_len)
    assert bm.scores("cat")[0] == pytest.approx(idf * 1 * 2.5 / (1 + norm))
