"""A decision re-ranks in place: the cached ranking is reused where decisions cannot move it, and every page after
decisions, undos and votes is exactly the one a fresh computation gives."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.test_cache import both, models, store  # noqa: F401  (fixtures)
from triage.encoders.base import Encoders
from triage.service import shortlist as shortlist_module
from triage.service import votes
from triage.service.cache import PoolCache
from triage.service.decisions import record, undo_last
from triage.service.shortlist import shortlist
from triage.store.store import Store

PAGES: list[dict[str, Any]] = [
    {"limit": 5}, {"limit": 5, "offset": 5}, {"limit": 8, "diversity": 0.0}, {"limit": 5, "sort": "newest"},
    {"limit": 5, "sort": "rating"}, {"limit": 10, "decision": "starred"}, {"limit": 10, "decision": "undecided"},
    {"limit": 10, "decision": "chosen", "sort": "score"},
]


def _ranks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = shortlist_module.rank

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(shortlist_module, "rank", counted)
    return calls


def test_pages_after_decisions_undos_and_votes_equal_a_fresh_computation(store: Store, models: Encoders) -> None:  # noqa: F811
    cache = PoolCache()
    for page in PAGES:
        shortlist(store, models, "lawn", cache=cache, **page)
    ids = [i["submission_id"] for i in shortlist(store, models, "lawn", limit=30, cache=cache)["items"]]
    steps = [("starred", ids[0]), ("rejected", ids[3]), ("shortlisted", ids[1]), ("undo", ""), ("vote", ids[2]),
             ("starred", ids[2])]
    for what, sid in steps:
        with store.db.session() as session:
            if what == "undo":
                assert undo_last(session, "lawn", "test") is not None
            elif what == "vote":
                votes.cast(session, sid, 4, voter="test")
            else:
                record(session, sid, what, note=None, by="test", batch=f"{what}{sid}")
        for page in PAGES:
            cached, fresh = both(shortlist, cache, store, models, "lawn", **page)
            assert cached == fresh, (what, page)


def test_a_decision_reuses_the_ranking_unless_a_decision_filter_reads_it(store: Store, models: Encoders,  # noqa: F811
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cache = PoolCache()
    plain: dict[str, Any] = {"limit": 5}
    filtered: dict[str, Any] = {"limit": 5, "decision": "undecided"}
    first = shortlist(store, models, "lawn", cache=cache, **plain)
    shortlist(store, models, "lawn", cache=cache, **filtered)
    ranks = _ranks(monkeypatch)
    with store.db.session() as session:
        record(session, first["items"][0]["submission_id"], "starred", note=None, by="test")
    after = shortlist(store, models, "lawn", cache=cache, **plain)
    assert not ranks, "the unfiltered ranking stands after a decision"
    assert after["items"][0]["decision"] == "starred"
    assert [i["submission_id"] for i in after["items"]] == [i["submission_id"] for i in first["items"]]
    shortlist(store, models, "lawn", cache=cache, **filtered)
    assert len(ranks) == 1, "a decision filter ranks again"
