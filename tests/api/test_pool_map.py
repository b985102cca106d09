"""GET /api/callouts/{id}/map: every ready piece as a point, for curators only, rebuilt when a piece arrives."""

from __future__ import annotations

import math

from tests.api.conftest import Service
from tests.conftest import MEDIA


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
    assert body["callout"] == "lawn" and body["count"] == 3
    points = {p["submission_id"]: p for p in body["points"]}
    assert set(points) == set(ids)
    for p in points.values():
        assert math.isfinite(p["x"]) and math.isfinite(p["y"])
        assert p["cluster"] is not None and p["cluster_label"]
        assert 0 <= p["score"] <= 1 and p["media_type"] == "text"
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
    assert empty == {"callout": "lawn", "count": 0, "clusters": [], "points": []}
