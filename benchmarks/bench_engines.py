"""Batch ingest wall time: the local engine against the Ray engine, same files, same machine, same run.

Each configuration ingests the first N entries of a corpus manifest into a fresh data dir with the real bundled
models (Whisper tiny.en, all-MiniLM-L6-v2). The Ray rows start a private Ray instance on this machine and
include its start-up and the model loading in every worker: what a user of `triage ingest --engine ray` waits.

    python3 ../shared/eval/build_corpus.py ../shared/eval/dev_config.json /tmp/dev   # any corpus will do
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_engines.py /tmp/dev --limit 80
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

from triage import runtime
from triage.config import Settings
from triage.ingest.runner import ingest
from triage.ingest.sources import Source, from_manifest
from triage.store.callouts import upsert_callout

CONFIGS = [  # (label, engine, workers, threads per worker)
    ("local, 2 threads", "local", None, 2),
    ("ray, 1 worker x 2 threads", "ray", 1, 2),
    ("ray, 2 workers x 1 thread", "ray", 2, 1),
]


def run(engine: str, workers: int | None, threads: int, sources: list[Source]) -> tuple[float, float, Counter[str]]:
    """(wall seconds, of which starting the engine, statuses) for one configuration."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), threads=threads, ray_workers=workers).model_copy(
            update={"engine": engine})
        store = runtime.open_store(settings)
        with store.db.session() as session:
            upsert_callout(session, "bench", title="Bench", brief="Anything.")
        started = time.perf_counter()
        analysis = runtime.analysis_engine(settings)
        up = time.perf_counter() - started
        try:
            results = ingest(store, "bench", sources, analysis, max_file_bytes=settings.max_file_bytes)
        finally:
            analysis.close()
        wall = time.perf_counter() - started
    return wall, up, Counter(r.status for r in results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path, help="a corpus folder with submissions.jsonl (../shared/eval format)")
    parser.add_argument("--limit", type=int, default=80)
    args = parser.parse_args()
    sources = list(from_manifest(args.corpus / "submissions.jsonl"))[: args.limit]
    kinds = Counter(Path(s.display).suffix for s in sources)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(sources)} files {dict(kinds)}\n")
    print("| engine | wall s | of which engine start s | files/s | statuses |")
    print("| --- | --- | --- | --- | --- |")
    for label, engine, workers, threads in CONFIGS:
        wall, start, statuses = run(engine, workers, threads, sources)
        print(f"| {label} | {wall:.1f} | {start:.1f} | {len(sources) / wall:.2f} | {dict(statuses)} |", flush=True)


if __name__ == "__main__":
    main()
