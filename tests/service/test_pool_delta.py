"""A changed pool read from the one before it (only what changed read again) is the pool a full load gives, after
every kind of write; an upload costs a delta, not a full load."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from tests.service.test_cache import add_text, models, store  # noqa: F401  (fixtures)
from triage.config import Settings
from triage.domain import Embedding, Status
from triage.encoders.base import Encoders
from triage.encoders.fake import FakeTextEncoder
from triage.service import cache as cache_module
from triage.service import pool_delta
from triage.service.cache import PoolCache, View
from triage.service.erase import erase
from triage.service.pool import Pool, load_pool, model_names
from triage.store.artifacts import put_artifact, replace_vectors
from triage.store.schema import Content, Submission
from triage.store.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The fake models, on each database triage supports: the deltas' queries compare stamps and ids in SQL."""
    url = None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
    return Settings(data_dir=tmp_path / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                    models_dir=tmp_path / "models", database_url=url)


def same(a: Any, b: Any, where: str = "pool") -> None:
    """`a` equals `b` field by field, arrays element by element."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert np.array_equal(a, b), where
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where  # the same keys in the same order
        for k in a:
            same(a[k], b[k], f"{where}[{k}]")
    elif isinstance(a, list | tuple) and not hasattr(a, "_fields"):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def full(store: Store, models: Encoders, callout_id: str | None) -> Pool:  # noqa: F811
    with store.db.session() as session:
        return load_pool(session, callout_id, models=model_names(models))


@pytest.fixture
def full_loads(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The call-outs the cache loaded whole."""
    calls: list[str | None] = []
    real = cache_module.load_pool
    monkeypatch.setattr(cache_module, "load_pool", lambda session, callout_id, **k: (
        calls.append(callout_id), real(session, callout_id, **k))[1])
    return calls


def test_every_kind_of_write_gives_the_pool_a_full_load_gives(store: Store, models: Encoders,  # noqa: F811
                                                              full_loads: list[str | None], tmp_path: Path) -> None:
    cache = PoolCache()
    for scope in ("lawn", "water", None):
        View(store, models, scope, cache).pool()
    assert full_loads == ["lawn", "water", None]
    fake = FakeTextEncoder()

    def vectors(n: int) -> list[Embedding]:
        return [Embedding(space="text", source="text", kind="chunk", ordinal=k, model=fake.name,
                          vector=fake.encode([f"fox den {k}"])[0]) for k in range(n)]

    def in_session(do: Callable[[Session], object]) -> Callable[[], object]:
        def write() -> None:
            with store.db.session() as session:
                do(session)
        return write

    def sha(sid: str) -> str:
        with store.db.session() as session:
            return str(session.get(Submission, sid).sha256)  # type: ignore[union-attr]

    writes: list[tuple[str, Callable[[], object]]] = [
        ("an upload", lambda: add_text(store, 300, "a fox and a cub by the den")),
        ("another call-out's upload", lambda: add_text(store, 301, "a boat on the river", callout="water")),
        ("a piece's words replaced", in_session(lambda s: put_artifact(s, sha("s_000004"), "text",
                                                                        data={"text": "a guitar chord"}))),
        ("its vectors replaced by more", in_session(lambda s: replace_vectors(s, sha("s_000004"), "text",
                                                                               vectors(3)))),
        ("and by fewer", in_session(lambda s: replace_vectors(s, sha("s_000004"), "text", vectors(1)))),
        ("and by none", in_session(lambda s: replace_vectors(s, sha("s_000007"), "text", []))),
        ("a content's state", in_session(lambda s: setattr(s.get(Content, sha("s_000005")), "status",
                                                             Status.PROCESSING.value))),
        ("a piece's title", in_session(lambda s: setattr(s.get(Submission, "s_000006"), "title", "New title"))),
        ("a piece failing", in_session(lambda s: setattr(s.get(Submission, "s_000001"), "status",
                                                          Status.FAILED.value))),
        ("and ready again", in_session(lambda s: setattr(s.get(Submission, "s_000001"), "status",
                                                          Status.READY.value))),
        ("a piece moving call-out", in_session(lambda s: setattr(s.get(Submission, "s_000002"), "callout_id",
                                                                  "water"))),
        ("a piece erased", lambda: erase(store, submissions=["s_000009"], index_dir=tmp_path / "indexes")),
        ("two uploads at once", lambda: (add_text(store, 302, "a cub in the burrow"),
                                         add_text(store, 303, "a tail in the den"))),
    ]
    loaded_whole: dict[str, list[str | None]] = {}
    for what, write in writes:
        time.sleep(0.002)
        write()
        at = len(full_loads)
        for scope in ("lawn", "water", None):
            same(View(store, models, scope, cache).pool(), full(store, models, scope), f"{what}, {scope}")
        loaded_whole[what] = full_loads[at:]
    # Vector rows deleted (a reprocess, an erasure) load the pool whole, as does a change to most of a small pool
    # (water's); everything else in the big pools is read as a delta.
    deltas = ("an upload", "another call-out's upload", "a piece's words replaced", "a content's state",
              "a piece's title", "a piece failing", "and ready again", "a piece moving call-out", "two uploads at once")
    assert {what: [s for s in loaded_whole[what] if s != "water"] for what in deltas} == {what: [] for what in deltas}
    assert loaded_whole["and by fewer"] == ["lawn", "water", None]


