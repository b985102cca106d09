"""`triage ingest --engine ray --ray-address` joins a running Ray cluster, uses it, and leaves it running."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MEDIA, triage_cmd

pytestmark = pytest.mark.slow

RAY = str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Ray's own token authentication, as on a real cluster: the head, `ray status` and triage all present the token.
RAY_TOKEN = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
RAY_ENV = {**os.environ, **RAY_TOKEN}


@pytest.fixture
def head() -> Iterator[str]:
    """A one-node Ray cluster started the way an operator would, in its own process group."""
    port = _free_port()
    proc = subprocess.Popen([RAY, "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1",
                             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"],
                            env=RAY_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while subprocess.run([RAY, "status", f"--address={address}"], env=RAY_ENV, capture_output=True).returncode:
        assert proc.poll() is None and time.monotonic() < deadline, "the Ray head did not come up"
        time.sleep(1)
    yield address
    proc.terminate()  # --block: stopping the process stops the node
    proc.wait(timeout=60)


def test_ingest_joins_a_running_cluster_and_leaves_it_up(head: str, cli_env: dict[str, str]) -> None:
    env = {**cli_env, **RAY_TOKEN, "TRIAGE_THREADS": "1"}
    subprocess.run([*triage_cmd(), "callouts", "create", "lawn", "--title", "Lawn", "--brief", "On the lawn."],
                   env=env, check=True, capture_output=True)
    done = subprocess.run([*triage_cmd(), "ingest", "--callout", "lawn", "--engine", "ray", "--ray-address", head,
                           "--workers", "2", "--json", str(MEDIA / "good" / "story.txt"),
                           str(MEDIA / "good" / "speech.wav"), str(MEDIA / "bad" / "truncated.mp4")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in json.loads(done.stdout)["results"]] == ["ready", "ready", "rejected"]
    deadline = time.monotonic() + 60
    while True:  # the cluster reports freed CPUs a few seconds late
        status = subprocess.run([RAY, "status", f"--address={head}"], env=RAY_ENV, capture_output=True, text=True,
                                timeout=60)
        assert status.returncode == 0, "the batch must not shut down a cluster it joined"
        if "0.0/2.0 CPU" in status.stdout or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert "0.0/2.0 CPU" in status.stdout, status.stdout  # and it let go of its workers
