"""Vector indexes follow the database; reprocessing recomputes only what a changed model made."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import MEDIA
from triage import runtime
from triage.config import Settings
from triage.domain import Transcript
from triage.encoders.fake import FakeTextEncoder, FakeTranscriber
from triage.ingest import reprocess as rp
from triage.ingest.runner import ingest
from triage.ingest.sources import from_paths
from triage.pipeline import text_vectors_model
from triage.service.index import sync, sync_all
from triage.service.search import search, similar
from triage.service.shortlist import shortlist
from triage.store.callouts import upsert_callout
from triage.store.schema import Submission, Vector
from triage.store.store import Store
from triage.vectors import VectorIndex


@pytest.fixture
def filled(settings: Settings) -> Store:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="Stories about foxes, dogs and rivers.")
    ingest(store, "lawn", list(from_paths([MEDIA / "good"])), runtime.analyser(settings, runtime.encoders(settings)),
           max_file_bytes=10**9)
    return store


def test_index_sync_adds_and_removes_incrementally(filled: Store, tmp_path: Path) -> None:
    index, report = sync(filled, tmp_path / "index", "text", exact_max=1000)
    assert index is not None and report.rebuilt and report.size > 0
    again, second = sync(filled, tmp_path / "index", "text", exact_max=1000)
    assert (second.added, second.removed, second.rebuilt) == (0, 0, False)
    with filled.db.session() as session:
        victim = session.scalars(select(Vector).where(Vector.space == "text")).first()
        assert victim is not None
        session.delete(victim)
    _, third = sync(filled, tmp_path / "index", "text", exact_max=1000)
    assert (third.added, third.removed) == (0, 1) and third.size == report.size - 1


def test_index_sync_skips_vectors_replaced_while_it_ran(filled: Store, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """An ingest beside the sync deletes vectors after they were listed: the sync indexes the rest (it used to
    fail with a KeyError), and the next one is whole again."""
    from triage.service import index as indexes

    listed = indexes._db_ids(filled, "text")
    monkeypatch.setattr(indexes, "_db_ids", lambda store, space: np.append(listed, [10**9, 10**9 + 1]))
    index, report = sync(filled, tmp_path / "index", "text", exact_max=1000)
    assert index is not None and report.size == len(listed)
    monkeypatch.setattr(indexes, "_db_ids", lambda store, space: np.append(listed, [10**9 + 2]))
    again, second = sync(filled, tmp_path / "index", "text", exact_max=1000)
    assert again is not None and (second.added, second.removed, second.size) == (0, 0, len(listed))
    monkeypatch.undo()
    _, third = sync(filled, tmp_path / "index", "text", exact_max=1000)
    assert (third.added, third.removed, third.rebuilt) == (0, 0, False)


def test_index_sync_retrains_an_outgrown_ivf_index_from_the_database(filled: Store, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    index, _ = sync(filled, tmp_path / "index", "text", exact_max=1)
    assert index is not None and index.kind == "ivf"
    answers = iter([True])  # the index loaded by the next sync has outgrown its lists; later ones have not
    monkeypatch.setattr(VectorIndex, "outgrown", property(lambda self: next(answers, False)))
    again, report = sync(filled, tmp_path / "index", "text", exact_max=1)
    assert report.rebuilt and again is not index and again is not None and len(again) == len(index)
    _, third = sync(filled, tmp_path / "index", "text", exact_max=1)
    assert not third.rebuilt  # the retrained index was saved


def test_search_narrowed_by_the_index_finds_the_same_top_results(filled: Store, settings: Settings,
                                                                  tmp_path: Path) -> None:
    """The index path only narrows the pool; on a pool it covers whole, the ranking is the exact one."""
    models = runtime.query_encoders(settings)
    exact = search(filled, models, "the quick brown fox", limit=5)
    narrowed = search(filled, models, "the quick brown fox", limit=5, index_dir=tmp_path / "index", narrow_above=1)
    assert [i["submission_id"] for i in narrowed["items"]] == [i["submission_id"] for i in exact["items"]]
    assert (tmp_path / "index" / "text.faiss").exists()


def test_similar_narrowed_by_the_index_finds_the_same_top_results(filled: Store, settings: Settings,
                                                                   tmp_path: Path) -> None:
    models = runtime.query_encoders(settings)
    with filled.db.session() as session:
        piece = session.scalars(select(Submission.id).where(Submission.status == "ready")).first()
    assert piece is not None
    exact = similar(filled, models, piece, limit=5)
    narrowed = similar(filled, models, piece, limit=5, index_dir=tmp_path / "index", narrow_above=1)
    assert exact["items"] and piece not in {i["submission_id"] for i in exact["items"]}
    assert [i["submission_id"] for i in narrowed["items"]] == [i["submission_id"] for i in exact["items"]]


def test_reprocess_recomputes_only_what_a_changed_model_made(filled: Store, settings: Settings) -> None:
    models = runtime.encoders(settings)
    shas = rp.contents_in_scope(filled, None)
    assert shas and all(rp.stale_stages(filled, sha, models) == () for sha in shas)

    renamed = FakeTextEncoder()
    renamed.name = "fake-text-v2"
    models.text = renamed
    stale = {sha: rp.stale_stages(filled, sha, models) for sha in shas}
    assert {s for s in stale.values() if s} == {("text",)}
    analyse = runtime.analyser(settings, models)
    for sha, stages in stale.items():
        assert rp.reprocess_one(filled, sha, stages, analyse).error is None
    with filled.db.session() as session:
        assert set(session.scalars(select(Vector.model).where(Vector.space == "text"))) == {
            text_vectors_model(renamed)}
    assert all(rp.stale_stages(filled, sha, models) == () for sha in shas)
    assert rp.with_dependents(("transcripts",)) == ("transcripts", "text", "fingerprints")


def test_reprocess_redoes_fingerprints_an_older_way_made(filled: Store, settings: Settings) -> None:
    from triage.pipeline import FINGERPRINTS_MODEL
    from triage.store.schema import Artifact

    models = runtime.encoders(settings)
    sha = rp.contents_in_scope(filled, None)[0]
    with filled.db.session() as session:
        row = session.scalar(select(Artifact).where(Artifact.sha256 == sha, Artifact.kind == "fingerprints"))
        assert row is not None and row.model == FINGERPRINTS_MODEL
        row.model = "phash+chromaprint+minhash"  # frame hashes from before bars and borders were trimmed
    assert rp.stale_stages(filled, sha, models) == ("fingerprints",)
    assert rp.reprocess_one(filled, sha, ("fingerprints",), runtime.analyser(settings, models)).error is None
    assert rp.stale_stages(filled, sha, models) == ()


def test_score_snapshot_is_used_only_while_its_inputs_are_unchanged(filled: Store, settings: Settings) -> None:
    from triage.service.pool import load_pool
    from triage.service.rescore import load_snapshot, rescore, signature
    from triage.service.shortlist import shortlist
    from triage.store.callouts import get_callout

    models = runtime.query_encoders(settings)
    live = shortlist(filled, models, "lawn", limit=5)
    steps: list[tuple[int, int]] = []
    summary = rescore(filled, models, "lawn", lambda done, total: steps.append((done, total)))
    assert summary["submissions"] > 0 and steps[-1] == (4, 4)
    assert shortlist(filled, models, "lawn", limit=5)["items"] == live["items"]

    with filled.db.session() as session:
        callout = get_callout(session, "lawn")
        sig = signature(session, callout, load_pool(session, "lawn"), models)
        assert load_snapshot(filled, "lawn", sig) is not None
        upsert_callout(session, "lawn", brief="Something else entirely: tractors.")
        changed = signature(session, get_callout(session, "lawn"), load_pool(session, "lawn"), models)
    assert changed != sig and load_snapshot(filled, "lawn", changed) is None


class _NewWhisper(FakeTranscriber):
    """Another speech model: the same moments, other words (as after switching Whisper models)."""

    def transcribe(self, audio: np.ndarray, *, vad: bool | None = None) -> Transcript:
        old = super().transcribe(audio, vad=vad)
        segments = tuple(replace(s, text="tractor ploughing a muddy field") for s in old.segments)
        return replace(old, text=" ".join(s.text for s in segments), segments=segments, model="fake-transcriber-v2")


def test_a_score_snapshot_is_not_used_once_reprocessing_changed_the_transcripts(filled: Store,
                                                                                 settings: Settings) -> None:
    from triage.service.rescore import rescore, snapshot_path
    from triage.service.shortlist import shortlist

    models = runtime.query_encoders(settings)
    rescore(filled, models, "lawn")
    analysers = runtime.encoders(settings)
    analysers.transcriber = _NewWhisper()
    analyse = runtime.analyser(settings, analysers)
    for sha in rp.contents_in_scope(filled, "lawn"):
        assert rp.reprocess_one(filled, sha, rp.with_dependents(("transcripts",)), analyse).error is None
    after = shortlist(filled, models, "lawn", limit=50)
    snapshot_path(filled, "lawn").unlink()
    assert after == shortlist(filled, models, "lawn", limit=50)  # the scores of the new words, not the old
    assert any("tractor" in (i["why"]["snippet"] or "") for i in after["items"])


def test_a_change_of_text_model_stopped_half_way_breaks_nothing(filled: Store, settings: Settings,
                                                                tmp_path: Path) -> None:
    """Half the archive re-embedded by a model of another size (a reprocess stopped, or still running)."""
    old = runtime.query_encoders(settings)
    bigger = runtime.encoders(settings)
    bigger.text = FakeTextEncoder(dim=384)
    shas = sorted(rp.contents_in_scope(filled, None))
    analyse = runtime.analyser(settings, bigger)
    for sha in shas[: len(shas) // 2]:
        stages = rp.stale_stages(filled, sha, bigger)
        if stages:
            assert rp.reprocess_one(filled, sha, stages, analyse).error is None
    with filled.db.session() as session:
        sizes = {len(v) // 4 for v in session.scalars(select(Vector.vector).where(Vector.space == "text"))}
    assert sizes == {256, 384}

    index = tmp_path / "index"
    for models in (old, bigger):  # before and after the setting changed
        found = search(filled, models, "the quick brown fox", limit=5)["items"]
        assert any(i["snippet"] for i in found)  # pieces matched by this model's words, not listed blind
        # narrowed by the index (which holds the newest model's vectors only), or the whole pool where it cannot
        assert search(filled, models, "the quick brown fox", limit=5, index_dir=index, narrow_above=1)["items"]
        assert shortlist(filled, models, "lawn", limit=50)["items"]
    reports = sync_all(filled, index, exact_max=1000)
    assert {r.space: r.size for r in reports}["text"] > 0  # the newest model's vectors: no mixed sizes
