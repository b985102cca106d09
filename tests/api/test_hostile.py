"""What a hostile client may send is refused in words, and what a submitter uploaded cannot act on curators."""

from __future__ import annotations

import time

import pytest

from tests.api.conftest import Service
from tests.conftest import MEDIA
from triage.config import Settings


def test_a_flood_of_form_fields_beside_the_file_is_refused(service: Service) -> None:
    # Each field is under the per-field limit, but together they would all be held in memory.
    boundary = "xyz"

    def body():  # chunked: no Content-Length to refuse it up front
        for i in range(200):
            yield f"--{boundary}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\n{'y' * 9_000}\r\n".encode()
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n"
               f"a tiny story about a lawn\r\n--{boundary}--\r\n").encode()

    done = service.client.post("/api/callouts/lawn/uploads", content=body(),
                               headers={**service.h("submitter"),
                                        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert done.status_code == 413 and "form fields" in done.json()["detail"]


def test_a_body_over_the_limit_is_refused_before_it_is_held_even_without_a_token(settings: Settings) -> None:
    # FastAPI reads a JSON or form body whole before it checks the token: 300 MB sent to POST /api/callouts took
    # 1.3 GB of memory, then a 401.
    from fastapi.testclient import TestClient

    from tests.api.conftest import make_tokens
    from triage.api.app import create_app

    settings.max_body_bytes = 10_000
    app = create_app(settings, workers=0)
    with TestClient(app) as client:
        token = make_tokens(app)["submitter"]
        big = b'{"id": "x", "title": "' + b"a" * 20_000 + b'"}'
        json = {"Content-Type": "application/json"}
        declared = client.post("/api/callouts", content=big, headers=json)
        assert declared.status_code == 413 and "limit" in declared.json()["detail"]
        chunked = client.post("/api/callouts", content=iter([big[:5_000], big[5_000:]]), headers=json)
        assert chunked.status_code == 413
        form = client.post("/login", content=iter([b"token=" + b"a" * 20_000]),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert form.status_code == 413
        assert client.post("/api/callouts", content=b'{"id": "x"}', headers=json).status_code == 401  # small: as before
        with open(MEDIA / "good" / "speech.mp4", "rb") as f:  # 127 kB: uploads have their own limits
            upload = client.post("/api/callouts/lawn/uploads", headers={"Authorization": f"Bearer {token}"},
                                 files={"file": ("speech.mp4", f)})
        assert upload.status_code == 202, upload.text


def test_uploaded_bytes_are_never_run_by_a_browser_that_opens_them(service: Service, ready_video: str) -> None:
    page = b"<!doctype html><html><body>a lawn story<script>alert(document.domain)</script></body></html>\n"
    done = service.client.post("/api/callouts/lawn/uploads", headers=service.h("submitter"),
                               files={"file": ("story.html", page)})
    assert done.status_code == 202, done.text  # its content is text, whatever the name says
    h = service.h("curator")
    for url in (f"/api/submissions/{done.json()['submission']['submission_id']}/media",
                f"/api/submissions/{ready_video}/media", f"/api/submissions/{ready_video}/poster"):
        served = service.client.get(url, headers=h)
        assert served.headers["content-type"].split(";")[0] in ("text/plain", "video/mp4", "image/jpeg")
        assert served.headers["x-content-type-options"] == "nosniff"  # no browser may guess text/html
        # and opened in a tab of its own, nothing in it runs (a sandbox with no allow-scripts)
        assert served.headers["content-security-policy"] == "sandbox allow-same-origin"


def test_a_submitter_is_not_shown_the_reason_for_a_failure_on_our_side(service: Service,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from triage import runtime

    def full_disk(settings: Settings, models: object) -> object:
        def analyse(path: object, **_: object) -> None:
            raise OSError(28, "No space left on device", str(path))  # names the file under the data dir
        return analyse

    monkeypatch.setattr(runtime, "analyser", full_disk)
    sid = service.upload("submitter", MEDIA / "good" / "story.txt").json()["submission"]["submission_id"]
    assert service.wait_ready(sid)["status"] == "failed"
    again = service.upload("submitter", MEDIA / "good" / "story.txt").json()  # the same file: queued once more
    while service.client.get(f"/api/jobs/{again['job']}",
                             headers=service.h("curator")).json()["status"] in ("queued", "running"):
        time.sleep(0.1)
    listed = service.client.get("/api/submissions", headers=service.h("submitter")).json()["items"][0]
    for seen in (service.wait_ready(sid, role="submitter"), listed, again["submission"]):
        assert seen["error"] == "processing failed on our side; the operators can see why", seen["error"]
    curator = service.wait_ready(sid)  # the operators keep the reason
    assert "No space left on device" in curator["error"] and str(service.settings.data_dir.name) in curator["error"]
