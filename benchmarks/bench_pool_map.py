"""The pool map's projection (issue 24): time and peak memory of the layout at 1,000 and 10,000 pieces.

Usage: python benchmarks/bench_pool_map.py [--sizes 1000 10000] [--dim 384] [--page [--runs 3]] [--api]

Synthetic pools: unit text vectors around 12 themes (clustered, like real embeddings), plus a frame vector for a
third of the pieces. Each size runs in a fresh child process so its peak RSS is its own. Per size: a cold layout
(PCA to 50 dimensions, then t-SNE), the same pool again with its layout (kept as it is), 1% new pieces started
from the old layout, and the PNG `triage map` draws from the points. Then what a request costs now that a large
pool's layout is a background job (service.map_layout): writing and reading back the kept layout
(scores/<id>.map.json) and placing the 1% new pieces near their sub-theme while the job works ("updating").

With --api: `GET /api/callouts/bench/map` in-process (fake models, a synthetic call-out of that many texts, as
bench_api.py makes them): the first request with no layout (answered "computing" at once, the job queued), the
`pool_map` job's work, the next requests (ready; the first one also scores the pool cold), and one after the pool
changed (the kept layout marked stale: answered "updating" at once while the job would work).

With --page: the map page's time to first draw in Debian's chromium (Playwright, headless, software canvas) at the
same sizes. A real `triage serve` (fake models, an empty call-out) serves the page; the browser is handed a
synthetic `GET /api/callouts/bench/map` (12 blobs, scores, some decisions and copies), so the figure is the page's
own: parse the JSON, lay out, draw every dot once, then one hover redraw, and the hidden table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from triage.domain import Chunk, MediaType
from triage.scoring.projection import Layout, pool_layout
from triage.scoring.types import Item, Vectors, unit


def synthetic(n: int, dim: int, seed: int = 0, start: int = 0) -> list[Item]:
    rng = np.random.default_rng(seed)
    themes = unit(rng.standard_normal((12, dim)).astype(np.float32))
    frame_themes = unit(rng.standard_normal((12, 512)).astype(np.float32))
    items = []
    for k in range(n):
        t = int(rng.integers(12))
        words = unit(themes[t] + 0.9 * unit(rng.standard_normal(dim).astype(np.float32)))
        item = Item(f"s{start + k:06d}", None, MediaType.VIDEO if k % 3 == 0 else MediaType.TEXT,
                    text=Vectors(words[None, :], [Chunk("", 0, 0)]))
        if k % 3 == 0:
            frame = unit(frame_themes[t] + 0.9 * unit(rng.standard_normal(512).astype(np.float32)))
            item.frames = Vectors(frame[None, :], [Chunk("", 0, 0, 0.0, 0.0)])
        items.append(item)
    return items


def one(n: int, dim: int) -> dict[str, float]:
    from triage.cli.map import save_png

    items = synthetic(n, dim)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t0 = time.perf_counter()
    first = pool_layout(items)
    cold = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    pool_layout(items, previous=first)
    same = time.perf_counter() - t0
    grown = items + synthetic(max(1, n // 100), dim, seed=1, start=n)
    t0 = time.perf_counter()
    second = pool_layout(grown, previous=first)
    warm = time.perf_counter() - t0
    spread = float(np.ptp(first.xy, axis=0).max())
    moved = float(np.median(np.linalg.norm(second.xy[:n] - first.xy, axis=1)) / spread)
    points = [{"submission_id": i.submission_id, "x": float(x), "y": float(y), "cluster": k % 12, "score": 0.5,
               "decision": None, "group": None} for k, (i, (x, y)) in enumerate(zip(items, first.xy, strict=True))]
    found = {"callout": "bench", "count": n, "points": points,
             "clusters": [{"id": c, "label": f"theme {c}", "size": 0, "x": 0.0, "y": 0.0} for c in range(12)]}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        save_png(found, Path(tmp) / "map.png", dpi=80)
        png = time.perf_counter() - t0
        png_kb = (Path(tmp) / "map.png").stat().st_size / 1024
    return {"n": n, "cold_s": round(cold, 2), "same_pool_s": round(same, 3), "plus_1pct_s": round(warm, 2),
            "moved_median_share": round(moved, 3), "traced_peak_mb": round(peak / 2**20, 1),
            "rss_peak_mb": round(rss / 1024, 1), "rss_before_mb": round(rss0 / 1024, 1),
            "png_s": round(png, 2), "png_kb": round(png_kb, 1), **kept_costs(first, grown[n:])}


def kept_costs(first: Layout, new: list[Item]) -> dict[str, float]:
    """What answering from the kept layout costs a request: the file written by the job, read back (parsed), and
    the pieces that arrived since placed provisionally (service.pool_map.provisional)."""
    from triage.service.map_layout import KeptLayout, layout_path, load, save
    from triage.service.pool_map import provisional

    with tempfile.TemporaryDirectory() as tmp:
        store: Any = SimpleNamespace(data_dir=Path(tmp))  # layout_path reads only the data dir
        t0 = time.perf_counter()
        save(store, "bench", KeptLayout("sig", first, time.time()))
        saved = time.perf_counter() - t0
        kb = layout_path(store, "bench").stat().st_size / 1024
        t0 = time.perf_counter()
        kept = load(store, "bench")
        loaded = time.perf_counter() - t0
    assert kept is not None and kept.layout.ids == first.ids
    t0 = time.perf_counter()
    provisional(kept.layout.position(), [i.submission_id for i in new], [])
    placed = time.perf_counter() - t0
    return {"kept_kb": round(kb, 1), "kept_save_s": round(saved, 3), "kept_load_s": round(loaded, 3),
            "provisional_s": round(placed, 3)}


def synthetic_map(n: int, seed: int = 0) -> dict[str, object]:
    """What `GET /api/callouts/ID/map` answers for a pool of n pieces in 12 blobs (1 in 10 decided, 1 in 20 a copy)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-40, 40, (12, 2))
    decisions = ["shortlisted", "starred", "rejected"]
    points = []
    for k in range(n):
        c = int(rng.integers(12))
        x, y = centres[c] + rng.normal(0, 6, 2)
        points.append({"submission_id": f"s{k:06d}", "external_id": f"e{k:06d}", "title": f"Piece {k}",
                       "contributor": f"person {k % 97}", "media_type": "video" if k % 3 == 0 else "text",
                       "x": round(float(x), 4), "y": round(float(y), 4), "cluster": c,
                       "cluster_label": f"theme {c}", "score": round(float(rng.beta(2, 5)), 4),
                       "decision": decisions[k % 3] if k % 10 == 0 else None,
                       "group": f"s{k - 1:06d}" if k % 20 == 1 else None})
    clusters = [{"id": c, "label": f"theme {c}", "size": sum(1 for p in points if p["cluster"] == c),
                 "x": round(float(centres[c][0]), 4), "y": round(float(centres[c][1]), 4)} for c in range(12)]
    return {"callout": "bench", "status": "ready", "count": n, "pending": 0, "clusters": clusters, "points": points}


