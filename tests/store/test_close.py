"""A closed store keeps no file open, and the test fixtures close every store a test opens: the suite used to end
with hundreds of SQLite files (and their -wal and -shm) open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from tests.conftest import ROOT
from triage.store.store import Store


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_closing_many_stores_keeps_no_files_open(tmp_path: Path) -> None:
    def use(n: int) -> Store:
        store = Store(tmp_path / f"data{n}", f"sqlite:///{tmp_path / f'data{n}' / 'triage.db'}")
        with store.db.session() as session:
            session.execute(text("select 1"))
        return store

    use(0).close()  # whatever the first store opens for good (imports, caches) is not a leak
    before = open_files()
    for n in range(1, 41):
        use(n).close()
    with use(41) as store:
        assert store.files.root.is_dir()
    assert open_files() <= before + 1


INNER = '''
import os
from fastapi.testclient import TestClient
from tests.conftest import ingested
from triage import runtime
from triage.api.app import create_app

COUNT = []


def open_files():
    return len(os.listdir("/proc/self/fd"))


def test_0_baseline(settings):
    runtime.open_store(settings).close()
    with TestClient(create_app(settings, workers=0)) as client:
        client.get("/api/health")
    client.app.state.triage.store.close()
    COUNT.append(open_files())


def test_1_stores_left_open(settings):
    for n in range(10):
        store = runtime.open_store(settings.model_copy(update={"data_dir": settings.data_dir / str(n)}))
        with store.db.session() as session:
            session.execute(__import__("sqlalchemy").text("select 1"))


def test_2_apps_left_open(settings):
    for n in range(5):
        app = create_app(settings.model_copy(update={"data_dir": settings.data_dir / str(n)}), workers=1)
        with TestClient(app) as client:
            assert client.get("/api/health").status_code == 200


def test_3_ingested_left_open(settings):
    ingested(settings, "story.txt")


def test_4_nothing_left_open():
    assert open_files() <= COUNT[0] + 3, os.popen(f"ls -l /proc/{os.getpid()}/fd").read()
'''


def test_the_fixtures_close_every_store_a_test_leaves_open(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(INNER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), "--basetemp", str(tmp_path / "inner"),
                           str(tmp_path / "test_leaky.py")],
                          cwd=ROOT, env={**env, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 passed" in done.stdout
