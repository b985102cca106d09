"""What the browser tests share: a real `triage serve` on a pool made for the test, Debian's chromium, the axe-core
accessibility check, and screenshots kept as artefacts (build/screenshots)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import MEDIA, triage_cmd

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class Server:
    url: str
    token: str  # the first curator's
    tokens: dict[str, str] = field(default_factory=dict)  # name -> token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*triage_cmd(), *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextmanager
def serve(env: dict[str, str], folder: Path, files: tuple[str, ...],
          people: tuple[tuple[str, str], ...] = (("curator", "cora"),)) -> Iterator[Server]:
    """Create the call-out "lawn", ingest `files` (from tests/data/media/good), make a token per (role, name), and
    run `triage serve` until the block ends; waits until the server says it is ready."""
    run(env, "callouts", "create", "lawn", "--title", "Front Lawn Freaks",
        "--brief", "people freaking out on their front lawn")
    media = folder / "media"
    media.mkdir()
    for name in files:
        shutil.copy(MEDIA / "good" / name, media / name)
    run(env, "ingest", "--callout", "lawn", str(media))
    tokens = {name: run(env, "tokens", "create", "--role", role, "--name", name).strip() for role, name in people}
    port = _free_port()
    log = open(folder / "server.log", "w")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen([*triage_cmd(), "serve", "--port", str(port), "--workers", "1"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/ready", timeout=2) as reply:
                    assert json.load(reply)["ready"] is True
                break
            except OSError:  # not listening yet, or 503 while it loads the models and warms the call-outs
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError((folder / "server.log").read_text()) from None
                time.sleep(0.3)
        yield Server(url, tokens[people[0][1]], tokens)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def launch(playwright: Any) -> Any:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run scripts/bootstrap.sh"
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def sign_in(page: Any, server: Server, path: str, token: str | None = None) -> None:
    """Open `path`, meet the sign-in page, and sign in by keyboard alone (the token field has the focus)."""
    page.goto(server.url + path)
    assert "/login" in page.url
    # autofocus lands at the browser's next rendering step, which a loaded machine may reach after "load"
    page.wait_for_function("() => document.activeElement && document.activeElement.name === 'token'")
    page.keyboard.type(token or server.token)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + path)
    page.wait_for_load_state("networkidle")


def serious_problems(page: Any) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now (none is the bar)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated by the browser's devtools: the page's CSP stays as it is
    found = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']})""")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in found["violations"] if v["impact"] in ("serious", "critical")]


def shoot(page: Any, name: str) -> Path:
    """A full-page screenshot kept under build/screenshots for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    return path


def active(page: Any) -> str:
    """The id of the element that has the keyboard focus."""
    return str(page.evaluate("() => document.activeElement ? document.activeElement.id : ''"))