def _answer_with(body: str) -> Any:
    def answer(route: Any) -> None:  # Playwright hands the request too when the handler takes two arguments
        route.fulfill(status=200, body=body, content_type="application/json")
    return answer


def page_times(sizes: list[int], runs: int) -> list[dict[str, object]]:
    """Per size, the median of `runs` page loads: navigation to first draw, the JSON's arrival to first draw, a
    hover redraw, and the hidden table's fill after it."""
    import os
    import shutil
    import socket
    import statistics
    import urllib.request

    from playwright.sync_api import sync_playwright

    triage = [sys.executable, "-m", "triage.cli"]
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
        env.update(TRIAGE_WHISPER_MODEL="fake", TRIAGE_TEXT_MODEL="fake", TRIAGE_CLIP_MODEL="fake",
                   TRIAGE_DATA_DIR=f"{tmp}/data", TRIAGE_MODELS_DIR=f"{tmp}/models", HF_HUB_OFFLINE="1")
        subprocess.run([*triage, "callouts", "create", "bench", "--title", "Bench"], env=env, check=True,
                       capture_output=True)
        token = subprocess.run([*triage, "tokens", "create", "--role", "curator", "--name", "bench"], env=env,
                               check=True, capture_output=True, text=True).stdout.strip()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([*triage, "serve", "--port", str(port), "--workers", "0"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    with urllib.request.urlopen(f"{url}/api/ready", timeout=2):
                        break
                except OSError:
                    time.sleep(0.3)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                            args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(f"{url}/login")
                page.fill("input[name=token]", token)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                for n in sizes:
                    body = json.dumps(synthetic_map(n))
                    page.unroute("**/api/callouts/bench/map")
                    page.route("**/api/callouts/bench/map", _answer_with(body))
                    found = []
                    for _ in range(runs):
                        page.goto(f"{url}/callouts/bench/map")
                        page.wait_for_selector("#map-canvas[data-drawn]", timeout=120_000)
                        page.wait_for_function("() => triageMap.tabled > 0 && triageMap.painted > 0",
                                               timeout=120_000)
                        found.append(page.evaluate("""() => ({first_draw_ms: triageMap.drawn,
                            json_to_draw_ms: triageMap.drawn - triageMap.fetched,
                            next_frame_ms: triageMap.painted,
                            hover_redraw_ms: triageMap.hoverTime(200),
                            table_ms: triageMap.tabled - triageMap.drawn})"""))
                    shots = Path(__file__).resolve().parents[1] / "build" / "screenshots"
                    shots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(shots / f"map-bench-{n}.png"))  # what was timed, to look at
                    rows.append({"n": n, "json_kb": round(len(body) / 1024), "runs": runs,
                                 **{k: round(statistics.median(f[k] for f in found), 1) for k in found[0]}})
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    return rows


def api_times(n: int) -> dict[str, object]:
    """Time the map route around its background layout on a synthetic call-out of `n` texts."""
    from bench_api import populate
    from fastapi.testclient import TestClient

    from triage.api.app import create_app
    from triage.config import Settings
    from triage.service import map_layout

    def get(client: TestClient, token: str) -> tuple[float, dict[str, Any]]:
        t0 = time.perf_counter()
        reply = client.get("/api/callouts/bench/map", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 200, reply.text
        return time.perf_counter() - t0, reply.json()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", models_dir=Path(tmp) / "models", warm_on_start=False,
                            whisper_model="fake", text_model="fake", clip_model="fake")  # bench_api's fake models
        t0 = time.perf_counter()
        token = populate(settings, n)
        made = time.perf_counter() - t0
        app = create_app(settings, workers=0)  # the job is run below, by hand, so its time is its own
        with TestClient(app) as client:
            state = app.state.triage
            first_s, first = get(client, token)
            t0 = time.perf_counter()
            job = map_layout.refresh(state.store, state.models(), "bench")
            job_s = time.perf_counter() - t0
            ready_cold_s, ready = get(client, token)
            ready_s, _ = get(client, token)
            kept = map_layout.load(state.store, "bench")
            assert kept is not None
            map_layout.save(state.store, "bench", map_layout.KeptLayout("stale", kept.layout, time.time()))
            updating_s, updating = get(client, token)
    return {"n": n, "populate_s": round(made, 1), "computing_s": round(first_s, 2), "computing": first["status"],
            "job_s": round(float(job["seconds"]), 1), "job_wall_s": round(job_s, 1),
            "ready_first_s": round(ready_cold_s, 2), "ready": ready["status"], "ready_s": round(ready_s, 2),
            "updating_s": round(updating_s, 2), "updating": updating["status"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--page", action="store_true", help="time the map page in chromium instead")
    parser.add_argument("--runs", type=int, default=3, help="page loads per size (--page)")
    parser.add_argument("--api", action="store_true", help="time the map route around its background job instead")
    args = parser.parse_args()
    if args.api:
        for n in args.sizes:
            print(json.dumps(api_times(n)), flush=True)
        return
    if args.page:
        for row in page_times(args.sizes, args.runs):
            print(json.dumps(row), flush=True)
        return
    if args.child:
        print(json.dumps(one(args.child, args.dim)))
        return
    for n in args.sizes:
        done = subprocess.run([sys.executable, __file__, "--child", str(n), "--dim", str(args.dim)],
                              capture_output=True, text=True, check=True)
        print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
