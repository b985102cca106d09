"""When the database cannot be written (read-only, its disk full), reads and sign-in go on, writes get 503 with
the reason and Retry-After, /api/health says why and /api/ready refuses; all of it recovers on its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.api.conftest import Service


@contextmanager
def pragma(service: Service, statement: str) -> Iterator[None]:
    """Every connection of the app's database runs `statement` first, until the block ends."""
    engine = service.client.app.state.triage.store.db.engine  # type: ignore[attr-defined]

    def on_connect(connection: Any, _record: Any) -> None:
        connection.execute(statement)

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # the pooled connections never ran it
    try:
        yield
    finally:
        event.remove(engine, "connect", on_connect)
        engine.dispose()


def test_a_read_only_database_keeps_reads_and_sign_in_and_refuses_writes_in_words(service: Service,
                                                                                  ready_video: str) -> None:
    h = service.h("curator")
    with pragma(service, "PRAGMA query_only = ON"):
        assert service.client.get("/api/callouts", headers=h).status_code == 200  # before: 500, last_used_at
        assert service.client.get(f"/api/submissions/{ready_video}", headers=h).status_code == 200
        signed = service.client.post("/login", data={"token": service.tokens["curator"]}, follow_redirects=False)
        assert signed.status_code == 303
        assert service.client.get("/callouts/lawn").status_code == 200
        refused = service.client.post(f"/api/submissions/{ready_video}/decisions", headers=h,
                                      json={"decision": "starred"})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "30"
        assert "read-only" in refused.json()["detail"] and refused.json()["error"] == "Degraded"
        health = service.client.get("/api/health").json()
        assert health["status"] == "degraded" and "read-only" in health["problems"][0]
        assert service.client.get("/api/ready").status_code == 503
    # recovered on its own: nothing to restart
    assert service.client.post(f"/api/submissions/{ready_video}/decisions", headers=h,
                               json={"decision": "starred"}).status_code == 201
    assert service.client.get("/api/health").json()["status"] == "ok"
    assert service.client.get(f"/api/submissions/{ready_video}", headers=h).json()["decision"]["decision"] == "starred"


def test_a_full_database_disk_refuses_the_write_and_keeps_nothing_of_it(service: Service, ready_video: str) -> None:
    h = service.h("curator")
    note = "x" * 4_900
    with service.client.app.state.triage.store.db.engine.connect() as c:  # type: ignore[attr-defined]
        pages = c.exec_driver_sql("PRAGMA page_count").scalar()
    with pragma(service, f"PRAGMA max_page_count = {pages}"):  # the file may not grow: as a full disk
        replies = []
        while len(replies) < 200 and (not replies or replies[-1].status_code == 201):
            replies.append(service.client.post(f"/api/submissions/{ready_video}/notes", headers=h,
                                               json={"text": note}))
        refused = replies[-1]
        assert refused.status_code == 503 and "disk is full" in refused.json()["detail"]
        stored = service.client.get(f"/api/submissions/{ready_video}/notes", headers=h).json()["items"]
        assert len(stored) == len(replies) - 1  # the refused one left nothing
    made = service.client.post(f"/api/submissions/{ready_video}/notes", headers=h, json={"text": note})
    assert made.status_code == 201
