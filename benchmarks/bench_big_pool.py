"""Big pools (issue 21): a new search over a huge call-out and a cold shortlist of a big one, with memory, each
beside its floor in the same run.

    .venv/bin/python benchmarks/bench_big_pool.py search --n 1000000 [--data-dir DIR] [--queries 20]
    .venv/bin/python benchmarks/bench_big_pool.py shortlist --n 100000 [--data-dir DIR]

Synthetic pools as bench_api.py makes them (the fake text encoder's vectors of clustered made-up words, one
call-out "bench"); `--data-dir` reuses a pool made before (populating 1M takes minutes).

`search`: the service's search of the call-out, one caller, in-process, a new query each time, with the server's
index options (a pool above 20,000 pieces is narrowed by the FAISS index first, then scored). The floor: a FAISS
top-10 of the same index for the same query rows.
`shortlist`: the first shortlist of the call-out in a fresh process (pool loaded, grouped, clustered, scored,
ranked; clusters kept on disk by an earlier run are read), the first after an upload (the pool read as a delta, and
loaded whole), then a real server on the data: the time until /api/ready (it warms the call-out: the same cold work),
its RSS, and a wave of new searches beside /api/health.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_api import FAKE, hammer, pct, peak_rss_mb, populate, rss_mb, wait_ready  # noqa: E402

from triage import runtime  # noqa: E402
from triage.api.tokens import create_token  # noqa: E402
from triage.config import Settings  # noqa: E402
from triage.store.schema import Submission  # noqa: E402


def settings_for(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                    models_dir=data_dir / "models")


def prepared(args: argparse.Namespace) -> tuple[Settings, str]:
    """A pool of `--n` pieces (made now, or found in `--data-dir`) and a curator token."""
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-big-"))
    settings = settings_for(root)
    if not (root / "data" / "triage.db").exists():
        t = time.perf_counter()
        populate(settings, args.n)
        print(f"populated {args.n:,} submissions in {time.perf_counter() - t:.0f} s ({root})", flush=True)
    store = runtime.open_store(settings)
    with store.db.session() as session:
        _, token = create_token(session, "bench-big", "curator")
    store.close()
    return settings, token


def query(i: int) -> str:
    return f"t{i % 40}w{i % 30} t{(i + 7) % 40}w{(i * 3) % 30} f{i}"  # each one new


def bench_search(args: argparse.Namespace) -> None:
    from triage.scoring.query import callout_texts
    from triage.service.cache import PoolCache, View
    from triage.service.index import sync
    from triage.service.search import search

    settings, _ = prepared(args)
    store = runtime.open_store(settings)
    models = runtime.query_encoders(settings)
    options = runtime.index_options(settings)
    cache = PoolCache()
    t = time.perf_counter()
    search(store, models, query(10_000), callout_id="bench", cache=cache, **options)
    print(f"first search (the index synced with the database): {time.perf_counter() - t:.1f} s", flush=True)
    took, signature = [], []
    for i in range(args.queries):
        t = time.perf_counter()
        found = search(store, models, query(i), callout_id="bench", cache=cache, **options)
        took.append(time.perf_counter() - t)
        assert found["items"], found
        t = time.perf_counter()
        View(store, models, "bench", cache)  # what every request pays first: the pool's signature
        signature.append(time.perf_counter() - t)
    print(f"new search, {args.n:,}-piece call-out, one caller: p50 {pct(took, 50):.0f} ms, p95 {pct(took, 95):.0f} ms "
          f"(n={len(took)}); of which the pool's signature (every request reads it, cached or not): "
          f"p50 {pct(signature, 50):.0f} ms", flush=True)
    print(f"process RSS {rss_mb(os.getpid()):.0f} MB, peak {peak_rss_mb(os.getpid()):.0f} MB", flush=True)
    del cache
    index = sync(store, options["index_dir"], "text", exact_max=options["exact_max"], threads=settings.threads)[0]
    assert index is not None
    floor = []
    for i in range(args.queries):
        rows = models.text.encode_queries(callout_texts("", query(i)) or [query(i)])
        t = time.perf_counter()
        index.search(rows, 10)
        floor.append(time.perf_counter() - t)
    print(f"floor, FAISS top-10 of the same index ({index.kind}, {len(index):,} vectors) for the same query rows: "
          f"p50 {pct(floor, 50):.1f} ms, p95 {pct(floor, 95):.1f} ms")


def in_process(data_dir: str, n: int) -> None:
    """The cold shortlist in a process of its own (its peak memory is the shortlist's), then the first shortlist
    after an upload: with the cache that held the pool (read as a delta) and with a fresh one (loaded whole)."""
    from triage.service.cache import PoolCache
    from triage.service.shortlist import shortlist

    settings = settings_for(Path(data_dir))
    store = runtime.open_store(settings)
    models = runtime.query_encoders(settings)
    cache = PoolCache()
    t = time.perf_counter()
    shortlist(store, models, "bench", limit=20, cache=cache)
    print(f"cold shortlist, one caller, in-process: {time.perf_counter() - t:.1f} s, "
          f"peak RSS {peak_rss_mb(os.getpid()):.0f} MB", flush=True)
    with store.db.session() as session:
        have = session.query(Submission).count()
    for label, fresh in (("the same cache (the pool read as a delta)", False), ("a fresh cache (loaded whole)", True)):
        populate(settings, 1, first=have)
        have += 1
        t = time.perf_counter()
        shortlist(store, models, "bench", limit=20, cache=PoolCache() if fresh else cache)
        print(f"shortlist after an upload, {label}: {time.perf_counter() - t:.1f} s", flush=True)


def bench_shortlist(args: argparse.Namespace) -> None:
    settings, token = prepared(args)
    subprocess.run([sys.executable, "-c", f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'benchmarks')!r}];"
                    f"from bench_big_pool import in_process; in_process({str(settings.data_dir.parent)!r}, {args.n})"],
                   check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    number = port.getsockname()[1]
    port.close()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}, **FAKE,
           "TRIAGE_DATA_DIR": str(settings.data_dir), "TRIAGE_MODELS_DIR": str(settings.models_dir),
           "HF_HUB_OFFLINE": "1"}
    log_path = settings.data_dir.parent / "server.log"
    with open(log_path, "wb") as log:
        t = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "triage.cli", "serve", "--port", str(number),
                                   "--workers", "1"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{number}"
        try:
            ready = wait_ready(url, deadline=3600)
            print(f"server ready after {time.perf_counter() - t:.1f} s (warm-up report {ready}); "
                  f"RSS {rss_mb(server.pid):.0f} MB, peak {peak_rss_mb(server.pid):.0f} MB", flush=True)
            for name, paths in (("health (HTTP floor)", ["/api/health"]),
                                ("shortlist (warmed)", ["/api/callouts/bench/shortlist?limit=20"]),
                                ("search, new queries", [f"/api/search?q={query(i).replace(' ', '+')}&callout=bench"
                                                         for i in range(args.clients)])):
                lat, wall, errors = hammer(url, token, paths, args.clients, 1)
                print(f"{name:24} n={len(lat):3} p50={pct(lat, 50):7.0f} ms p95={pct(lat, 95):7.0f} ms "
                      f"{len(lat) / wall:6.1f} req/s non-200={errors}", flush=True)
            print(f"server RSS {rss_mb(server.pid):.0f} MB, peak {peak_rss_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["search", "shortlist"])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, help="a folder bench_big_pool made before (kept between runs)")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; max RSS so far "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)
    (bench_search if args.what == "search" else bench_shortlist)(args)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
