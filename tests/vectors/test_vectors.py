"""Vector indexes: exact below the threshold, ANN above it, and both give the neighbours a user expects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from triage.errors import ConfigError, NotFound, ProcessingFailed
from triage.vectors import VectorIndex, exact_search

DIM = 64


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _clustered(n: int, *, clusters: int = 60, spread: float = 0.6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around random centres, like real embeddings (isotropic noise would make ANN look bad)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIM))
    vectors = centres[rng.integers(0, clusters, n)] + spread * rng.standard_normal((n, DIM))
    queries = centres[rng.integers(0, clusters, 100)] + spread * rng.standard_normal((100, DIM))
    return _unit(vectors), _unit(queries)


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth, strict=True)]))


@pytest.fixture(scope="module")
def big() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vectors, queries = _clustered(6000)
    ids = np.arange(len(vectors), dtype=np.int64) * 10 + 3  # ids are not row numbers
    return ids, vectors, queries


def test_small_index_is_exact_and_scores_are_cosines() -> None:
    vectors, queries = _clustered(500)
    ids = np.arange(500) + 1000
    index = VectorIndex.build(ids, vectors)
    assert index.kind == "flat" and len(index) == 500
    scores, found = index.search(queries, 5)
    ref_scores, ref_ids = exact_search(vectors, ids, queries, 5)
    assert np.array_equal(found, ref_ids)
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
    # a stored vector finds itself first, with cosine 1
    s, i = index.search(vectors[7], 1)
    assert i[0, 0] == ids[7] and s[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


def test_ann_agrees_with_exact_search(big: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, vectors, queries = big
    index = VectorIndex.build(ids, vectors, exact_max=2000, threads=2)
    assert index.kind == "ivf" and len(index) == len(ids)
    _, found = index.search(queries, 10)
    _, truth = exact_search(vectors, ids, queries, 10)
    assert _recall(found, truth) >= 0.95
    index.nprobe = 10**6  # probing every list is exhaustive
    assert index.nprobe == index._index.nlist
    assert _recall(index.search(queries, 10)[1], truth) == 1.0


def test_growing_past_the_threshold_switches_to_ann(big: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ids, vectors, queries = big
    index = VectorIndex(DIM, exact_max=3000)
    index.add(ids[:2500], vectors[:2500])
    assert index.kind == "flat"
    index.add(ids[2500:], vectors[2500:])
    assert index.kind == "ivf" and len(index) == len(ids)
    _, found = index.search(queries, 10)
    assert _recall(found, exact_search(vectors, ids, queries, 10)[1]) >= 0.95


def test_an_ivf_index_that_grew_fourfold_asks_to_be_retrained() -> None:
    vectors, queries = _clustered(20_000)
    ids = np.arange(len(vectors), dtype=np.int64)
    index = VectorIndex.build(ids[:2000], vectors[:2000], exact_max=1000)
    assert index.kind == "ivf" and not index.outgrown
    index.add(ids[2000:7000], vectors[2000:7000])
    assert not index.outgrown  # 3.5x: the lists are longer but still fine
    index.add(ids[7000:], vectors[7000:])
    assert index.outgrown
    rebuilt = VectorIndex.build(ids, vectors, exact_max=1000)
    assert not rebuilt.outgrown and rebuilt._index.nlist > index._index.nlist
    _, truth = exact_search(vectors, ids, queries, 10)
    assert _recall(rebuilt.search(queries, 10)[1], truth) >= 0.95
    assert not VectorIndex.build(ids, vectors).outgrown  # an exact index never needs training


@pytest.mark.parametrize("exact_max", [50_000, 2000])
def test_add_replace_and_remove(big: tuple[np.ndarray, np.ndarray, np.ndarray], exact_max: int) -> None:
    ids, vectors, _ = big
    index = VectorIndex.build(ids, vectors, exact_max=exact_max)
    gone = ids[:50]
    index.remove(gone)
    index.remove(np.array([999_999_999]))  # unknown ids are ignored
    assert len(index) == len(ids) - 50
    _, found = index.search(vectors[:50], 10)
    assert not np.isin(found, gone).any()
    # adding an id again replaces its vector instead of duplicating it
    index.add(ids[60:61], vectors[0:1])
    assert len(index) == len(ids) - 50
    _, found = index.search(vectors[0:1], 3)
    assert found[0, 0] == ids[60]
    assert np.count_nonzero(found == ids[60]) == 1


@pytest.mark.parametrize("exact_max", [50_000, 2000])
def test_allowed_subset_filters_inside_the_search(
    big: tuple[np.ndarray, np.ndarray, np.ndarray], exact_max: int
) -> None:
    ids, vectors, queries = big
    index = VectorIndex.build(ids, vectors, exact_max=exact_max)
    rng = np.random.default_rng(1)
    pool = np.sort(rng.choice(ids, 40, replace=False))  # one call-out: under 1% of everything
    scores, found = index.search(queries, 10, allowed=pool)
    assert np.isin(found, pool).all()
    mask = np.isin(ids, pool)
    _, truth = exact_search(vectors[mask], ids[mask], queries, 10)
    assert _recall(found, truth) >= 0.95
    # asking for more than the pool holds leaves empty slots
    scores, found = index.search(queries[:2], 50, allowed=pool)
    assert (found[:, 40:] == -1).all() and np.isneginf(scores[:, 40:]).all()
    assert (index.search(queries[:2], 5, allowed=np.array([], dtype=np.int64))[1] == -1).all()


def test_empty_index_and_short_results() -> None:
    index = VectorIndex(DIM)
    scores, found = index.search(np.ones((2, DIM), np.float32) / 8, 3)
    assert found.shape == (2, 3) and (found == -1).all() and np.isneginf(scores).all()
    vectors, _ = _clustered(2)
    index.add(np.array([5, 6]), vectors)
    _, found = index.search(vectors[:1], 4)
    assert sorted(found[0, :2]) == [5, 6] and (found[0, 2:] == -1).all()


@pytest.mark.parametrize("exact_max", [50_000, 2000])
def test_save_load_round_trip_is_atomic(
    big: tuple[np.ndarray, np.ndarray, np.ndarray], exact_max: int, tmp_path: Path
) -> None:
    ids, vectors, queries = big
    index = VectorIndex.build(ids, vectors, exact_max=exact_max)
    path = tmp_path / "spaces" / "text.faiss"
    index.save(path)
    index.save(path)  # overwriting an existing index is fine
    assert [p.name for p in path.parent.iterdir()] == ["text.faiss"]  # no temp file left behind
    loaded = VectorIndex.load(path, exact_max=exact_max)
    assert loaded.kind == index.kind and len(loaded) == len(index)
    a_scores, a_ids = index.search(queries, 10)
    b_scores, b_ids = loaded.search(queries, 10)
    assert np.array_equal(a_ids, b_ids)
    np.testing.assert_allclose(a_scores, b_scores)
    loaded.remove(ids[:5])  # a loaded index stays editable
    assert len(loaded) == len(ids) - 5


def test_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, _ = _clustered(10)
    path = tmp_path / "i.faiss"
    VectorIndex.build(np.arange(10), vectors).save(path)
    before = path.read_bytes()

    def boom(*_: object) -> None:
        raise OSError("disk full")

    import triage.vectors as mod

    monkeypatch.setattr(mod.os, "fsync", boom)
    with pytest.raises(OSError):
        VectorIndex.build(np.arange(3), vectors[:3]).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["i.faiss"]


def test_clear_errors(tmp_path: Path) -> None:
    index = VectorIndex(DIM)
    with pytest.raises(ConfigError, match="rebuild"):
        index.add(np.array([1]), np.ones((1, DIM + 1), np.float32))
    with pytest.raises(ConfigError):
        index.search(np.ones((1, DIM + 1), np.float32), 3)
    with pytest.raises(ValueError):
        index.add(np.array([1, 1]), np.ones((2, DIM), np.float32))
    with pytest.raises(NotFound):
        VectorIndex.load(tmp_path / "missing.faiss")
    (tmp_path / "junk.faiss").write_bytes(b"not an index")
    with pytest.raises(ProcessingFailed):
        VectorIndex.load(tmp_path / "junk.faiss")


def test_exact_search_reference() -> None:
    matrix = _unit(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    scores, ids = exact_search(matrix, np.array([10, 20, 30]), np.array([[1.0, 0.0]], np.float32), 4)
    assert ids.tolist() == [[10, 30, 20, -1]]
    np.testing.assert_allclose(scores[0, :3], [1.0, np.sqrt(0.5), 0.0], atol=1e-6)
