"""The pool signature every shortlist and search request reads first (issue 21), timed on a big pool.

    .venv/bin/python benchmarks/bench_signature.py DATA_DIR [--runs 20] [--migrate] [--cache-module FILE]

DATA_DIR: a folder bench_big_pool.py made (`--data-dir`; its pool is the call-out "bench"). The database is
opened as it is, without migrating, unless `--migrate` (which brings it to the newest revision first and says how
long that took: new indexes are built then). `--cache-module FILE`: time the `pool_signature` of another copy of
triage/service/cache.py (the code before: `git show REV:triage/service/cache.py > FILE`) on the same database.

Prints p50 and p95 of `pool_signature` for the call-out and for the whole archive, each statement's median and
SQLite's plan for it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from triage import runtime  # noqa: E402
from triage.config import Settings  # noqa: E402
from triage.store.db import make_engine, migrate  # noqa: E402


def signature_function(path: Path | None) -> Any:
    if path is None:
        from triage.service.cache import pool_signature
        return pool_signature
    spec = importlib.util.spec_from_file_location("cache_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.pool_signature


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--migrate", action="store_true")
    parser.add_argument("--cache-module", type=Path)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"code: {args.cache_module or 'triage/service/cache.py'}", flush=True)
    engine = make_engine(f"sqlite:///{args.data_dir / 'data' / 'triage.db'}")
    if args.migrate:
        t = time.perf_counter()
        migrate(engine)
        print(f"migrated to the newest revision in {time.perf_counter() - t:.1f} s", flush=True)
    settings = Settings(data_dir=args.data_dir / "data", whisper_model="fake", text_model="fake", clip_model="fake",
                        models_dir=args.data_dir / "models")
    models = runtime.query_encoders(settings)
    pool_signature = signature_function(args.cache_module)
    statements: dict[str, list[float]] = defaultdict(list)
    parameters: dict[str, Any] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["t"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        statements[statement].append(time.perf_counter() - conn.info.pop("t"))
        parameters[statement] = params

    sessions = sessionmaker(engine)
    for callout in ("bench", None):
        with sessions() as session:
            sig, count = pool_signature(session, callout, models)  # the first read warms the page cache
        statements.clear()
        took = []
        for _ in range(args.runs):
            with sessions() as session:
                t = time.perf_counter()
                again = pool_signature(session, callout, models)
                took.append(time.perf_counter() - t)
            assert again == (sig, count), "the signature changed on a database nobody writes to"
        print(f"pool_signature({callout!r}): {count:,} pieces, p50 {np.percentile(took, 50) * 1000:.1f} ms, "
              f"p95 {np.percentile(took, 95) * 1000:.1f} ms (n={len(took)}), load {os.getloadavg()[0]:.2f}",
              flush=True)
        timed = list(statements.items())
        with engine.connect() as connection:
            for statement, times in timed:
                print(f"  {statistics.median(times) * 1000:8.2f} ms  {' '.join(statement.split())[:150]}")
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters[statement]):
                    print(f"{'':14}plan: {row[-1]}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
