"""An in-process curator service with fake models, one token per role, and a small call-out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import MEDIA
from triage.api.app import create_app
from triage.api.tokens import create_token
from triage.config import Settings
from triage.store.callouts import upsert_callout


@dataclass
class Service:
    client: TestClient
    tokens: dict[str, str]  # role -> plain token (plus "submitter2")
    settings: Settings

    def h(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def upload(self, role: str, path: Path, callout: str = "lawn", **fields: str) -> Any:
        with open(path, "rb") as f:
            return self.client.post(f"/api/callouts/{callout}/uploads", headers=self.h(role),
                                    files={"file": (path.name, f)}, data=fields)

    def wait_ready(self, submission_id: str, role: str = "curator", timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data: dict[str, Any] = self.client.get(f"/api/submissions/{submission_id}", headers=self.h(role)).json()
            if data["status"] in ("ready", "rejected", "failed") or time.monotonic() > deadline:
                return data
            time.sleep(0.1)


    def wait_jobs(self, timeout: float = 60) -> None:
        """Until no job is queued or running: an upload's job goes on (finding its lineage) after it is ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.client.get("/api/jobs", headers=self.h("admin")).json()["items"]
            if not any(j["status"] in ("queued", "running") for j in items):
                return
            time.sleep(0.1)


def make_tokens(app: Any) -> dict[str, str]:
    store = app.state.triage.store
    tokens = {}
    with store.db.session() as session:
        for role, name in (("admin", "ada"), ("curator", "cora"), ("submitter", "sam"), ("submitter", "sue")):
            _, plain = create_token(session, name, role)
            tokens[role if name != "sue" else "submitter2"] = plain
        upsert_callout(session, "lawn", title="Front Lawn Freaks", brief="people freaking out on a front lawn")
        upsert_callout(session, "shut", title="Closed one", is_open=False)
    return tokens


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    app = create_app(settings, workers=1)
    with TestClient(app) as client:
        yield Service(client, make_tokens(app), settings)


@pytest.fixture
def ready_video(service: Service) -> str:
    """One processed video uploaded by the submitter 'sam'."""
    done = service.upload("submitter", MEDIA / "good" / "speech.mp4", title="Talking")
    assert done.status_code == 202, done.text
    sid = done.json()["submission"]["submission_id"]
    assert service.wait_ready(sid)["status"] == "ready"
    service.wait_jobs()
    return str(sid)