def test_an_upload_reads_only_the_new_piece(store: Store, models: Encoders,  # noqa: F811
                                            full_loads: list[str | None], monkeypatch: pytest.MonkeyPatch) -> None:
    cache = PoolCache()
    before = View(store, models, "lawn", cache).pool()
    narrowed: list[set[str]] = []
    real = pool_delta.load_pool
    monkeypatch.setattr(pool_delta, "load_pool", lambda session, callout_id, **k: (
        narrowed.append(set(k["shas"])), real(session, callout_id, **k))[1])
    time.sleep(0.002)
    new = add_text(store, 400, "a fox cub asleep in the den")
    after = View(store, models, "lawn", cache).pool()
    # the new piece, and the one stamped last before it (a write in the same microsecond as the newest stamp the
    # signature read cannot be told from it)
    last = list(before.items)[-1]
    assert full_loads == ["lawn"] and narrowed == [{after.submissions[new].sha256, before.submissions[last].sha256}]
    assert list(after.items) == [*before.items, new]
    assert all(after.items[sid] is before.items[sid] for sid in before.items if sid != last)  # kept, not read again
    same(after, full(store, models, "lawn"))


def test_without_a_cache_every_pool_is_loaded_whole(store: Store, models: Encoders,  # noqa: F811
                                                    full_loads: list[str | None]) -> None:
    View(store, models, "lawn", None).pool()
    add_text(store, 500, "a fox in the den")
    View(store, models, "lawn", None).pool()
    assert full_loads == ["lawn", "lawn"]


def test_a_pool_the_memo_let_go_is_not_kept_for_a_delta(store: Store, models: Encoders,  # noqa: F811
                                                        full_loads: list[str | None]) -> None:
    """The cache holds no pool beyond its memo's bound: with room for one call-out, reading another lets the first
    go, and the first's next change loads it whole."""
    cache = PoolCache(max_scopes=1)  # room for one call-out's pool, groups and scores: three scopes of the memo
    View(store, models, "lawn", cache).pool()
    View(store, models, "water", cache).groups()  # the water pool's and groups' scopes
    View(store, None, None, cache).pool()  # the archive's: lawn's pool is the least recently used, and goes
    assert cache.memo.peek((("lawn", "pool"), View(store, models, "lawn", cache).signature.pool, "pool")) is None
    time.sleep(0.002)
    add_text(store, 600, "a fox in the den")
    same(View(store, models, "lawn", cache).pool(), full(store, models, "lawn"))
    assert full_loads == ["lawn", "water", None, "lawn"]
