"""The pool scored as stacked matrices (issue 21) gives what the per-piece path gave: same order, scores, spans.

`reference_relevance` is the per-piece code as it was. BLAS sums a stacked product in another order than a
product per piece, so scores agree to float32 rounding (observed: under 1e-7), not to the bit.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from triage.domain import Chunk, MediaType
from triage.scoring.floor import match
from triage.scoring.modality import PoolFeatures, joined, modality_scores, stack_rows
from triage.scoring.relevance import RelevanceParams, score_pool, with_exemplars
from triage.scoring.types import CalloutQuery, Explanation, Item, Scored, Vectors, unit

from . import reference_relevance as ref

DIM, CLIP = 24, 16
ROOT = Path(__file__).resolve().parents[2]


def _vectors(rng: np.random.Generator, dim: int, frames: bool, theme: np.ndarray) -> Vectors | None:
    n = int(rng.integers(0, 7))
    if n == 0:
        return None if rng.random() < 0.7 else Vectors(np.zeros((0, dim), np.float32), [])
    rows = unit(theme * rng.random() + rng.standard_normal((n, dim)).astype(np.float32))
    if n > 2 and rng.random() < 0.2:
        rows[1] = rows[0]  # a repeated line (a chorus): equal candidates, the first must win in both paths
    if n > 1 and rng.random() < 0.05:
        rows[1] = -rows[0]  # a pair that sums to zero
    chunks = [Chunk("" if frames else f" line {k} ", 10 * k, 10 * k + 8, float(k), float(k) + (0 if frames else 1.5))
              for k in range(n)]
    pooled = None if rng.random() < 0.3 else unit(rows.mean(axis=0) + 0.1 * rng.standard_normal(dim).astype(np.float32))
    return Vectors(rows.astype(np.float32), chunks, pooled)


def random_pool(seed: int, n: int) -> list[Item]:
    rng = np.random.default_rng(seed)
    themes = unit(rng.standard_normal((4, DIM)).astype(np.float32))
    clip_themes = unit(rng.standard_normal((4, CLIP)).astype(np.float32))
    items = []
    for i in range(n):
        t = int(rng.integers(4))
        items.append(Item(f"i{i:04d}", None, MediaType.VIDEO,
                          text=_vectors(rng, DIM, False, themes[t]) if rng.random() < 0.6 else None,
                          transcript=_vectors(rng, DIM, False, themes[t]) if rng.random() < 0.5 else None,
                          frames=_vectors(rng, CLIP, True, clip_themes[t]) if rng.random() < 0.5 else None))
    return items


def one_buffer(items: list[Item]) -> list[Item]:
    """The same items with each modality's rows and pooled vectors as views into one array (as a loaded pool)."""
    out = [replace(it) for it in items]
    for modality in ("text", "transcript", "frames"):
        have = [(k, v) for k, v in ((k, getattr(it, modality)) for k, it in enumerate(items))
                if v is not None and len(v.matrix)]
        if not have:
            continue
        rows = np.concatenate([v.matrix for _, v in have])
        pooled = np.stack([v.pooled_vector() for _, v in have])
        at = 0
        for j, (k, v) in enumerate(have):
            setattr(out[k], modality, Vectors(rows[at:at + len(v.matrix)], v.chunks, pooled[j]))
            at += len(v.matrix)
    return out


def random_query(seed: int, others: int, exemplars: tuple[str, ...] = ()) -> CalloutQuery:
    rng = np.random.default_rng(seed + 1000)

    def rows(k: int, d: int) -> np.ndarray:
        return rng.standard_normal((k, d)).astype(np.float32)  # not unit: scoring normalises them

    return CalloutQuery(text=rows(5, DIM), clip=rows(5, CLIP), negative_text=rows(2, DIM), negative_clip=rows(1, CLIP),
                        exemplar_ids=exemplars, others_text=[rows(int(rng.integers(1, 6)), DIM) for _ in range(others)],
                        others_clip=[rows(3, CLIP) for _ in range(max(0, others - 1))])  # the last one has no clip rows


