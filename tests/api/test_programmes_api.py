"""Programmes over HTTP: a curator builds one from uploaded pieces, renders it as a job with progress and
downloads what it made; refusals come as readable errors, and submitters are kept out."""

from __future__ import annotations

import csv
import io
import time

import pytest

from tests.api.conftest import Service
from tests.conftest import MEDIA


@pytest.fixture
def pieces(service: Service) -> dict[str, str]:
    service.settings.render_width, service.settings.render_height = 320, 180
    ids = {}
    for name, who in (("speech.mp3", "Ann Lee"), ("story.txt", "ann  lee"), ("speech.wav", "Bob")):
        sent = service.upload("curator", MEDIA / "good" / name, external_id=name, title=name, contributor=who)
        assert sent.status_code == 202, sent.text
        ids[name] = sent.json()["submission"]["submission_id"]
        assert service.wait_ready(ids[name])["status"] == "ready"
    service.wait_jobs()
    return ids


def test_a_curator_builds_renders_and_downloads_an_album(service: Service, pieces: dict[str, str]) -> None:
    c, h = service.client, service.h("curator")
    made = c.post("/api/programmes", headers=h, json={"name": "Lawn songs", "kind": "album", "callout_id": "lawn"})
    assert made.status_code == 201, made.text
    assert (made.json()["id"], made.json()["target"], made.json()["unit"]) == ("lawn-songs", 2700, "s")
    for name in ("speech.mp3", "speech.wav", "story.txt"):
        added = c.post("/api/programmes/lawn-songs/pieces", headers=h, json={"submission_id": name})
        assert added.status_code == 201, added.text
    moved = c.patch("/api/programmes/lawn-songs/pieces/speech.wav", headers=h, json={"position": 1, "start": 0.2})
    assert [p["title"] for p in moved.json()["pieces"]] == [
        "speech.wav", "speech.mp3", "story.txt"]
    assert moved.json()["pieces"][0]["start"] == 0.2
    credits = c.get("/api/programmes/lawn-songs/credits", headers=h).json()
    assert credits["basis"].startswith("tracks") and {line["name"] for line in credits["lines"]} == {"Ann Lee", "Bob"}
    merged = c.post("/api/contributors/merge", headers=h, json={"names": ["ann  lee"], "person": "Ann Lee"})
    assert merged.json()["merged"] == {"ann  lee": "Ann Lee"}
    queued = c.post("/api/programmes/lawn-songs/render", headers=h)
    assert queued.status_code == 202, queued.text
    again = c.post("/api/programmes/lawn-songs/render", headers=h)
    assert again.status_code in (202, 409)  # 409 while the first is queued or running
    deadline = time.monotonic() + 120
    while (state := c.get("/api/programmes/lawn-songs/render", headers=h).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    assert state["status"] == "done", state
    assert state["progress"] == 1 and any("story.txt" in w for w in state["warnings"])  # a text makes no track
    tracks = [f for f in state["files"] if f.endswith(".flac")]
    assert len(tracks) == 2 and "tracklist.txt" in state["files"] and "payouts.csv" in state["files"]
    got = c.get(f"/api/programmes/lawn-songs/files/{tracks[0]}", headers=h)
    assert got.status_code == 200 and got.content[:4] == b"fLaC"
    sheet = c.get("/api/programmes/lawn-songs/payouts.csv", headers=h)
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert sheet.headers["content-type"].startswith("text/csv")
    assert sum(float(r["share"]) for r in rows) == pytest.approx(1, abs=1e-5)
    assert {r["basis"] for r in rows} == {"tracks (the cover: one)"}
    assert c.get("/api/programmes/lawn-songs/files/..%2Ftriage.db", headers=h).status_code == 404
    assert c.get("/api/programmes/lawn-songs/files/render.json", headers=h).status_code == 404


def test_refusals_are_readable(service: Service, pieces: dict[str, str]) -> None:
    c, h = service.client, service.h("curator")
    c.post("/api/programmes", headers=h, json={"name": "Book", "kind": "book", "callout_id": "lawn"})
    nothing = c.post("/api/programmes/book/render", headers=h)
    assert nothing.status_code == 422 and "no pieces to render" in nothing.json()["detail"]
    assert c.post("/api/programmes/book/pieces", headers=h, json={"submission_id": "story.txt"}).status_code == 201
    twice = c.post("/api/programmes/book/pieces", headers=h, json={"submission_id": "story.txt"})
    assert twice.status_code == 409 and "already" in twice.json()["detail"]
    past = c.patch("/api/programmes/book/pieces/story.txt", headers=h, json={"start": 10_000, "end": 10_001})
    assert past.status_code == 422 and "past the end" in past.json()["detail"]
    stale = c.put("/api/programmes/book/order", headers=h, json={"order": []})
    assert stale.status_code == 409
    assert c.get("/api/programmes/nope", headers=h).status_code == 404
    assert c.post("/api/programmes", headers=h, json={"name": "x", "kind": "film"}).status_code == 422
    for role in ("submitter",):
        assert c.get("/api/programmes", headers=service.h(role)).status_code == 403
        assert c.post("/api/programmes", headers=service.h(role), json={"name": "x", "kind": "book"}).status_code == 403
