"""The per-call-out cache gives exactly the fresh results, computes once under concurrency, and notices changes."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from triage import runtime
from triage.chunking import chunk_text
from triage.config import Settings
from triage.domain import Embedding, Status
from triage.encoders.base import Encoders
from triage.encoders.fake import FakeTextEncoder
from triage.service import cache as cache_module
from triage.service import lineage_prints
from triage.service.cache import PoolCache, View, pool_signature
from triage.service.clusters import clusters
from triage.service.decisions import record
from triage.service.duplicates import set_override
from triage.service.erase import erase
from triage.service.memo import Memo
from triage.service.rescore import rescore, snapshot_path
from triage.service.search import search
from triage.service.shortlist import shortlist
from triage.service.verdicts import keep, take_back, unkeep
from triage.store.artifacts import put_artifact, replace_vectors
from triage.store.callouts import set_exemplar, upsert_callout
from triage.store.schema import LINEAGE_KINDS, POOL_ARTIFACTS, Artifact, Content, Submission, Vector
from triage.store.store import Store

THEMES = (["fox", "den", "burrow", "tail", "cub"], ["river", "boat", "paddle", "bank", "current"],
          ["guitar", "chord", "song", "string", "melody"])


def add_text(store: Store, i: int, text: str, callout: str = "lawn") -> str:
    """One ready text submission with its chunk and pooled vectors, as ingest would leave it."""
    encoder = FakeTextEncoder()
    sha = hashlib.sha256(f"{i}:{text}".encode()).hexdigest()
    probe = {"media_type": "text", "format_name": "text", "mime": "text/plain", "char_count": len(text)}
    chunks = chunk_text(text)
    matrix = encoder.encode([c.text for c in chunks])
    pooled = matrix.mean(axis=0)
    pooled /= np.linalg.norm(pooled) or 1
    vecs = [{"sha256": sha, "space": "text", "source": "text", "kind": "chunk", "ordinal": k,
             "char_start": c.char_start, "char_end": c.char_end, "snippet": c.text,
             "model": encoder.name, "vector": v.astype("<f4").tobytes()}
            for k, (c, v) in enumerate(zip(chunks, matrix, strict=True))]
    vecs.append({"sha256": sha, "space": "text", "source": "text", "kind": "pooled", "ordinal": 0, "char_start": None,
                 "char_end": None, "snippet": None, "model": encoder.name, "vector": pooled.astype("<f4").tobytes()})
    sid = f"s_{i:06d}"
    with store.db.session() as session:
        session.execute(Content.__table__.insert(), [{"sha256": sha, "size": len(text), "media_type": "text",
                                                      "probe": probe, "status": "ready"}])
        session.execute(Submission.__table__.insert(), [{
            "id": sid, "callout_id": callout, "source_key": f"t:{i}", "external_id": f"e{i}", "media_type": "text",
            "sha256": sha, "size": len(text), "status": "ready", "probe": probe, "original_filename": f"{i}.txt"}])
        session.execute(Artifact.__table__.insert(), [{"sha256": sha, "kind": "text", "model": "",
                                                       "data": {"text": text}}])
        session.execute(Vector.__table__.insert(), vecs)
    return sid


@pytest.fixture
def store(settings: Settings) -> Store:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="a fox in its den with a cub")
        upsert_callout(session, "water", title="Water", brief="a boat on the river")
    rng = np.random.default_rng(0)
    for i in range(30):
        theme = THEMES[i % len(THEMES)]
        add_text(store, i, " ".join(rng.choice(theme, 6)) + " and some other words here.")
    return store


@pytest.fixture
def models(settings: Settings) -> Encoders:
    return runtime.query_encoders(settings)


def both(call: Any, cache: PoolCache, *args: Any, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cached result (asked twice, so the second comes from the cache) and a fresh one."""
    call(*args, cache=cache, **kwargs)
    return call(*args, cache=cache, **kwargs), call(*args, **kwargs)


def test_cached_results_are_identical_to_fresh_ones(store: Store, models: Encoders) -> None:
    cache = PoolCache()
    cached, fresh = both(shortlist, cache, store, models, "lawn", limit=10)
    assert cached == fresh and cached["items"]
    cached, fresh = both(search, cache, store, models, "a guitar song", callout_id="lawn", limit=5)
    assert cached == fresh and cached["items"][0]["snippet"]
    cached, fresh = both(clusters, cache, store, models, "lawn")
    assert cached == fresh
    assert cache.memo.hits > 0