def span_score(item: Item, modality: str, why: Explanation, query: CalloutQuery, mw: float) -> float:
    """The reference's score of the span a reason quotes (found by its chunk times)."""
    vecs = getattr(item, modality)
    starts = [c.start for c in vecs.chunks]
    lo = starts.index(why.frame_time if modality == "frames" else why.start)
    hi = lo if modality == "frames" or why.end == vecs.chunks[lo].end else lo + 1
    m = vecs.matrix
    row = m[lo:lo + 1] if lo == hi else unit(m[lo:lo + 1] + m[hi:hi + 1])
    q = unit(unit(np.asarray(query.clip if modality == "frames" else query.text, dtype=np.float32)))
    return float(ref._aggregate(row @ q.T, mw)[0])


def assert_same(new: list[Scored], old: list[Scored], items: list[Item], query: CalloutQuery,
                params: RelevanceParams, floor: float = 0.3) -> tuple[float, int]:
    """Same items in the same ranking, scores within 1e-6, same reasons and floor marks.

    A reason may quote another span only where the reference scores both spans the same to float rounding (a
    line repeated next to itself: the line alone, or the pair of them). Returns the largest gap and those ties.
    """
    assert [s.item_id for s in new] == [s.item_id for s in old]
    gap = max((abs(a.score - b.score) for a, b in zip(new, old, strict=True)), default=0.0)
    assert gap <= 1e-6

    # The ranking: where the two orders differ, the reference scores the pieces the same to float rounding.
    theirs = {s.item_id: s.score for s in old}
    along = np.array([theirs[s.item_id] for s in sorted(new, key=lambda s: (-s.score, s.item_id))])
    assert (along - np.maximum.accumulate(along[::-1])[::-1] >= -1e-6).all()
    effective = with_exemplars(items, query)
    ties = 0
    for item, a, b in zip(items, new, old, strict=True):
        assert a.per_modality.keys() == b.per_modality.keys()
        assert all(abs(a.per_modality[m] - b.per_modality[m]) <= 1e-6 for m in a.per_modality)
        assert a.why.modality == b.why.modality and abs(a.why.score - b.why.score) <= 1e-6
        if a.why != replace(b.why, score=a.why.score):
            ties += 1
            mine = span_score(item, a.why.modality, a.why, effective, params.max_weight)
            theirs = span_score(item, b.why.modality, b.why, effective, params.max_weight)
            assert abs(mine - theirs) <= 1e-6, (item.submission_id, a.why, b.why)
        assert (a.words_similarity is None) == (b.words_similarity is None)
        if a.words_similarity is not None and b.words_similarity is not None:
            gap = max(gap, abs(a.words_similarity - b.words_similarity))
        assert match(a.words_similarity, floor) == match(b.words_similarity, floor)
    assert gap <= 1e-6
    return gap, ties


@pytest.mark.parametrize("seed", range(6))
def test_random_pools_score_as_the_per_piece_path(seed: int) -> None:
    items = random_pool(seed, 300) if seed % 2 else one_buffer(random_pool(seed, 300))
    params = [RelevanceParams(), RelevanceParams(max_weight=0.3, pooled_weight=0.25),
              RelevanceParams(smooth_weight=0.0, contrast=0.5)][seed % 3]
    query = random_query(seed, others=seed % 4, exemplars=("i0003", "i0010") if seed % 2 else ())
    gap, ties = assert_same(score_pool(items, query, params), ref.score_pool(items, query, params), items, query,
                            params)
    assert gap < 1e-6 and ties <= 3  # ties: pieces whose line repeats next to itself (about 1 in 20 here)


def test_features_made_once_score_every_query_alike() -> None:
    items = random_pool(7, 200)
    features = PoolFeatures(items)
    for seed in range(3):
        query = random_query(seed, others=2)
        assert_same(score_pool(items, query, features=features), ref.score_pool(items, query), items, query,
                    RelevanceParams())


