"""A backup taken while uploads and decisions are written: the restored database is whole (SQLite's integrity
and foreign-key checks pass, every decision batch has all its rows) and every content it names has its file."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests import postgres
from tests.conftest import ingested
from triage import runtime
from triage.config import Settings
from triage.service.decisions import new_batch, record
from triage.store import backup as backup_module
from triage.store import submissions as subs
from triage.store.backup import backup
from triage.store.dbcopy import check_sqlite
from triage.store.manifest import file_digest
from triage.store.restore import restore
from triage.store.store import Store

BATCH = 3  # decisions one action writes together


def _write(store: Store, folder: Path, stop: threading.Event, made: list[int], errors: list[BaseException],
           others: list[str]) -> None:
    """Uploads (a file, then its rows) and decisions on three pieces at once, as fast as they go."""
    try:
        n = 0
        while not stop.is_set():
            n += 1
            path = folder / f"upload-{n}.bin"
            path.write_bytes(os.urandom(4096) + n.to_bytes(8, "big"))
            sha, size = store.files.put_original(path)
            with store.db.session() as session:
                subs.get_or_create_content(session, sha, size)
                row, _ = subs.get_or_create(session, "lawn", f"live:{n}", sha256=sha, size=size, contributor="live")
                batch = new_batch()
                for sid in (row.id, *others):
                    record(session, sid, "starred", note=f"batch {n}", by="writer", batch=batch)
            made.append(n)
    except BaseException as exc:  # the test fails on it, not the thread silently
        errors.append(exc)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_backup_during_writes_restores_whole(settings: Settings, tmp_path: Path, kind: str,
                                               request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    urls: list[str | None] = [None] * 4
    if kind == "postgresql":
        server = request.getfixturevalue("postgres_server")
        urls = [postgres.new_database(server) for _ in range(4)]
    settings = settings.model_copy(update={"database_url": urls[0]})
    store = ingested(settings, "speech.wav", "story.txt")
    with store.db.session() as session:
        others = [r[0] for r in session.execute(text("SELECT id FROM submissions"))]
    assert len(others) == BATCH - 1
    real_link = backup_module.link_into

    def slow_link(source: Path, target: Path) -> None:  # the files phase takes a while: writes go on meanwhile
        time.sleep(0.01)
        real_link(source, target)

    monkeypatch.setattr(backup_module, "link_into", slow_link)
    (tmp_path / "up").mkdir()
    stop, made, errors = threading.Event(), [], []  # type: ignore[var-annotated]
    writer = threading.Thread(target=_write, args=(runtime.open_store(settings), tmp_path / "up", stop, made,
                                                   errors, others))
    writer.start()
    try:
        while len(made) < 5 and not errors:
            time.sleep(0.01)
        during = 0
        for i in range(1, 4):
            before = len(made)
            report = backup(store, tmp_path / "backup")
            during += len(made) - before
            target = settings.model_copy(update={"data_dir": tmp_path / f"restored-{i}", "database_url": urls[i]})
            restore(tmp_path / "backup", target.data_dir, target.resolved_database_url)
            _check(runtime.open_store(target), report.counts, kind)
    finally:
        stop.set()
        writer.join()
    assert not errors, errors
    assert during > 0  # uploads and decisions were committed while the backups ran


def _check(store: Store, counts: dict[str, Any], kind: str) -> None:
    if kind == "sqlite":
        check_sqlite(Path(store.db.engine.url.database or ""))  # integrity_check ok, no row names a missing one
    with store.db.engine.connect() as conn:
        sizes = [n for _, n in conn.execute(text(
            "SELECT batch, count(*) FROM decisions WHERE decided_by = 'writer' GROUP BY batch"))]
        assert sizes and set(sizes) == {BATCH}  # no half-written action
        assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == counts["submissions"]
        assert conn.execute(text(  # every upload's rows, or none of them
            "SELECT count(*) FROM submissions s LEFT JOIN contents c ON c.sha256 = s.sha256 "
            "WHERE c.sha256 IS NULL")).scalar() == 0
        shas = [r[0] for r in conn.execute(text("SELECT sha256 FROM contents"))]
    assert len(shas) == counts["contents"]
    for sha in shas:  # every file the restored database names is there, and whole
        assert file_digest(store.files.original_path(sha))[0] == sha
