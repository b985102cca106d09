"""The curator service on PostgreSQL: uploads racing each other end ready, reads agree, a submitter's upload
limits hold, and signing out ends the session on the server."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.api.conftest import Service, make_tokens
from tests.api.test_upload_limits import send, stored, story
from tests.conftest import MEDIA
from tests.web.test_sign_out import sign_out, signed_in, works
from triage.api.app import create_app
from triage.config import Settings
from triage.jobs import queue
from triage.store.schema import Content

pytestmark = pytest.mark.slow


def test_one_file_uploaded_by_two_people_at_once_on_postgresql(settings: Settings, postgres_url: str) -> None:
    settings.database_url = postgres_url
    app = create_app(settings, workers=2)
    with TestClient(app) as client:
        service = Service(client, make_tokens(app), settings)
        answers: dict[str, Any] = {}

        def upload(role: str) -> None:
            answers[role] = service.upload(role, MEDIA / "good" / "speech.mp4")

        threads = [threading.Thread(target=upload, args=(role,)) for role in ("submitter", "submitter2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert [answers[r].status_code for r in ("submitter", "submitter2")] == [202, 202]
        done = [service.wait_ready(answers[r].json()["submission"]["submission_id"]) for r in answers]
        assert [d["status"] for d in done] == ["ready", "ready"]
        assert done[0]["sha256"] == done[1]["sha256"]
        with app.state.triage.store.db.session() as session:
            assert session.scalar(select(func.count()).select_from(Content)) == 1
        shortlist = client.get("/api/callouts/lawn/shortlist", headers=service.h("curator")).json()
        assert len(shortlist["items"]) == 1 and len(shortlist["items"][0]["duplicates"]) == 1


def test_an_upload_with_a_hostile_file_name_is_stored_on_postgresql(settings: Settings, postgres_url: str) -> None:
    """A client may send any file name; one longer than its column must not fail the insert."""
    settings.database_url = postgres_url
    app = create_app(settings, workers=1)
    with TestClient(app) as client:
        service = Service(client, make_tokens(app), settings)
        name = "n" * 600 + ".txt"
        sent = client.post("/api/callouts/lawn/uploads", headers=service.h("submitter"),
                           files={"file": (name, (MEDIA / "good" / "story.txt").read_bytes())})
        assert sent.status_code == 202, sent.text
        done = service.wait_ready(sent.json()["submission"]["submission_id"])
        assert done["status"] == "ready" and done["original_filename"].startswith("nnnn")
        title = client.post("/api/callouts/lawn/uploads", headers=service.h("submitter"),
                            files={"file": ("a.txt", b"A story of some length about a lawn.")},
                            data={"title": "T" * 301})
        assert title.status_code == 422 and "title is longer than 300 characters" in title.text


def test_a_nul_character_anywhere_is_refused_on_postgresql_not_a_500(settings: Settings, postgres_url: str) -> None:
    """PostgreSQL cannot hold a NUL in text; a client may send one in any field, path or query."""
    settings.database_url = postgres_url
    app = create_app(settings, workers=0)
    with TestClient(app) as client:
        service = Service(client, make_tokens(app), settings)
        h = service.h("submitter")
        sent = client.post("/api/callouts/lawn/uploads", headers=h, data={"title": "a\x00b"},
                           files={"file": ("a.txt", b"A story of some length about a lawn.")})
        assert sent.status_code == 422 and "NUL" in sent.json()["detail"], sent.text
        assert client.get("/api/submissions/s_%00", headers=h).status_code == 422
        assert client.get("/api/submissions", headers=h, params={"callout": "lawn\x00"}).status_code == 422
        assert client.get("/api/submissions", headers=h).json()["total"] == 0


def test_a_submitters_upload_limits_hold_on_postgresql(settings: Settings, postgres_url: str) -> None:
    """The waiting uploads are found through the jobs' JSON parameters, which each database reads its own way."""
    settings.database_url = postgres_url
    settings.submitter_max_pending, settings.submitter_max_bytes_per_day = 1, 1_000
    app = create_app(settings, workers=0)
    with TestClient(app) as client:
        service = Service(client, make_tokens(app), settings)
        db = app.state.triage.store.db
        first = send(service, "submitter", story(1, 12))  # about 400 bytes
        assert first.status_code == 202, first.text
        waiting = send(service, "submitter", story(2, 12))
        assert waiting.status_code == 429 and "waiting for analysis" in waiting.json()["detail"]
        assert send(service, "submitter2", story(2, 12)).status_code == 202
        queue.cancel(db, first.json()["job"])
        second = send(service, "submitter", story(2, 12))
        assert second.status_code == 202, second.text
        queue.cancel(db, second.json()["job"])
        over = send(service, "submitter", story(3, 12))  # 800 of 1,000 bytes used
        assert over.status_code == 429 and "TRIAGE_SUBMITTER_MAX_BYTES_PER_DAY" in over.json()["detail"]
        assert 24 * 3600 - 120 <= int(over.headers["retry-after"]) <= 24 * 3600
        assert stored(service, "sam") == 2


def test_a_cookie_copied_before_sign_out_is_refused_after_it_on_postgresql(settings: Settings,
                                                                           postgres_url: str) -> None:
    settings.database_url = postgres_url
    app = create_app(settings, workers=0)
    with TestClient(app) as client:
        service = Service(client, make_tokens(app), settings)
        admin, _ = signed_in(service, "admin")
        cookie, csrf = signed_in(service, "curator")
        sign_out(service, cookie, csrf)
        assert not works(service, cookie) and works(service, admin)
        again, _ = signed_in(service, "curator")
        assert works(service, again)
