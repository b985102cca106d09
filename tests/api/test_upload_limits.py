"""A submitter token may have only so many uploads waiting for analysis, and upload only so many bytes in 24 hours;
curators and admins are not limited, and a refused upload leaves nothing behind."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.api.conftest import Service, make_tokens
from triage.api.app import create_app
from triage.api.upload import too_large
from triage.config import Settings
from triage.jobs import queue
from triage.store.schema import ApiToken, Submission

URL = "/api/callouts/lawn/uploads"


def story(n: int, words: int = 8) -> bytes:
    """A distinct text file: a new submission with its own analysis each time."""
    return (f"Story {n}: " + " ".join(["a lawn where someone freaks out"] * words) + ".\n").encode()


def send(service: Service, role: str, data: bytes, name: str = "story.txt") -> Any:
    return service.client.post(URL, headers=service.h(role), files={"file": (name, data)})


def token_id(service: Service, name: str) -> int:
    with service.client.app.state.triage.store.db.session() as session:  # type: ignore[attr-defined]
        found = session.scalar(select(ApiToken.id).where(ApiToken.name == name))
        assert found is not None
        return int(found)


def stored(service: Service, name: str) -> int:
    """How many submissions the token named `name` has uploaded."""
    with service.client.app.state.triage.store.db.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(Submission)
                                  .where(Submission.uploaded_by == token_id(service, name))) or 0)


def age(service: Service, hours: float) -> None:
    """Make every upload so much older, as if that time had passed."""
    with service.client.app.state.triage.store.db.session() as session:  # type: ignore[attr-defined]
        for row in session.scalars(select(Submission)):
            session.execute(update(Submission).where(Submission.id == row.id)
                            .values(created_at=row.created_at - timedelta(hours=hours)))


def nothing_left_on_disk(service: Service) -> bool:
    return not any(service.client.app.state.triage.store.files.tmp.iterdir())  # type: ignore[attr-defined]


@pytest.fixture
def idle(settings: Settings) -> Iterator[Service]:
    """A server with small limits whose job threads never start: every upload stays waiting for analysis."""
    settings.submitter_max_pending = 2
    settings.submitter_max_bytes_per_day = 1_000
    app = create_app(settings, workers=0)
    with TestClient(app) as client:
        yield Service(client, make_tokens(app), settings)


def test_a_submitter_may_have_only_so_many_uploads_waiting_for_analysis(idle: Service) -> None:
    first, second = send(idle, "submitter", story(1, 2)), send(idle, "submitter", story(2, 2))
    assert (first.status_code, second.status_code) == (202, 202), first.text
    third = send(idle, "submitter", story(3, 2))
    assert third.status_code == 429, third.text
    assert third.json()["error"] == "RateLimited" and "TRIAGE_SUBMITTER_MAX_PENDING" in third.json()["detail"]
    assert "retry-after" not in third.headers  # no one can say when an analysis ends
    assert stored(idle, "sam") == 2 and nothing_left_on_disk(idle)
    assert send(idle, "submitter2", story(4, 2)).status_code == 202  # another submitter has their own places
    for n in range(5, 9):  # curators and admins are not limited
        assert send(idle, "curator" if n % 2 else "admin", story(n, 2)).status_code == 202
    queue.cancel(idle.client.app.state.triage.store.db, first.json()["job"])  # type: ignore[attr-defined]
    assert send(idle, "submitter", story(3, 2)).status_code == 202  # a cancelled analysis waits no more


def test_an_analysed_upload_frees_its_place(settings: Settings) -> None:
    settings.submitter_max_pending = 1
    app = create_app(settings, workers=1)
    with TestClient(app) as client:
        service = Service(client, make_tokens(app), settings)
        first = send(service, "submitter", story(1))
        assert first.status_code == 202
        assert service.wait_ready(first.json()["submission"]["submission_id"])["status"] == "ready"
        service.wait_jobs()  # its job ends a moment after the piece is ready (it queues the lineage and the map)
        assert send(service, "submitter", story(2)).status_code == 202


def test_an_upload_in_progress_holds_its_place_so_two_at_once_cannot_both_take_the_last(idle: Service) -> None:
    assert send(idle, "submitter", story(1, 2)).status_code == 202
    state = idle.client.app.state.triage  # type: ignore[attr-defined]
    # a second upload by the same token whose body is still arriving: it has no row or job yet
    with state.quota.upload(state.store.db, token_id(idle, "sam"), 10_000, too_large, None):
        refused = send(idle, "submitter", story(2, 2))
        assert refused.status_code == 429 and "waiting for analysis" in refused.json()["detail"]
    assert send(idle, "submitter", story(2, 2)).status_code == 202


def test_two_uploads_at_once_by_one_token_get_one_place_and_one_refusal_never_a_crash(idle: Service) -> None:
    assert send(idle, "submitter", story(1, 2)).status_code == 202  # one place of two left
    answers: list[int] = []

    def upload(n: int) -> None:
        answers.append(send(idle, "submitter", story(n, 2)).status_code)

    threads = [threading.Thread(target=upload, args=(n,)) for n in (2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(answers) == [202, 429]
    assert stored(idle, "sam") == 2 and nothing_left_on_disk(idle)


def test_a_submitters_bytes_in_24_hours_are_limited_and_retry_after_says_when(idle: Service) -> None:
    idle.settings.submitter_max_pending = 0  # only the bytes count here
    state = idle.client.app.state.triage  # type: ignore[attr-defined]
    state.quota.max_pending = 0
    first = story(1, 12)  # about 400 bytes
    assert send(idle, "submitter", first).status_code == 202
    assert send(idle, "submitter", story(2, 12)).status_code == 202
    refused = send(idle, "submitter", story(3, 12))
    assert refused.status_code == 429, refused.text
    assert "TRIAGE_SUBMITTER_MAX_BYTES_PER_DAY" in refused.json()["detail"]
    assert 24 * 3600 - 120 <= int(refused.headers["retry-after"]) <= 24 * 3600
    assert stored(idle, "sam") == 2 and nothing_left_on_disk(idle)
    assert send(idle, "curator", story(4, 40)).status_code == 202  # curators are not limited
    assert send(idle, "submitter2", story(5, 12)).status_code == 202  # nor is another submitter by this one
    age(idle, 23)  # the first upload leaves the window in an hour
    later = send(idle, "submitter", story(3, 12))
    assert later.status_code == 429 and 3600 - 120 <= int(later.headers["retry-after"]) <= 3600
    age(idle, 1.5)  # a rolling window: the first upload's bytes are free again, the second's too
    assert send(idle, "submitter", story(3, 12)).status_code == 202


def test_a_chunked_upload_is_stopped_once_it_passes_the_allowance(idle: Service) -> None:
    boundary = "xyz"

    def body() -> Iterator[bytes]:  # no Content-Length: only the count of the arriving bytes can stop it
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"long.txt\"\r\n"
               "Content-Type: text/plain\r\n\r\n").encode()
        for _ in range(20):
            yield b"a lawn story " * 20
        yield f"\r\n--{boundary}--\r\n".encode()

    done = idle.client.post(URL, content=body(), headers={
        **idle.h("submitter"), "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert done.status_code == 429 and "1,000 bytes" in done.json()["detail"], done.text
    assert stored(idle, "sam") == 0 and nothing_left_on_disk(idle)
    assert send(idle, "submitter", story(1, 2)).status_code == 202  # the refused upload holds nothing


def test_a_file_larger_than_a_whole_days_allowance_is_too_large_not_to_be_retried(idle: Service) -> None:
    done = send(idle, "submitter", story(1, 4_000))  # ~130 kB: over the day's 1,000 bytes plus the form's room
    assert done.status_code == 413 and "24 hours" in done.json()["detail"]
    assert "retry-after" not in done.headers and nothing_left_on_disk(idle)


def unread(service: Service, body: bytes, declared: bool) -> tuple[httpx.Response, int]:
    """Send a submitter's upload as a stream the server pulls chunk by chunk; returns the answer and how many of
    its 64 kB chunks the server had pulled when it answered."""
    boundary = "xyz"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode()
    whole = head + body + f"\r\n--{boundary}--\r\n".encode()
    chunks = [whole[i:i + 65_536] for i in range(0, len(whole), 65_536)]
    pulled = 0

    async def stream() -> Any:
        nonlocal pulled
        for chunk in chunks:
            pulled += 1
            yield chunk

    async def post() -> httpx.Response:
        headers = {**service.h("submitter"), "Content-Type": f"multipart/form-data; boundary={boundary}"}
        if declared:
            headers["Content-Length"] = str(len(whole))
        app = service.client.app
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.post(URL, content=stream(), headers=headers)

    return anyio.run(post), pulled


def test_a_submitter_over_a_limit_is_refused_before_the_body_is_read(idle: Service) -> None:
    state = idle.client.app.state.triage  # type: ignore[attr-defined]
    state.quota.max_bytes = 250_000
    big = story(1, 5_000)  # 160 kB
    answer, pulled = unread(idle, big, declared=True)
    assert answer.status_code == 202 and pulled == len(big) // 65_536 + 1
    answer, pulled = unread(idle, story(2, 5_000), declared=True)  # 90 kB left, 64 kB of room for the form: surely over
    assert answer.status_code == 429 and pulled == 0, answer.text
    assert 24 * 3600 - 120 <= int(answer.headers["retry-after"]) <= 24 * 3600
    assert send(idle, "submitter", story(3, 2)).status_code == 202  # the second of two places
    answer, pulled = unread(idle, story(4, 2), declared=False)  # too many waiting: known from the token alone
    assert answer.status_code == 429 and pulled == 0 and "waiting" in answer.json()["detail"]
    assert stored(idle, "sam") == 2 and nothing_left_on_disk(idle)
