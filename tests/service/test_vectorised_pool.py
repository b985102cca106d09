"""An ingested pool (text, transcripts and frames, as ingest stores them) scores as the per-piece path scored it,
and is loaded into one buffer per modality that scoring uses without a copy."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import ingested
from tests.scoring import reference_relevance as ref
from tests.scoring.test_vectorised import assert_same
from tests.service.test_cache import add_text
from tests.service.test_pool_delta import same
from triage import runtime
from triage.config import Settings
from triage.scoring.modality import MODALITIES, PoolFeatures
from triage.scoring.relevance import RelevanceParams, score_pool
from triage.service import pool as pool_module
from triage.service.cache import PoolCache, View
from triage.service.memo import Embeddings
from triage.service.pool import load_pool, model_names
from triage.service.queries import callout_query, prompt_query
from triage.store.callouts import get_callout, upsert_callout

FILES = ("latin1.txt", "lyrics.md", "speech.wav", "speech.mp4", "scene_cut.mp4", "image.png", "photo.jpg",
         "silent.mp4", "cover_art.mp3")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("vectorised")
    settings = Settings(data_dir=root / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                        models_dir=root / "models")
    store = ingested(settings, *FILES)
    with store.db.session() as session:
        upsert_callout(session, "river", title="River", brief="Boats on a red river, and the songs of the bank.")
    yield store, runtime.query_encoders(settings)
    store.close()


def test_an_ingested_pool_scores_as_the_per_piece_path(store) -> None:  # type: ignore[no-untyped-def]
    store, models = store
    with store.db.session() as session:
        pool = load_pool(session, "lawn", models=model_names(models))
        queries = [callout_query(session, models, get_callout(session, "lawn")),
                   prompt_query(session, models, "a fox by the river"), prompt_query(session, models, "red")]
    items = list(pool.items.values())
    assert {m for it in items for m in MODALITIES if getattr(it, m) is not None} == set(MODALITIES)
    features = PoolFeatures(items)
    for query in queries:
        for params in (RelevanceParams(), RelevanceParams(max_weight=0.5)):
            new = score_pool(items, query, params, features=features)
            assert_same(new, ref.score_pool(items, query, params), items, query, params)


def test_each_modality_of_a_loaded_pool_lies_in_one_buffer(store) -> None:  # type: ignore[no-untyped-def]
    store, models = store
    with store.db.session() as session:
        pool = load_pool(session, "lawn", models=model_names(models))
    features = PoolFeatures(list(pool.items.values()))
    for modality in MODALITIES:
        rows = features.rows(modality)
        assert rows is not None
        pieces = [getattr(it, modality) for it in pool.items.values() if getattr(it, modality) is not None]
        assert all(np.shares_memory(rows.matrix, v.matrix) for v in pieces)  # views, not copies
        assert all(np.shares_memory(rows.pooled, v.pooled) for v in pieces if v.pooled is not None)
        assert not rows.matrix.flags.writeable  # shared by every search of the pool


def test_the_view_keeps_features_and_other_callouts_embeddings(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store, models = store
    cache = PoolCache()
    view = View(store, models, "lawn", cache)
    assert view.features() is view.features()
    seen: list[list[str]] = []
    encode = models.text.encode_queries
    monkeypatch.setattr(models.text, "encode_queries", lambda texts: seen.append(texts) or encode(texts))
    view.prompt_query("a fox by the river")
    view.prompt_query("a boat at night")
    view.prompt_query("a fox by the river")  # the View's memo answers
    View(store, models, "river", cache).prompt_query("a fox by the river")  # another call-out: the kept embeddings
    # every call-out gives a prompt contrast; their words were embedded for the first prompt only
    assert [t[0] for t in seen] == ["a fox by the river", "Lawn", "River", "a boat at night"]
    assert len(cache.embeddings) == 4 and cache.embeddings.bytes > 0


def test_embeddings_are_dropped_by_size_least_recently_used_first() -> None:
    kept = Embeddings(max_bytes=3 * (400 + 64))
    for k in range(4):
        kept.get(k, lambda: np.zeros(100, dtype=np.float32))
    assert len(kept) == 3 and kept.bytes <= kept.max_bytes
    kept.get(1, lambda: pytest.fail("1 is kept"))
    kept.get(4, lambda: np.zeros(100, dtype=np.float32))  # drops 2, the least recently used
    kept.get(1, lambda: pytest.fail("1 is kept"))
    calls: list[int] = []
    kept.get(2, lambda: calls.append(2) or np.zeros(100, dtype=np.float32))
    assert calls == [2]


def test_a_narrowed_search_keeps_the_index_until_the_vectors_change(store, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A big pool's search is narrowed by the FAISS index: synced once, not per search, and again after a change."""
    from tests.service.test_cache import add_text
    from triage.service import index as index_module
    from triage.service import search as search_module

    store, models = store
    syncs: list[str] = []
    sync = index_module.sync
    monkeypatch.setattr(index_module, "sync", lambda *a, **k: syncs.append(a[2]) or sync(*a, **k))
    cache, index = PoolCache(), tmp_path / "index"

    def found(prompt: str, cached: bool = True) -> list[str]:
        reply = search_module.search(store, models, prompt, callout_id="lawn", index_dir=index, narrow_above=1,
                                     cache=cache if cached else None)
        return [i["submission_id"] for i in reply["items"]]

    assert found("a fox by the river") == found("a fox by the river", cached=False)
    found("a boat at night")
    assert syncs.count("text") == 2  # the uncached search synced once more; the kept index served the rest
    sid = add_text(store, 990_001, "otters otters otters in the weir")
    assert sid in found("otters in the weir") and syncs.count("text") == 3


def test_a_pool_read_by_scanning_the_tables_is_the_pool_read_by_hash(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A pool that is most of the archive is read in one pass over each table; a small one by its hashes, in
    batches. Both give the same pool, to the order of each piece's rows."""
    store, models = store
    add_text(store, 90_001, "A piece of another call-out, never in this pool.", callout="river")
    pools = []
    for scan in (True, False):
        monkeypatch.setattr(pool_module, "scans_whole_tables", lambda session, contents, scan=scan: scan)
        with store.db.session() as session:
            pools.append(load_pool(session, "lawn", models=model_names(models)))
    assert len(pools[0].items) >= len(FILES)
    same(pools[0], pools[1])
    monkeypatch.undo()
    contents = len({row.sha256 for row in pools[0].submissions.values()})
    with store.db.session() as session:  # the one call-out is the whole archive; an empty pool reads nothing
        assert pool_module.scans_whole_tables(session, contents)
        assert not pool_module.scans_whole_tables(session, (contents - 1) // 2)
        assert not pool_module.scans_whole_tables(session, 0)
