"""Call-outs as the API reads and changes them (service/callouts.py), without the HTTP layer."""

from __future__ import annotations

from typing import Any

import pytest

from triage import runtime
from triage.api.schemas import CalloutCreate
from triage.config import Settings
from triage.errors import BadRequest, Conflict, InvalidSubmission, NotFound
from triage.service.callouts import (
    callout_detail,
    callouts_with_counts,
    close_callout,
    create_callout,
    import_callouts,
    open_callouts,
    update_callout,
)
from triage.service.uploads import FIELD_LIMITS, field_value
from triage.store.callouts import upsert_callout


def test_create_update_and_close_say_which_scores_go_stale(settings: Settings) -> None:
    store = runtime.open_store(settings)
    made, others = create_callout(store, "lawn", title="Lawn", brief="foxes", prompts=None, negative_prompts=None)
    assert made["id"] == "lawn" and others == []
    with pytest.raises(Conflict, match="already exists"):
        create_callout(store, "lawn", title="Again", brief=None, prompts=None, negative_prompts=None)
    _, others = create_callout(store, "river", title="River", brief=None, prompts=None, negative_prompts=None)
    assert others == ["lawn"]  # open: ranked against the new one
    _, changed, others = update_callout(store, "lawn", title="Lawn", brief=None, prompts=None,
                                        negative_prompts=None, is_open=None)
    assert not changed and others == ["river"]
    _, changed, _ = update_callout(store, "lawn", title=None, brief="dogs", prompts=None, negative_prompts=None,
                                   is_open=None)
    assert changed
    assert close_callout(store, "river")["open"] is False
    assert [c["id"] for c in open_callouts(store)] == ["lawn"] and set(open_callouts(store)[0]) == \
        {"id", "title", "brief", "open"}
    assert [(c["id"], c["submissions"]) for c in callouts_with_counts(store)] == [("lawn", 0), ("river", 0)]
    with pytest.raises(NotFound):
        callout_detail(store, "river", submitter=True)  # closed: a submitter sees no such call-out
    assert callout_detail(store, "river", submitter=False)["counts"] == {}


def test_an_upload_field_is_stripped_and_bounded_by_its_column() -> None:
    assert field_value({"title": "  A fox  "}, "title") == "A fox"
    assert field_value({}, "title") is None and field_value({"title": "   "}, "title") is None
    with pytest.raises(InvalidSubmission, match="title is longer than"):
        field_value({"title": "x" * (FIELD_LIMITS["title"] + 1)}, "title")


def test_an_import_creates_and_updates_in_one_transaction(settings: Settings,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    store = runtime.open_store(settings)
    create_callout(store, "lawn", title="Lawn", brief="foxes", prompts=None, negative_prompts=None)
    done = import_callouts(store, [
        CalloutCreate(id="river", title="River", prompts=["water"]), CalloutCreate(id="lawn", brief="dogs")])
    assert [(c["id"], c["title"], c["brief"], c["prompts"], created) for c, created in done] == [
        ("river", "River", "", ["water"], True), ("lawn", "Lawn", "dogs", [], False)]
    assert [c["id"] for c in callouts_with_counts(store)] == ["lawn", "river"]

    def refuse_sea(session: Any, callout_id: str, **fields: Any) -> Any:
        if callout_id == "sea":
            raise BadRequest("the database refused it")
        return upsert_callout(session, callout_id, **fields)

    monkeypatch.setattr("triage.service.callouts.upsert_callout", refuse_sea)
    with pytest.raises(BadRequest):
        import_callouts(store, [CalloutCreate(id="pond"), CalloutCreate(id="sea")])
    assert [c["id"] for c in callouts_with_counts(store)] == ["lawn", "river"]  # "pond" went with "sea"
