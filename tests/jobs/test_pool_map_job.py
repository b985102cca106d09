"""The pool_map job kind (issue 24): one queued or running per call-out at most, a call-out is required, and an
empty call-out's layout is computed once and then found fresh."""

from __future__ import annotations

import pytest

from triage import runtime
from triage.config import Settings
from triage.errors import ConfigError
from triage.jobs import handlers, queue
from triage.jobs.handlers import JobContext
from triage.service import map_layout
from triage.store.callouts import upsert_callout


def test_one_map_job_per_call_out_and_it_needs_one(settings: Settings) -> None:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Front Lawn Freaks")
    first = handlers.queue_pool_map(store.db, "lawn")
    assert first is not None and handlers.queue_pool_map(store.db, "lawn") is None
    queue.claim_one(store.db, first, "w")  # running: still no second one
    assert handlers.queue_pool_map(store.db, "lawn") is None
    ctx = JobContext(store, settings)
    with pytest.raises(ConfigError, match="needs a call-out"):
        handlers.handler_for("pool_map")(ctx, {}, None, lambda done, total: None)
    done = handlers.handler_for("pool_map")(ctx, {}, "lawn", lambda done, total: None)
    assert done is not None and done["computed"] is True and done["pieces"] == 0
    assert map_layout.layout_path(store, "lawn").is_file()
    again = handlers.handler_for("pool_map")(ctx, {}, "lawn", lambda done, total: None)
    assert again is not None and again["computed"] is False
    handlers.map_after(ctx, ["lawn"])  # fresh (and small): nothing more to queue
    with store.db.session() as session:
        assert [j.id for j in queue.list_jobs(session, callout_id="lawn")] == [first]


def test_a_large_pool_whose_layout_is_stale_gets_one_job(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Front Lawn Freaks")
    monkeypatch.setattr(map_layout, "INLINE_MAX", 500)
    assert handlers.queue_maps(store, None, ["lawn"]) == []  # small: laid out when asked for
    monkeypatch.setattr(map_layout, "INLINE_MAX", -1)  # every pool is "large" now, the empty one too
    queued = handlers.queue_maps(store, None, ["lawn"])
    assert len(queued) == 1 and handlers.queue_maps(store, None, ["lawn"]) == []
    map_layout.refresh(store, None, "lawn")
    queue.cancel(store.db, queued[0])
    assert handlers.queue_maps(store, None, ["lawn"]) == []  # laid out and fresh: nothing to do
