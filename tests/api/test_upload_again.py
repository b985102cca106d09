"""An upload whose analysis job was lost (a server stopped in between, a cancelled job) is queued again by
uploading the same file again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Service, make_tokens
from tests.conftest import MEDIA
from triage.api.app import create_app
from triage.config import Settings
from triage.jobs import queue


@pytest.fixture
def idle(settings: Settings) -> Iterator[Service]:
    """A server whose job threads never start: uploads wait in the queue."""
    app = create_app(settings, workers=0)
    with TestClient(app) as client:
        yield Service(client, make_tokens(app), settings)


def test_the_same_upload_again_queues_a_job_only_when_none_has_it(idle: Service) -> None:
    first = idle.upload("submitter", MEDIA / "good" / "story.txt")
    assert first.status_code == 202 and first.json()["job"] is not None
    again = idle.upload("submitter", MEDIA / "good" / "story.txt")
    assert again.status_code == 200 and again.json()["job"] is None  # still in hand: no second job
    queue.cancel(idle.client.app.state.triage.store.db, first.json()["job"])  # type: ignore[attr-defined]
    third = idle.upload("submitter", MEDIA / "good" / "story.txt")
    assert third.status_code == 200 and third.json()["job"] is not None
    assert third.json()["submission"]["submission_id"] == first.json()["submission"]["submission_id"]
