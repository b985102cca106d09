"""After the last queued upload of a call-out is processed, its shortlist is computed before anyone asks."""

from __future__ import annotations

import time

from tests.api.conftest import Service
from tests.conftest import MEDIA


def test_processing_an_upload_warms_the_callouts_shortlist(service: Service) -> None:
    cache = service.client.app.state.triage.cache  # type: ignore[attr-defined]
    done = service.upload("submitter", MEDIA / "good" / "story.txt", title="A story")
    assert done.status_code == 202, done.text
    assert service.wait_ready(done.json()["submission"]["submission_id"])["status"] == "ready"
    deadline = time.monotonic() + 30
    while len(cache.memo) == 0 and time.monotonic() < deadline:  # the hook runs right after the job completes
        time.sleep(0.1)
    warmed = len(cache.memo)
    assert warmed > 0
    page = service.client.get("/api/callouts/lawn/shortlist", headers=service.h("curator"))
    assert page.status_code == 200 and page.json()["items"]
    assert len(cache.memo) == warmed, "the first curator request was served from what the job computed"
