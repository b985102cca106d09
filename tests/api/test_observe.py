"""What the server shows of itself: a request id on every answer and log line, JSON logs, Prometheus metrics."""

from __future__ import annotations

import json
import logging

import pytest

from tests.api.conftest import Service
from triage import logs


def test_every_answer_carries_a_request_id_and_keeps_a_plain_one_given(service: Service) -> None:
    made = service.client.get("/api/health").headers["x-request-id"]
    assert len(made) == 32 and made != service.client.get("/api/health").headers["x-request-id"]
    assert service.client.get("/api/health", headers={"X-Request-ID": "lb-42.a"}).headers["x-request-id"] == "lb-42.a"
    odd = service.client.get("/api/health", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert odd != "<script>" and len(odd) == 32  # an id a log or a page could misread is replaced


def test_access_lines_in_json_name_the_request_and_the_route_template(service: Service, ready_video: str,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="triage.http"):
        reply = service.client.get(f"/api/submissions/{ready_video}", headers=service.h("curator"))
    line = next(r for r in caplog.records if r.name == "triage.http" and r.path.endswith(ready_video))
    line.request_id = reply.headers["x-request-id"]  # set by the handler's filter in a real process
    data = json.loads(logs.JsonLines().format(line))
    assert data["route"] == "/api/submissions/{submission_id}" and data["status"] == 200
    assert data["request_id"] == reply.headers["x-request-id"] and data["level"] == "info"


def test_the_job_id_is_on_every_line_a_job_logs() -> None:
    record = logging.LogRecord("triage.x", logging.WARNING, __file__, 1, "something %s", ("odd",), None)
    token = logs.job_id.set(7)
    try:
        logs._Context().filter(record)
    finally:
        logs.job_id.reset(token)
    assert json.loads(logs.JsonLines().format(record))["job_id"] == 7
    assert logs.Plain("%(levelname)s %(message)s").format(record) == "WARNING something odd [job_id=7]"


def test_metrics_cover_requests_jobs_cache_and_health(service: Service, ready_video: str) -> None:
    service.client.get("/api/callouts/lawn/shortlist", headers=service.h("curator"))
    text = service.client.get("/metrics").text
    assert 'triage_http_request_duration_seconds_count{method="GET",route="/api/callouts/{callout_id}/shortlist"' \
        in text
    assert 'triage_jobs{status="done"}' in text and "triage_job_oldest_queued_seconds 0.0" in text
    assert 'triage_job_duration_seconds_count{kind="process_upload",outcome="done"}' in text
    assert "triage_cache_hits_total" in text and "triage_cache_misses_total" in text
    assert "triage_degraded 0.0" in text and "triage_ready 1.0" in text
    assert "triage_model_load_seconds" in text
    # the upload's analysis: its time per stage, and how it ended
    for stage in ("probe", "decode", "transcribe", "embed_text", "fingerprint"):
        assert f'triage_ingest_stage_seconds_count{{stage="{stage}"}}' in text
    assert 'triage_ingested_total{status="ready"}' in text
