"""Uploads a client may send in any order, a full disk blamed on the server, and nothing that tells a submitter
whether someone else already uploaded the same bytes."""

from __future__ import annotations

import errno
from typing import IO, Any

import pytest
from sqlalchemy import func, select

from tests.api.conftest import Service
from tests.conftest import MEDIA
from triage.jobs.worker import WorkerPool
from triage.store.schema import Submission

URL = "/api/callouts/lawn/uploads"
BOUNDARY = "triage-test-boundary"


def multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart/form-data body with the parts (name, filename or None, value) in exactly this order."""
    out = b""
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def post(service: Service, role: str, body: bytes) -> Any:
    headers = {**service.h(role), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    return service.client.post(URL, headers=headers, content=body)


def test_form_fields_after_the_file_part_are_taken_like_fields_before_it(service: Service) -> None:
    text = (MEDIA / "good" / "story.txt").read_bytes()
    after = post(service, "submitter", multipart(("file", "story.txt", text), ("title", None, b"Fields last"),
                                                 ("external_id", None, b"curl-1")))
    assert after.status_code == 202, after.text
    assert after.json()["submission"]["title"] == "Fields last"
    assert after.json()["submission"]["external_id"] == "curl-1"
    before = post(service, "submitter2", multipart(("title", None, b"Fields first"), ("file", "story.txt", text)))
    assert before.status_code == 202, before.text
    assert before.json()["submission"]["title"] == "Fields first"


class _FullDisk:
    """A file that takes `room` bytes and then fails as a full disk does."""

    def __init__(self, real: IO[bytes], room: int) -> None:
        self.real, self.room = real, room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            self.real.write(data[:self.room])  # what fitted stays in the file: a half-written upload
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.real.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.real.close()


@pytest.mark.parametrize(("where", "name", "data"), [
    ("triage.api.upload", "big.txt", b"A story about a lawn. " * 50_000),  # fills while the body streams in
    ("triage.store.files", "speech.mp4", (MEDIA / "good" / "speech.mp4").read_bytes()),  # while it is stored
])
def test_a_full_disk_during_an_upload_is_the_servers_trouble_and_leaves_nothing(
        service: Service, monkeypatch: pytest.MonkeyPatch, where: str, name: str, data: bytes) -> None:
    import importlib

    module = importlib.import_module(where)

    def full_disk_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = open(file, mode, *args, **kwargs)  # noqa: SIM115
        return _FullDisk(handle, room=100_000 if name == "big.txt" else 0) if "w" in mode else handle

    monkeypatch.setattr(module, "open", full_disk_open, raising=False)
    done = service.client.post(URL, headers=service.h("submitter"), files={"file": (name, data)})
    assert done.status_code == 507, done.text
    assert done.json()["error"] == "OutOfSpace"
    assert "out of disk space" in done.json()["detail"] and "multipart" not in done.json()["detail"]
    files = service.client.app.state.triage.store.files  # type: ignore[attr-defined]
    assert not any(files.tmp.iterdir())  # nothing half-written
    assert not any(p.is_file() for p in (files.root / "originals").rglob("*"))
    with db_session(service) as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0


def db_session(service: Service) -> Any:
    return service.client.app.state.triage.store.db.session()  # type: ignore[attr-defined]


def _reply(done: Any) -> tuple[int, str, bool, set[str]]:
    """What a submitter sees of an upload: status code, status, whether a job is named, and the keys."""
    body = done.json()
    return done.status_code, body["submission"]["status"], body["job"] is not None, set(body["submission"])


def test_a_submitter_cannot_tell_whether_someone_already_uploaded_the_same_bytes(
        service: Service, ready_video: str) -> None:
    state = service.client.app.state.triage  # type: ignore[attr-defined]
    state.pool.stop()  # no analysis runs while we look: what the submitter reads "right after"
    state.pool = None
    known = service.upload("submitter2", MEDIA / "good" / "speech.mp4", title="Mine too")  # sam sent these bytes
    new = service.upload("submitter2", MEDIA / "good" / "speech.wav", title="Something new")
    assert _reply(known) == _reply(new) == (202, "received", True, _reply(new)[3])
    sid = known.json()["submission"]["submission_id"]
    seen = service.client.get(f"/api/submissions/{sid}", headers=service.h("submitter2")).json()
    assert seen["status"] == "received" and seen["error"] is None
    listed = service.client.get("/api/submissions", headers=service.h("submitter2")).json()["items"]
    assert {i["status"] for i in listed} == {"received"}

    state.pool = WorkerPool(state.jobs, 1)  # once analysed, the known bytes settle like any other upload
    state.pool.start()
    assert service.wait_ready(sid, role="submitter2")["status"] == "ready"


def test_a_curator_still_gets_known_bytes_settled_at_once(service: Service, ready_video: str) -> None:
    done = service.upload("curator", MEDIA / "good" / "speech.mp4", title="Curator's copy")
    assert done.status_code == 202 and done.json()["submission"]["status"] == "ready"