def test_modality_scores_match_the_reference_raw_scores_and_spans() -> None:
    items = random_pool(11, 400)
    vecs = [it.text if it.text is not None and len(it.text.matrix) else None for it in items]
    q = np.random.default_rng(3).standard_normal((4, DIM)).astype(np.float32)
    neg = np.random.default_rng(4).standard_normal((2, DIM)).astype(np.float32)
    for mw, nw in ((0.0, 0.0), (0.5, 0.5)):
        new = modality_scores(vecs, q, 0.4, mw, neg, nw)
        old = ref.modality_scores(vecs, q, 0.4, mw, neg, nw)
        assert np.array_equal(np.isnan(new.raw), np.isnan(old.raw))
        assert np.nanmax(np.abs(new.raw - old.raw)) < 1e-6
        for i, (span, theirs) in enumerate(zip(new.best_span.tolist(), old.best_span, strict=True)):
            if tuple(span) != theirs:  # only where both spans score the same to float rounding
                v = vecs[i]
                assert v is not None
                cand, spans = ref._spans(v, True)
                scores = ref._aggregate(cand @ unit(q).T, mw)
                assert abs(scores[spans.index(tuple(span))] - scores[spans.index(theirs)]) <= 1e-6


def test_a_pool_loaded_as_one_buffer_is_not_copied() -> None:
    base = unit(np.random.default_rng(0).standard_normal((10, DIM)).astype(np.float32))
    pooled = base[:3].copy()
    vecs = [Vectors(base[0:4], [], pooled[0]), None, Vectors(base[4:5], [], pooled[1]),
            Vectors(base[5:10], [], pooled[2])]
    rows = stack_rows(vecs)
    assert np.shares_memory(rows.matrix, base) and np.shares_memory(rows.pooled, pooled)
    assert np.array_equal(rows.matrix, base) and np.array_equal(rows.pooled, pooled)
    assert rows.starts.tolist() == [0, 4, 4, 5, 10] and not rows.matrix.flags.writeable
    assert np.isnan(rows.pair_norm[[3, 4, 9]]).all() and not np.isnan(rows.pair_norm[[0, 5]]).any()
    apart = [Vectors(base[0:4].copy(), []), Vectors(base[4:6].copy(), [])]
    assert not np.shares_memory(joined([v.matrix for v in apart]), base)  # separate arrays: one copy
    assert not np.shares_memory(joined([base[0:2], base[5:7]]), base[2:5])  # a gap: copied, not spanned


@pytest.mark.real_models
def test_the_sample_texts_with_the_bundled_text_models_score_as_the_per_piece_path() -> None:
    from triage.chunking import chunk_text, pool
    from triage.encoders import registry
    from triage.pipeline import CHUNK_WORDS
    from triage.scoring.query import callout_texts

    encoder = registry.text_encoder("all-MiniLM-L6-v2+all-mpnet-base-v2", device="cpu")
    samples = sorted((ROOT / "samples" / "media").glob("*.txt"))
    items = []
    for path in samples:
        chunks = chunk_text(path.read_text(), max_words=CHUNK_WORDS)
        vectors = encoder.encode([c.text for c in chunks])
        items.append(Item(path.stem, None, MediaType.TEXT,
                          text=Vectors(vectors, chunks, pool(vectors, [len(c.text) for c in chunks]))))
    items = one_buffer(items)
    food = encoder.encode_queries(callout_texts("Kitchen Confessions", "Food, cooking and eating: recipes gone wrong."))
    pets = encoder.encode_queries(callout_texts("Furry Roommates", "Our pets: dogs, cats and other animals."))
    for query in (CalloutQuery(text=food, others_text=[pets]), CalloutQuery(text=pets, others_text=[food]),
                  CalloutQuery(text=encoder.encode_queries(["a dog that steals food"]), others_text=[food, pets])):
        assert_same(score_pool(items, query), ref.score_pool(items, query), items, query, RelevanceParams())
