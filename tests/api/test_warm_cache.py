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
    # The hook runs right after the job completes; wait until its computation has finished.
    while (len(cache.memo) == 0 or cache.memo.in_flight) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(cache.memo) > 0 and not cache.memo.in_flight
    computed = cache.memo.misses
    page = service.client.get("/api/callouts/lawn/shortlist", headers=service.h("curator"))
    assert page.status_code == 200 and page.json()["items"]
    assert cache.memo.misses == computed, "the first curator request was served from what the job computed"
