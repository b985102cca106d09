"""A server whose uploads run on Ray stops cleanly on SIGTERM: its requests end, then Ray and all its
processes go."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import MEDIA, triage_cmd

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ours(ray_dir: str) -> list[str]:
    """Live processes started with RAY_TMPDIR=ray_dir: the server's Ray and all it started (Ray renames its
    agents' command lines, but they inherit the environment)."""
    marker = f"RAY_TMPDIR={ray_dir}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_sigterm_stops_the_server_and_every_ray_process(cli_env: dict[str, str], tmp_path: Path) -> None:
    ray_dir = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    env = {**cli_env, "TRIAGE_ENGINE": "ray", "TRIAGE_THREADS": "1", "RAY_TMPDIR": ray_dir}
    run = [*triage_cmd()]
    subprocess.run([*run, "callouts", "create", "lawn"], env=env, check=True, capture_output=True)
    token = subprocess.run([*run, "tokens", "create", "--role", "curator", "--name", "cora"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115  (closed below)
    server = subprocess.Popen([*run, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        assert _ours(ray_dir), "Ray should be running under the server"
        story = (MEDIA / "good" / "story.txt").read_bytes()
        boundary = "x7bound"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"story.txt\"\r\n"
                f"Content-Type: text/plain\r\n\r\n").encode() + story + f"\r\n--{boundary}--\r\n".encode()
        sent = urllib.request.Request(f"{url}/api/callouts/lawn/uploads", data=body, method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        sid = json.loads(urllib.request.urlopen(sent, timeout=30).read())["submission"]["submission_id"]
        for _ in range(240):
            got = urllib.request.Request(f"{url}/api/submissions/{sid}", headers={"Authorization": f"Bearer {token}"})
            if json.loads(urllib.request.urlopen(got, timeout=10).read())["status"] == "ready":
                break
            time.sleep(0.5)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)  # uvicorn stops gracefully, then re-raises the signal: the code is -15 either way
        said = (tmp_path / "server.log").read_text()
        assert "SIGTERM received" not in said and "Traceback" not in said, said[-3000:]  # no abort by Ray
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
    for _ in range(20):  # Ray's processes exit on their own once their node is told to stop
        if not _ours(ray_dir):
            break
        time.sleep(0.5)
    assert _ours(ray_dir) == [], (tmp_path / "server.log").read_text()[-2000:]
    shutil.rmtree(ray_dir, ignore_errors=True)
