"""A bad day for the server, scripted: a mixed batch uploaded through it while it is killed (SIGKILL) at random
points, its disk fills once and its database turns read-only once. At the end every submission is ready, or
rejected or failed with a reason; nothing is duplicated or stuck; `triage doctor` finds nothing to repair."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.conftest import MEDIA, triage_cmd
from tests.web.browser import _free_port, run

pytestmark = pytest.mark.slow
KILLS = 3
SEED = 20261206


def _pile(folder: Path) -> list[Path]:
    """Distinct texts and sounds, the good fixtures, and files that must be rejected."""
    folder.mkdir()
    rng = np.random.default_rng(SEED)
    for i in range(24):
        (folder / f"story_{i:02d}.txt").write_text(f"Story {i}: the sprinkler chased me round the lawn {i} times.\n")
    import wave

    for i in range(4):
        with wave.open(str(folder / f"hum_{i}.wav"), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
            w.writeframes((rng.standard_normal(16000 * 3) * 2000).astype("<i2").tobytes())
    for name in ("speech.mp3", "photo.jpg", "lyrics.md"):
        shutil.copy(MEDIA / "good" / name, folder / name)
    for name in ("truncated.mp4", "empty.mp4", "random.bin"):
        shutil.copy(MEDIA / "bad" / name, folder / f"bad_{name}")
    return sorted(folder.iterdir())


@contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[bool]:
    """A tmpfs of `megabytes` at `folder` where this machine allows mounting one (True), else a plain folder."""
    folder.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


class Server:
    """`triage serve` as a process that can be killed and started again, on one data dir."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.port, self.proc = env, log, _free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, database_url: str | None = None) -> None:
        env = dict(self.env, **({"TRIAGE_DATABASE_URL": database_url} if database_url else {}))
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen([*triage_cmd(), "serve", "--port", str(self.port), "--workers", "1"],
                                         env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(self.log.read_text()[-3000:])

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


def _send(client: httpx.Client, path: Path) -> int:
    """One upload, its external id its name: sent again after a failure, it is the same submission. A file the
    server refuses at the door (corrupt, empty, not media) must say why."""
    with open(path, "rb") as f:
        reply = client.post("/api/callouts/lawn/uploads", files={"file": (path.name, f)},
                            data={"external_id": path.name})
    if reply.status_code in (413, 415, 422):
        assert reply.json()["detail"], path.name
    return reply.status_code


def test_a_bad_day_loses_nothing(tmp_path: Path, cli_env: dict[str, str]) -> None:
    rng = random.Random(SEED)
    files = _pile(tmp_path / "pile")
    with small_disk(tmp_path / "disk", 64) as mounted:
        data = tmp_path / "disk" / "data"
        env = dict(cli_env, TRIAGE_DATA_DIR=str(data), TRIAGE_MIN_FREE_BYTES="0")
        run(env, "callouts", "create", "lawn", "--title", "Lawn")
        token = run(env, "tokens", "create", "--role", "curator", "--name", "chaos").strip()
        server = Server(env, tmp_path / "server.log")
        server.start()
        pending, kills, disk_full, read_only, refused = list(files), 0, not mounted, False, 0
        kill_at = sorted(rng.sample(range(2, len(files) - 2), KILLS))
        try:
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                              timeout=30) as client:
                sent = 0
                while pending:
                    if kills < KILLS and sent >= kill_at[kills]:
                        _kill_during_an_upload(server, client, pending[0], rng.uniform(0, 0.3))
                        kills += 1
                        server.start()
                    if not disk_full and sent >= len(files) // 2:
                        refused += _fill_disk_and_try(client, data, pending[0])
                        disk_full = True
                    if not read_only and sent >= 2 * len(files) // 3:
                        refused += _read_only_and_try(server, data, client, pending[0])
                        read_only = True
                    path = pending[0]
                    try:
                        status = _send(client, path)
                    except httpx.HTTPError:
                        status = 0  # killed under us: send it again
                    if status in (200, 202) or (status in (415, 422) and path.name.startswith("bad_")):
                        pending.pop(0)  # taken, or refused at the door with its reason
                        sent += 1
                    else:
                        assert status in (0, 503, 507), status
                        time.sleep(0.2)
            _wait_for_the_queue(server.url, token)
        finally:
            server.stop()

        rows = _rows(data / "triage.db")
        taken = sorted(p.name for p in files if not p.name.startswith("bad_"))
        assert sorted(r[0] for r in rows if not r[0].startswith("bad_")) == taken  # each file once, none lost
        for external_id, status, error in rows:
            assert status in ("ready", "rejected", "failed"), (external_id, status)
            assert (status == "ready") == (error is None), (external_id, status, error)
        doctor = subprocess.run([*triage_cmd(), "doctor", "--json"], env=env, capture_output=True, text=True)
        assert doctor.returncode == 0 and json.loads(doctor.stdout)["findings"] == [], doctor.stdout
        assert kills == KILLS and refused >= 1 + mounted
        print(f"chaos: {len(files)} files, {kills} kills, disk full {'once' if mounted else 'not (no tmpfs)'}, "
              f"read-only once, {refused} writes refused with a reason, 0 files lost")


def _kill_during_an_upload(server: Server, client: httpx.Client, path: Path, after: float) -> None:
    """SIGKILL the server `after` seconds into an upload (or into the jobs it queued); the upload stays pending."""
    sending = threading.Thread(target=lambda: _quietly(_send, client, path))
    sending.start()
    time.sleep(after)
    server.kill()
    sending.join()


def _quietly(call: Callable[..., object], *args: object) -> None:
    with contextlib.suppress(httpx.HTTPError):  # killed under it: the loop sends the file again
        call(*args)


def _fill_disk_and_try(client: httpx.Client, data: Path, path: Path) -> int:
    """Fill the data dir's disk, see an upload refused as the server's trouble (507), free the disk again."""
    filler = data / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    try:
        status = _send(client, path)
    finally:
        filler.unlink()
    assert status in (507, 503), status
    return 1


def _read_only_and_try(server: Server, data: Path, client: httpx.Client, path: Path) -> int:
    """Restart the server on a read-only view of its database: reads work, an upload is refused (503)."""
    server.stop()
    server.start(database_url=f"sqlite:///file:{data / 'triage.db'}?mode=ro&uri=true")
    assert client.get("/api/callouts").status_code == 200
    status = _send(client, path)
    assert httpx.get(f"{server.url}/api/health").json()["status"] == "degraded"
    server.stop()
    server.start()
    assert status == 503, status
    return 1


def _wait_for_the_queue(url: str, token: str, limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        while time.monotonic() < deadline:
            jobs = client.get("/api/health").json()["jobs"]
            if not jobs.get("queued") and not jobs.get("running"):
                return
            time.sleep(0.5)
    raise AssertionError(f"jobs still waiting after {limit} s: {jobs}")


def _rows(db: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select external_id, status, error from submissions").fetchall()
