"""Search says which hits really match (the calibrated floor) without changing their order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import MEDIA
from triage import runtime
from triage.config import Settings
from triage.encoders.base import Encoders
from triage.ingest.runner import ingest
from triage.ingest.sources import from_paths
from triage.service import search as service
from triage.store.callouts import upsert_callout
from triage.store.store import Store

PROMPT = "a plastic flamingo in the rain"


@pytest.fixture
def filled(settings: Settings) -> tuple[Store, Encoders]:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="Stories about foxes, dogs and rivers.")
    names = ["story.txt", "lyrics.md", "latin1.txt", "speech.wav", "image.png"]
    ingest(store, "lawn", list(from_paths([MEDIA / "good" / n for n in names])),
           runtime.analyser(settings, runtime.encoders(settings)), max_file_bytes=10**9)
    return store, runtime.query_encoders(settings)


def calibrated(monkeypatch: pytest.MonkeyPatch, models: Encoders, floor: float) -> None:
    monkeypatch.setattr(service, "floor_calibration", lambda: {models.text.name: {"floor": floor}})


def ids(found: dict[str, Any]) -> list[str]:
    return [i["submission_id"] for i in found["items"]]


def test_an_uncalibrated_model_claims_nothing(filled: tuple[Store, Encoders]) -> None:
    store, models = filled  # the fake text model has no calibration
    found = service.search(store, models, PROMPT, callout_id="lawn")
    assert found["good"] is None and found["floor"] is None
    assert found["items"] and all(i["match"] is None for i in found["items"])


def test_the_floor_marks_hits_and_counts_the_whole_ranking_without_reordering(
        filled: tuple[Store, Encoders], monkeypatch: pytest.MonkeyPatch) -> None:
    store, models = filled
    plain = service.search(store, models, PROMPT, callout_id="lawn")
    calibrated(monkeypatch, models, -1.0)  # every piece with words reaches it
    low = service.search(store, models, PROMPT, callout_id="lawn")
    assert ids(low) == ids(plain) and [i["score"] for i in low["items"]] == [i["score"] for i in plain["items"]]
    by_type = {i["media_type"]: i["match"] for i in low["items"]}
    assert by_type["image"] is None  # frames only: unknown, never "weak"
    assert by_type["text"] == "good" and by_type["audio"] == "good"
    assert low["floor"] == -1.0 and low["good"] == sum(i["match"] == "good" for i in low["items"])
    first = service.search(store, models, PROMPT, callout_id="lawn", limit=1)
    assert first["good"] == low["good"] and ids(first) == ids(low)[:1]  # the count is of the ranking, not the page
    second = service.search(store, models, PROMPT, callout_id="lawn", limit=2, offset=1)
    assert ids(second) == ids(low)[1:3] and [i["rank"] for i in second["items"]] == [2, 3]

    calibrated(monkeypatch, models, 1.01)  # nothing can reach it
    high = service.search(store, models, PROMPT, callout_id="lawn")
    assert high["good"] == 0 and ids(high) == ids(plain)
    assert {i["match"] for i in high["items"]} == {"weak", None}


def test_similar_has_the_same_keys_and_no_floor(filled: tuple[Store, Encoders],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store, models = filled
    calibrated(monkeypatch, models, -1.0)
    piece = service.search(store, models, PROMPT, callout_id="lawn")["items"][0]["submission_id"]
    found = service.similar(store, models, piece, callout_id="lawn")
    assert found["good"] is None and found["floor"] is None
    assert found["items"] and all(i["match"] is None for i in found["items"])


def test_the_shipped_calibration_names_the_bundled_text_models() -> None:
    calibration = service.floor_calibration()
    for name in ("st-all-MiniLM-L6-v2+st-all-mpnet-base-v2", "st-all-MiniLM-L6-v2"):
        assert 0.0 < calibration[name]["floor"] < 1.0
