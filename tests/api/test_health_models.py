"""`GET /api/health` says how many stored pieces another model embedded than the one the server scores with."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ingested
from triage.api.app import create_app
from triage.config import Settings


def health(settings: Settings) -> dict:
    with TestClient(create_app(settings, workers=0)) as client:
        reply = client.get("/api/health")
    assert reply.status_code == 200
    return dict(reply.json())


def test_health_names_the_other_model_of_stale_pieces(settings: Settings) -> None:
    ingested(settings, "story.txt", "lyrics.md")
    matching = health(settings)
    assert matching["status"] == "ok" and matching["workers"] == 0 and "jobs" in matching  # the keys it always had
    assert matching["models"]["text"] == {"configured": "fake-text-256", "contents": 2, "stale_contents": 0,
                                          "stored_by": []}
    changed = health(settings.model_copy(update={"text_model": "fake+fake"}))
    assert changed["models"] == {
        "text": {"configured": "fake-text-256+fake-text-256", "contents": 2, "stale_contents": 2,
                 "stored_by": ["fake-text-256"]},
        "clip": {"configured": "fake-clip", "contents": 0, "stale_contents": 0, "stored_by": []},
    }
