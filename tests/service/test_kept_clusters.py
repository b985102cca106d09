"""Clusters kept on disk spare a restarted process the clustering, and only ever stand for the pool they came from."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.service.test_cache import add_text, models, store  # noqa: F401  (fixtures)
from triage.encoders.base import Encoders
from triage.service import cache as cache_module
from triage.service.cache import PoolCache, View
from triage.service.clusters import clusters
from triage.service.erase import erase
from triage.service.kept_clusters import clusters_path
from triage.service.shortlist import shortlist
from triage.store.store import Store


@pytest.fixture
def clusterings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per clustering the cache runs."""
    calls: list[int] = []
    real = cache_module.cluster_pool
    monkeypatch.setattr(cache_module, "cluster_pool", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_a_restart_reads_the_clusters_kept_by_the_last_process(store: Store, models: Encoders,  # noqa: F811
                                                               clusterings: list[int]) -> None:
    ranked = shortlist(store, models, "lawn", limit=10, cache=PoolCache())
    listed = clusters(store, models, "lawn", cache=PoolCache())  # a new process: a cache of its own
    assert clusterings == [1] and clusters_path(store, "lawn").is_file()
    assert shortlist(store, models, "lawn", limit=10, cache=PoolCache()) == ranked
    assert clusterings == [1]
    # each identical to a computation that keeps nothing (no cache: everything afresh)
    assert clusters(store, models, "lawn") == listed and shortlist(store, models, "lawn", limit=10) == ranked
    assert clusterings == [1, 1, 1]


def test_a_changed_pool_clusters_again(store: Store, models: Encoders, clusterings: list[int]) -> None:  # noqa: F811
    clusters(store, models, "lawn", cache=PoolCache())
    time.sleep(0.002)
    add_text(store, 100, "a fox and a cub in the burrow by the den")
    listed = clusters(store, models, "lawn", cache=PoolCache())
    assert clusterings == [1, 1]
    assert "e100" in {m for c in listed["clusters"] for m in c["members"]}
    assert listed == clusters(store, models, "lawn")


def test_another_k_or_no_encoder_is_not_read_from_the_kept_clusters(store: Store, models: Encoders,  # noqa: F811
                                                                    clusterings: list[int]) -> None:
    named = clusters(store, models, "lawn", cache=PoolCache())
    assert clusters(store, models, "lawn", k=2, cache=PoolCache()) == clusters(store, models, "lawn", k=2)
    assert clusters(store, None, "lawn", cache=PoolCache()) == clusters(store, None, "lawn")
    assert clusters(store, models, "lawn", cache=PoolCache()) == named
    assert len(clusterings) == 6  # every one of them clustered: none was another's


@pytest.mark.parametrize("damage", [b"", b"{not json", b"[]", b'{"stamp": "x", "clusters": []}'])
def test_a_damaged_or_foreign_file_is_ignored(store: Store, models: Encoders, clusterings: list[int],  # noqa: F811
                                              damage: bytes) -> None:
    fresh = clusters(store, models, "lawn")
    path = clusters_path(store, "lawn")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(damage)
    assert clusters(store, models, "lawn", cache=PoolCache()) == fresh
    assert clusterings == [1, 1] and json.loads(path.read_text())["clusters"]


def test_the_archive_keeps_its_own(store: Store, models: Encoders, clusterings: list[int]) -> None:  # noqa: F811
    clusters(store, models, "lawn", cache=PoolCache())
    archive = View(store, None, None, PoolCache()).clusters()
    assert View(store, None, None, PoolCache()).clusters() == archive and clusterings == [1, 1]
    assert clusters_path(store, None).is_file() and clusters_path(store, None) != clusters_path(store, "lawn")


def test_erasing_a_member_drops_the_kept_clusters(store: Store, models: Encoders, tmp_path: Path) -> None:  # noqa: F811
    clusters(store, models, "lawn", cache=PoolCache())
    assert "s_000004" in clusters_path(store, "lawn").read_text()
    erase(store, submissions=["s_000004"], index_dir=tmp_path / "indexes")
    assert not clusters_path(store, "lawn").exists()
