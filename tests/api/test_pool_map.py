"""GET /api/callouts/{id}/map: every ready piece as a point, for curators only, rebuilt when a piece arrives."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import pytest

from tests.api.conftest import Service
from tests.conftest import MEDIA
from triage.jobs import queue
from triage.service import map_layout


def _upload_ready(service: Service, *names: str) -> list[str]:
    ids = []
    for name in names:
        done = service.upload("curator", MEDIA / "good" / name, title=f"about {name}")
        assert done.status_code == 202, done.text
        ids.append(done.json()["submission"]["submission_id"])
    assert all(service.wait_ready(sid)["status"] == "ready" for sid in ids)
    return ids


def test_map_has_every_ready_piece_with_its_fields(service: Service) -> None:
    ids = _upload_ready(service, "story.txt", "lyrics.md", "latin1.txt")
    c, h = service.client, service.h("curator")
    assert c.post(f"/api/submissions/{ids[0]}/decisions", headers=h, json={"decision": "starred"}).status_code == 201
    found = c.get("/api/callouts/lawn/map", headers=h)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["callout"] == "lawn" and body["count"] == 3 and body["status"] == "ready" and body["pending"] == 0
    assert "retry-after" not in found.headers
    points = {p["submission_id"]: p for p in body["points"]}
    assert set(points) == set(ids)
    for p in points.values():
        assert math.isfinite(p["x"]) and math.isfinite(p["y"])
        assert p["cluster"] is not None and p["cluster_label"]
        assert 0 <= p["score"] <= 1 and p["media_type"] == "text" and p["placed"] is True
    assert points[ids[0]]["decision"] == "starred" and points[ids[1]]["decision"] is None
    assert points[ids[0]]["title"] == "about story.txt"
    assert {c["id"] for c in body["clusters"]} == {p["cluster"] for p in points.values()}
    # the same pool, the same picture
    assert c.get("/api/callouts/lawn/map", headers=h).json()["points"] == body["points"]

    new = _upload_ready(service, "speech.mp3")
    again = c.get("/api/callouts/lawn/map", headers=h).json()
    assert again["count"] == 4 and new[0] in {p["submission_id"] for p in again["points"]}


def test_map_of_an_unknown_callout_is_404(service: Service) -> None:
    found = service.client.get("/api/callouts/nope/map", headers=service.h("curator"))
    assert found.status_code == 404 and found.json()["error"] == "NotFound"


def test_map_is_for_curators(service: Service) -> None:
    c = service.client
    assert c.get("/api/callouts/lawn/map").status_code == 401
    assert c.get("/api/callouts/lawn/map", headers=service.h("submitter")).status_code == 403
    assert c.get("/api/callouts/lawn/map", headers=service.h("admin")).status_code == 200
    empty = c.get("/api/callouts/lawn/map", headers=service.h("curator")).json()
    assert empty == {"callout": "lawn", "status": "ready", "count": 0, "pending": 0, "clusters": [], "points": []}


def _map_jobs(service: Service) -> list[Any]:
    store = service.client.app.state.triage.store  # type: ignore[attr-defined]
    with store.db.session() as session:
        return [j for j in queue.list_jobs(session, callout_id="lawn") if j.kind == "pool_map"]


def _settled(service: Service, timeout: float = 60) -> None:
    """Wait for every job of the call-out: an upload is ready before its job (which queues the map) has ended."""
    store = service.client.app.state.triage.store  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while True:
        with store.db.session() as session:
            if not queue.active_for(session, ["lawn"]):
                return
        assert time.monotonic() < deadline, "the call-out's jobs did not finish"
        time.sleep(0.05)


def test_a_large_pool_is_laid_out_by_a_job_and_the_map_answers_at_once(service: Service,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Past INLINE_MAX the layout is a job, queued after the call-out's last upload; while it works the map
    answers with the last layout ("updating", the new piece near its sub-theme), or with no points ("computing")
    when there is none, and one job at most is queued however often the page asks."""
    monkeypatch.setattr(map_layout, "INLINE_MAX", 2)
    c, h = service.client, service.h("curator")
    ids = _upload_ready(service, "story.txt", "lyrics.md", "latin1.txt")
    _settled(service)
    assert [j.status for j in _map_jobs(service)] == ["done"]  # queued by the last upload's job, not by a request
    first = c.get("/api/callouts/lawn/map", headers=h).json()
    assert first["status"] == "ready" and first["count"] == 3 and all(p["placed"] for p in first["points"])
    before = {p["submission_id"]: (p["x"], p["y"]) for p in first["points"]}

    release, refresh = threading.Event(), map_layout.refresh

    def slow(*args: Any, **kwargs: Any) -> dict[str, Any]:
        assert release.wait(60)
        return refresh(*args, **kwargs)

    monkeypatch.setattr(map_layout, "refresh", slow)
    new = _upload_ready(service, "speech.mp3")[0]
    started = time.monotonic()
    reply = c.get("/api/callouts/lawn/map", headers=h)
    assert time.monotonic() - started < 10  # the job is blocked: the answer did not wait for it
    body = reply.json()
    assert body["status"] == "updating" and body["count"] == 4 and body["pending"] == 1
    assert reply.headers["retry-after"] == "5"
    points = {p["submission_id"]: p for p in body["points"]}
    assert {sid: (p["x"], p["y"]) for sid, p in points.items() if sid in before} == before
    assert points[new]["placed"] is False and math.isfinite(points[new]["x"])
    assert all(points[sid]["placed"] for sid in ids)

    map_layout.layout_path(service.client.app.state.triage.store, "lawn").unlink()  # type: ignore[attr-defined]
    computing = c.get("/api/callouts/lawn/map", headers=h).json()
    assert computing["status"] == "computing" and computing["points"] == [] and computing["count"] == 4
    assert computing["pending"] == 4
    assert sum(j.status in (queue.QUEUED, queue.RUNNING) for j in _map_jobs(service)) == 1

    release.set()
    _settled(service)
    done = c.get("/api/callouts/lawn/map", headers=h).json()
    assert done["status"] == "ready" and done["pending"] == 0 and {p["submission_id"] for p in done["points"]} == {
        *ids, new} and all(p["placed"] for p in done["points"])