def test_the_pool_is_loaded_once_for_many_requests(store: Store, models: Encoders,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    loads = []
    real = cache_module.load_pool
    monkeypatch.setattr(cache_module, "load_pool", lambda *a, **k: loads.append(1) or real(*a, **k))
    cache = PoolCache()
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: results.append(shortlist(store, models, "lawn", cache=cache)))
               for _ in range(8)]
    threads += [threading.Thread(target=lambda: results.append(search(store, models, "fox", callout_id="lawn",
                                                                      cache=cache))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12 and len(loads) == 1


def test_a_new_submission_shows_up(store: Store, models: Encoders) -> None:
    cache = PoolCache()
    before = shortlist(store, models, "lawn", limit=50, cache=cache)
    add_text(store, 999, "fox den cub burrow fox den cub tail fox.")
    cached, fresh = both(shortlist, cache, store, models, "lawn", limit=50)
    assert cached == fresh and cached["total"] == before["total"] + 1
    assert "e999" in [i["external_id"] for i in cached["items"]]
    found = search(store, models, "fox den cub", callout_id="lawn", cache=cache)
    assert found == search(store, models, "fox den cub", callout_id="lawn")


def test_a_decision_shows_up(store: Store, models: Encoders) -> None:
    cache = PoolCache()
    first = shortlist(store, models, "lawn", limit=5, cache=cache)["items"][0]
    with store.db.session() as session:
        record(session, first["submission_id"], "starred", note=None, by="test")
    cached, fresh = both(shortlist, cache, store, models, "lawn", limit=5)
    assert cached == fresh and cached["items"][0]["decision"] == "starred"
    starred, fresh = both(shortlist, cache, store, models, "lawn", decision="starred")
    assert starred == fresh and [i["submission_id"] for i in starred["items"]] == [first["submission_id"]]


def test_a_duplicate_verdict_shows_up(store: Store, models: Encoders) -> None:
    cache = PoolCache()
    top = shortlist(store, models, "lawn", limit=2, diversity=0.0, cache=cache)["items"]
    set_override(store, top[0]["submission_id"], top[1]["submission_id"], "merge", "test")
    cached, fresh = both(shortlist, cache, store, models, "lawn", limit=2, diversity=0.0)
    assert cached == fresh
    assert top[1]["external_id"] in cached["items"][0]["duplicates"] + [cached["items"][0]["external_id"]]
    assert len(cached["items"][0]["duplicates"]) == 1


def test_a_verdict_changes_only_the_pools_holding_its_pair(store: Store, models: Encoders) -> None:
    water = [add_text(store, 100 + i, "a boat on the river bank, paddle and current", callout="water")
             for i in range(2)]
    with store.db.session() as session:
        before = {c: pool_signature(session, c, models) for c in ("lawn", "water", None)}
    assert set_override(store, *water, "not_duplicate", "test") == ["water"]
    with store.db.session() as session:
        after = {c: pool_signature(session, c, models) for c in ("lawn", "water", None)}
    assert after["lawn"] == before["lawn"]  # lawn's cache and snapshot stay valid
    assert after["water"] != before["water"] and after[None] != before[None]


def test_a_new_brief_rescores(store: Store, models: Encoders) -> None:
    cache = PoolCache()
    before = shortlist(store, models, "lawn", limit=5, diversity=0.0, cache=cache)
    time.sleep(0.01)  # updated_at has microseconds, but be sure the clock moved
    with store.db.session() as session:
        upsert_callout(session, "lawn", brief="a guitar chord in a song with a melody")
    cached, fresh = both(shortlist, cache, store, models, "lawn", limit=5, diversity=0.0)
    assert cached == fresh and cached != before
    assert any(word in (cached["items"][0]["why"]["snippet"] or "") for word in THEMES[2])


def test_a_verdict_or_new_words_recompute_only_what_depends_on_them(store: Store, models: Encoders,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A duplicate verdict regroups and re-ranks without loading or clustering the pool again; a call-out's new
    words re-score without regrouping either. Every answer is the one a fresh computation gives."""
    calls: dict[str, int] = {"load_pool": 0, "cluster_pool": 0, "pool_groups": 0}
    for name in calls:
        real = getattr(cache_module, name)
        monkeypatch.setattr(cache_module, name, lambda *a, name=name, real=real, **k: (
            calls.__setitem__(name, calls[name] + 1), real(*a, **k))[1])
    cache = PoolCache()
    top = shortlist(store, models, "lawn", limit=2, diversity=0.0, cache=cache)["items"]
    assert calls == {"load_pool": 1, "cluster_pool": 1, "pool_groups": 1}
    set_override(store, top[0]["submission_id"], top[1]["submission_id"], "merge", "test")
    assert shortlist(store, models, "lawn", limit=5, cache=cache) == shortlist(store, models, "lawn", limit=5)
    # one more load and clustering, the fresh computation's; the cached answer only regrouped
    assert calls == {"load_pool": 2, "cluster_pool": 2, "pool_groups": 3}
    time.sleep(0.01)
    with store.db.session() as session:
        upsert_callout(session, "lawn", brief="a guitar chord in a song with a melody")
    before = dict(calls)
    cached = shortlist(store, models, "lawn", limit=5, cache=cache)
    assert calls == before, "nothing loaded, clustered or grouped again for new words"
    assert cached == shortlist(store, models, "lawn", limit=5)


def test_saved_scores_spare_the_clustering(store: Store, models: Encoders, monkeypatch: pytest.MonkeyPatch) -> None:
    """With `triage score`'s snapshot of the pool, a cold cache ranks and lists clusters without clustering (the
    snapshot's clusters are the ones it would compute)."""
    rescore(store, models, "lawn")
    calls: list[int] = []
    real = cache_module.cluster_pool
    monkeypatch.setattr(cache_module, "cluster_pool", lambda *a, **k: calls.append(1) or real(*a, **k))
    cache = PoolCache()
    ranked = shortlist(store, models, "lawn", limit=10, cache=cache)
    listed = clusters(store, models, "lawn", cache=cache)
    assert calls == []
    snapshot_path(store, "lawn").unlink()
    assert shortlist(store, models, "lawn", limit=10) == ranked and clusters(store, models, "lawn") == listed
    assert calls == [1, 1]  # each fresh computation (no cache) clustered


def test_without_a_snapshot_no_signature_is_computed(store: Store, models: Encoders,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot's signature reads every derived row of the call-out: a pool never scored by `triage score` does
    not pay for it."""
    signed: list[str] = []
    real = cache_module.snapshot_signature
    monkeypatch.setattr(cache_module, "snapshot_signature", lambda *a, **k: signed.append("x") or real(*a, **k))
    snapshot_path(store, "lawn").unlink(missing_ok=True)
    fresh = shortlist(store, models, "lawn", limit=10, cache=PoolCache())
    assert signed == []
    rescore(store, models, "lawn")
    assert shortlist(store, models, "lawn", limit=10, cache=PoolCache()) == fresh and signed == ["x"]


def test_memo_single_flight_errors_and_bounds() -> None:
    memo = Memo(max_entries=3, max_scopes=2)
    calls = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.05)
        return 7

    out: list[int] = []
    threads = [threading.Thread(target=lambda: out.append(memo.get(("a", "s1", "x"), slow))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [7] * 6 and len(calls) == 1

    def boom() -> int:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        memo.get(("a", "s1", "y"), boom)
    assert memo.get(("a", "s1", "y"), lambda: 1) == 1  # a failure is not remembered
    memo.get(("a", "s2", "x"), lambda: 2)  # a new signature drops the scope's stale entries
    assert len(memo) == 1
    memo.get(("b", "s", "x"), lambda: 3)
    memo.get(("c", "s", "x"), lambda: 4)  # only the two most recent scopes stay
    assert len(memo) == 2 and memo.get(("a", "s2", "x"), lambda: 9) == 9


def test_a_submission_leaving_the_pool_disappears(store: Store, models: Encoders) -> None:
    cache = PoolCache()
    top = shortlist(store, models, "lawn", limit=3, cache=cache)["items"][0]
    with store.db.session() as session:
        row = session.get(Submission, top["submission_id"])
        assert row is not None
        row.status = Status.FAILED.value
    cached, fresh = both(shortlist, cache, store, models, "lawn", limit=3)
    assert cached == fresh and top["submission_id"] not in [i["submission_id"] for i in cached["items"]]


def test_a_request_reads_one_pool_while_newer_ones_push_it_out(store: Store, models: Encoders) -> None:
    """A request that began before a piece arrived keeps the pool it loaded, and everything it computes comes from
    that pool, even after a newer request's entries pushed the old signature's out of the memo. (Loading the pool
    again found one piece more, and scoring mixed arrays of two pools: an IndexError under uploads.)"""
    cache = PoolCache()
    early = View(store, models, "lawn", cache)
    pool = early.pool()
    time.sleep(0.002)
    add_text(store, 300, "a fox in the den", callout="lawn")
    late = View(store, models, "lawn", cache)
    assert late.sig != early.sig and len(late.features().items) == len(pool.items) + 1
    assert early.pool() is pool
    scores, _, _ = early.scores()
    assert len(early.features().items) == len(pool.items) and sorted(scores.ids) == sorted(pool.items)


def signatures(store: Store, models: Encoders | None) -> dict[str | None, tuple[str, int]]:
    with store.db.session() as session:
        return {c: pool_signature(session, c, models) for c in ("lawn", "water", None)}


def changed(store: Store, models: Encoders, before: dict[str | None, tuple[str, int]]) -> set[str | None]:
    after = signatures(store, models)
    return {c for c in before if after[c] != before[c]}


def test_the_signature_changes_with_every_write_that_changes_a_pool(store: Store, models: Encoders) -> None:
    """Each kind of write that can change a pool's scores, groups or clusters changes its signature (and the
    archive's), whether or not it touches the newest rows: the signature reads no count of artifacts, so the
    artifact and vector writes are checked in the middle of the tables as well as at their ends."""
    time.sleep(0.01)  # updated_at has microseconds, but be sure the clock moved between writes
    water = add_text(store, 200, "a boat on the river bank", callout="water")
    with store.db.session() as session:
        first = session.get(Submission, "s_000000")  # the oldest piece: its rows are none of the tables' newest
        assert first is not None and first.sha256 is not None
        sha = first.sha256
        newest_sha = session.get(Submission, water).sha256  # type: ignore[union-attr]
        assert newest_sha is not None

    def step(write: Callable[[], object], expected: set[str | None]) -> None:
        before = signatures(store, models)
        time.sleep(0.002)
        write()
        assert expected <= changed(store, models, before), write  # archive-wide marks change the others too

    def in_session(do: Callable[[Session], object]) -> Callable[[], object]:
        def write() -> None:
            with store.db.session() as session:
                do(session)
        return write

    both_ = {"lawn", None}
    # a piece's artifact replaced (reprocessing), in the middle of the table and at its end
    step(in_session(lambda s: put_artifact(s, sha, "text", data={"text": "a guitar chord"})), both_)
    step(in_session(lambda s: put_artifact(s, newest_sha, "text", data={"text": "a boat"})), {"water", None})
    step(in_session(lambda s: put_artifact(s, sha, "fingerprints", data={"new": "kind"})), both_)
    # a piece's vectors replaced: more, fewer, none (a stage that found no words) and back, mid-table and at the end
    fake = FakeTextEncoder()

    def vectors(n: int) -> list[Embedding]:
        return [Embedding(space="text", source="text", kind="chunk", ordinal=k, model=fake.name,
                          vector=fake.encode([f"river boat {k}"])[0]) for k in range(n)]

    for n in (3, 1, 0, 2):  # the newest content's: the table's end
        step(in_session(lambda s, n=n: replace_vectors(s, newest_sha, "text", vectors(n))), {"water", None})
    with store.db.session() as session:
        middle = [session.get(Submission, f"s_{i:06d}").sha256 for i in (0, 5, 7)]  # type: ignore[union-attr]
    for target, n in zip(middle, (0, 1, 3), strict=True):  # none, fewer, more: rows in the table's middle
        step(in_session(lambda s, t=target, n=n: replace_vectors(s, t, "text", vectors(n))), both_)
    # a content's row changed (its state or probe)
    step(in_session(lambda s: setattr(s.get(Content, sha), "status", Status.PROCESSING.value)), both_)
    step(in_session(lambda s: setattr(s.get(Content, sha), "status", Status.READY.value)), both_)
    # a piece leaving and rejoining the pool, moving to another call-out, added
    step(in_session(lambda s: setattr(s.get(Submission, "s_000001"), "status", Status.FAILED.value)), both_)
    step(in_session(lambda s: setattr(s.get(Submission, "s_000001"), "status", Status.READY.value)), both_)
    step(in_session(lambda s: setattr(s.get(Submission, "s_000002"), "callout_id", "water")), {"lawn", "water", None})
    step(lambda: add_text(store, 201, "a fox in the den", callout="lawn"), both_)
    # curators' verdicts and kept copies
    step(lambda: set_override(store, "s_000003", "s_000006", "merge", "test"), both_)
    step(lambda: take_back(store, "s_000003", "s_000006"), both_)
    step(lambda: keep(store, "s_000003", by="test"), {"lawn", "water", None})
    step(lambda: unkeep(store, "s_000003"), {"lawn", "water", None})
    # a call-out's words and exemplars (every pool's scores contrast with the other call-outs')
    step(in_session(lambda s: upsert_callout(s, "water", prompts=["a canoe"])), {"lawn", "water", None})
    step(in_session(lambda s: set_exemplar(s, "lawn", s.get(Submission, "s_000003"), True)), {"lawn", "water", None})
    # the models
    assert signatures(store, None) != signatures(store, models)


def test_erasing_a_piece_changes_its_pools(store: Store, models: Encoders, tmp_path: Path) -> None:
    """Erasure deletes the piece's artifacts and vectors (the signature counts no artifacts): its call-out's pool
    and the archive's change through the tombstone."""
    add_text(store, 200, "a boat on the river bank", callout="water")
    before = signatures(store, models)
    time.sleep(0.002)
    erase(store, submissions=["s_000004"], index_dir=tmp_path / "indexes")
    assert {"lawn", None} <= changed(store, models, before)


def test_lineage_fingerprints_leave_every_pool_as_it_was(store: Store, models: Encoders) -> None:
    """Lineage's job writes its fingerprint files after a piece is ready; no pool reads them, so no pool's cache is
    thrown away for them. The same write of a kind pools read changes the signature (the test can fail)."""
    with store.db.session() as session:
        sha = session.get(Submission, "s_000003").sha256  # type: ignore[union-attr]
        assert sha is not None
    for kind in LINEAGE_KINDS:
        before = signatures(store, models)
        with store.db.session() as session:
            put_artifact(session, sha, kind, model="test-1", path=f"derived/{kind}.npz")
        assert changed(store, models, before) == set(), kind
    before = signatures(store, models)
    with store.db.session() as session:
        put_artifact(session, sha, "fingerprints", data={"new": "kind"})
    assert {"lawn", None} <= changed(store, models, before)  # artifacts are marked archive-wide


def test_the_lineage_kinds_are_the_ones_lineage_writes(store: Store) -> None:
    """The kinds left out of the signature are exactly lineage's, and the migrated index holds the schema's text."""
    assert set(LINEAGE_KINDS) == {lineage_prints.PEAKS, lineage_prints.FRAMES}
    with store.db.engine.connect() as connection:
        made = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_artifacts_pool_newest'").scalar_one()
    assert made.endswith(POOL_ARTIFACTS)


def test_the_signature_reads_indexes_not_tables(store: Store, models: Encoders) -> None:
    """Every statement of the signature is an index lookup or a range of one index, except the scans of the small
    tables (verdicts, kept copies, call-outs) and the vectors' count (of the narrowest index): at 1,000,000 pieces a
    scan of submissions, contents or artifacts costs a tenth of a second or more on every request."""
    set_override(store, "s_000003", "s_000006", "merge", "test")
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(store.db.engine, "before_cursor_execute", seen)
    try:
        signatures(store, models)
    finally:
        event.remove(store.db.engine, "before_cursor_execute", seen)
    assert statements
    small = ("duplicate_overrides", "duplicate_keeps", "callouts")
    with store.db.engine.connect() as connection:
        for statement, parameters in statements:
            plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            for step in plan:
                if not step.startswith("SCAN"):
                    continue
                table = step.split()[1]
                assert table in small or step == "SCAN vectors USING COVERING INDEX ix_vectors_ordinal", plan
            if "submissions.status" in statement:  # the pool's size and newest change
                assert any("COVERING INDEX ix_submissions_ready_mark" in step for step in plan), plan
            if "max(contents.updated_at)" in statement:
                assert any("ix_contents_updated" in step for step in plan), plan
