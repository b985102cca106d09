"""Call-outs as the API reads and changes them (service/callouts.py), without the HTTP layer."""

from __future__ import annotations

import pytest

from triage import runtime
from triage.config import Settings
from triage.errors import Conflict, InvalidSubmission, NotFound
from triage.service.callouts import (
    callout_detail,
    callouts_with_counts,
    close_callout,
    create_callout,
    open_callouts,
    update_callout,
)
from triage.service.uploads import FIELD_LIMITS, field_value


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
