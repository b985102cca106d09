"""The curator workbench at 10,000 submissions: a decision's round trip in a real browser (keypress to saved and
the focus on the next card), the next page of cards, and the first shortlist after the server starts.

    .venv/bin/python benchmarks/bench_workbench.py [--n 10000] [--decisions 96]

Synthetic pool as benchmarks/bench_api.py makes it (N ready texts, fake text vectors), a real `triage serve` with
fake models, Debian's chromium driven by Playwright. In the page, the time runs from the key's keydown event to the
frame after the focus moved on (the server's answer swapped in, the next undecided card focused). Baseline in the
same run: the same decision through the plain form with scripts off, a full page reload, as every decision was
before the workbench (the click to the reloaded page's load event).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_api import FAKE, peak_rss_mb, populate  # noqa: E402

from triage.config import Settings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# Stamps the keydown of a decision key and the frame after the workbench moved the focus on (keys.js does that on
# the server's "triage:decided" event); run before the page's own scripts, outside its CSP.
PROBE = """
window.__trips = []; window.__requests = [];
document.addEventListener('keydown', e => { if ('stxu'.includes(e.key)) window.__t0 = performance.now(); }, true);
document.addEventListener('triage:decided', () => setTimeout(() => requestAnimationFrame(() => {
  window.__trips.push(performance.now() - window.__t0); }), 0));
new PerformanceObserver(list => list.getEntries().forEach(e => {
  if (e.name.endsWith('/decision')) window.__requests.push(e.responseEnd - e.startTime); })
).observe({type: 'resource', buffered: true});
"""


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def start_server(settings: Settings, tmp: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """`triage serve` on the pool; returns the process, its address and the seconds until /api/ready said yes."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}, **FAKE,
           "TRIAGE_DATA_DIR": str(settings.data_dir), "TRIAGE_MODELS_DIR": str(settings.models_dir),
           "HF_HUB_OFFLINE": "1"}
    log = open(tmp / "server.log", "ab")  # noqa: SIM115 (open for the server's lifetime)
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "triage.cli", "serve", "--port", str(port), "--workers", "1"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{url}/api/ready", timeout=5).status_code == 200:
                return server, url, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit((tmp / "server.log").read_text())
        time.sleep(0.2)


def first_and_warm(url: str, token: str, path: str, warm: int = 10) -> tuple[float, float]:
    """The first request's time and the median of the `warm` after it, in ms (signed in by token and cookie)."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=600) as client:
        client.post("/login", data={"token": token})
        times = []
        for _ in range(warm + 1):
            t = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append((time.perf_counter() - t) * 1000)
    return times[0], statistics.median(times[1:])


def sign_in(page: Page, url: str, token: str, path: str) -> None:
    page.goto(url + path)
    page.fill("input[name=token]", token)
    page.press("input[name=token]", "Enter")
    page.wait_for_url(url + path)


def keyboard_trips(page: Page, url: str, want: int) -> tuple[list[float], list[float], list[float]]:
    """Decide `want` cards by keyboard, a page of undecided cards at a time; (round trips, their requests alone,
    next-page loads) in ms."""
    trips: list[float] = []
    requests: list[float] = []
    loads: list[float] = []
    while len(trips) < want:
        t = time.perf_counter()
        page.goto(url + "/callouts/bench?decision=undecided")
        page.wait_for_load_state("load")
        loads.append((time.perf_counter() - t) * 1000)
        cards = page.locator("#cards article.card.result").count()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the skip link: the first card
        for i in range(min(cards, want - len(trips))):
            page.keyboard.press("sx"[i % 2])
            while page.evaluate("() => window.__trips.length") <= i:  # polled from here: the page's CSP stays on
                time.sleep(0.005)
        trips += page.evaluate("() => window.__trips")
        requests += page.evaluate("() => window.__requests")
    return trips[:want], requests[:want], loads


def form_trips(page: Page, url: str, want: int) -> list[float]:
    """The same decisions through the plain form, scripts off: a POST, a redirect and the whole page again."""
    out = []
    page.goto(url + "/callouts/bench?decision=undecided")
    for _ in range(want):
        button = page.locator("#cards article.card.result").first.locator("form.decide button[value=shortlisted]")
        t = time.perf_counter()
        with page.expect_navigation(wait_until="load"):
            button.click()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=96)
    parser.add_argument("--baseline", type=int, default=24, help="decisions through the plain form")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-workbench-"))
    settings = Settings(data_dir=tmp / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                        models_dir=tmp / "models")
    t = time.perf_counter()
    token = populate(settings, args.n)
    print(f"populated {args.n} submissions in {time.perf_counter() - t:.1f} s")
    server, url, ready_s = start_server(settings, tmp)
    try:
        print(f"server ready (models loaded, call-outs warmed) {ready_s:.1f} s after start")
        for name, path in (("shortlist API", "/api/callouts/bench/shortlist?limit=20"),
                           ("workbench page (HTML, 24 cards)", "/callouts/bench")):
            first, warm = first_and_warm(url, token, path)
            print(f"{name}: first after start {first:.0f} ms, warm median {warm:.0f} ms, "
                  f"difference {first - warm:.0f} ms")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_init_script(PROBE)
            page = context.new_page()
            sign_in(page, url, token, "/callouts/bench")
            trips, requests, loads = keyboard_trips(page, url, args.decisions)
            print(f"decision round trip by keyboard (keydown -> saved -> focus on the next card), n={len(trips)}: "
                  f"p50 {pct(trips, 50):.0f} ms, p95 {pct(trips, 95):.0f} ms, max {max(trips):.0f} ms")
            print(f"  of which the request (sent -> answer received), n={len(requests)}: "
                  f"p50 {pct(requests, 50):.0f} ms, p95 {pct(requests, 95):.0f} ms")
            print(f"next page of 24 undecided cards (load event), n={len(loads)}: p50 {pct(loads, 50):.0f} ms, "
                  f"p95 {pct(loads, 95):.0f} ms")
            plain = browser.new_context(viewport={"width": 1440, "height": 900}, java_script_enabled=False).new_page()
            sign_in(plain, url, token, "/callouts/bench")
            reloads = form_trips(plain, url, args.baseline)
            print(f"baseline, the plain form (POST, redirect, the whole page again), n={len(reloads)}: "
                  f"p50 {pct(reloads, 50):.0f} ms, p95 {pct(reloads, 95):.0f} ms")
            browser.close()
        print(f"server peak RSS {peak_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
