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
    workers = service.client.app.state.triage.pool  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    # The hook runs right after the job completes, in the worker, which counts the job as running until then.
    while workers.busy and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(cache.memo) > 0 and not cache.memo.in_flight
    computed = cache.memo.misses
    page = service.client.get("/api/callouts/lawn/shortlist", headers=service.h("curator"))
    assert page.status_code == 200 and page.json()["items"]
    assert cache.memo.misses == computed, "the first curator request was served from what the job computed"


def test_a_duplicate_verdict_rescores_the_callout_and_leaves_it_warm(service: Service, ready_video: str) -> None:
    c, curator = service.client, service.h("curator")
    cache = service.client.app.state.triage.cache  # type: ignore[attr-defined]
    story = service.upload("submitter", MEDIA / "good" / "story.txt", title="A story").json()["submission"]
    assert service.wait_ready(story["submission_id"])["status"] == "ready"
    verdict = {"a": ready_video, "b": story["submission_id"], "verdict": "merge"}
    assert c.post("/api/duplicates/overrides", headers=curator, json=verdict).status_code == 201
    workers = service.client.app.state.triage.pool  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while True:  # done, and its after-job hook finished too (the worker counts a job until then)
        jobs = [j for j in c.get("/api/jobs", headers=curator, params={"callout": "lawn"}).json()["items"]
                if j["kind"] == "rescore"]
        if jobs and jobs[0]["status"] == "done" and not workers.busy:
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.1)
    assert len(jobs) == 1
    computed = cache.memo.misses
    page = c.get("/api/callouts/lawn/shortlist", headers=curator).json()
    assert len(page["items"]) == 1 and len(page["items"][0]["duplicates"]) == 1  # the merge is applied
    assert cache.memo.misses == computed, "the first request after the verdict was served from the job's work"
