"""Server upload throughput: uploads analysed by the job threads here, or by Ray workers they share.

The first N entries of a corpus manifest are uploaded one after another through the HTTP API of an in-process
curator service (FastAPI test client, real job threads, real bundled models); the clock runs from the first
upload until every submission has settled (ready or rejected). Each configuration starts from a fresh data dir,
with its models loaded before the clock starts; the Ray rows include starting a private Ray instance and
loading the models in each worker, which happens with the first upload.

    python3 ../shared/eval/build_corpus.py ../shared/eval/dev_config.json /tmp/dev   # any corpus will do
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_server_uploads.py /tmp/dev --limit 60
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient

from triage import runtime
from triage.api.app import create_app
from triage.api.tokens import create_token
from triage.config import Settings
from triage.store.callouts import upsert_callout

CONFIGS = [  # (label, engine, job threads, torch threads per analysis)
    ("local, 1 job thread x 2 threads (the default)", "local", 1, 2),
    ("local, 2 job threads x 1 thread, shared models", "local", 2, 1),
    ("ray, 2 job threads, 2 workers x 1 thread", "ray", 2, 1),
]
SETTLED = {"ready", "rejected", "failed"}


def run(engine: str, job_threads: int, threads: int, files: list[Path]) -> tuple[float, Counter[str]]:
    """(wall seconds from the first upload until all settled, statuses) for one configuration."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), threads=threads).model_copy(update={"engine": engine})
        app = create_app(settings, workers=job_threads)
        store = app.state.triage.store
        with store.db.session() as session:
            upsert_callout(session, "bench", title="Bench", brief="Anything.")
            _, token = create_token(session, "bench", "curator")
        auth = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as client:
            # Load this configuration's models before the clock starts: models are cached per process, so
            # otherwise the first configuration alone would pay for loading them (about 6 s here).
            if engine == "local":
                runtime.encoders(settings)
            started = time.perf_counter()
            ids = []
            for path in files:
                with open(path, "rb") as f:
                    sent = client.post("/api/callouts/bench/uploads", headers=auth, files={"file": (path.name, f)})
                if sent.status_code in (200, 202):
                    ids.append(sent.json()["submission"]["submission_id"])
            statuses: Counter[str] = Counter()
            for sid in ids:
                while (status := client.get(f"/api/submissions/{sid}", headers=auth).json()["status"]) not in SETTLED:
                    time.sleep(0.1)
                statuses[status] += 1
            wall = time.perf_counter() - started
    statuses["refused at upload"] = len(files) - len(ids)
    return wall, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path, help="a corpus folder with submissions.jsonl (../shared/eval format)")
    parser.add_argument("--limit", type=int, default=60)
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.corpus / "submissions.jsonl").read_text().splitlines() if line.strip()]
    files = [args.corpus / r["path"] for r in rows[: args.limit]]
    kinds = Counter(p.suffix for p in files)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(files)} files {dict(kinds)}\n")
    print("| configuration | wall s | files/s | statuses |")
    print("| --- | --- | --- | --- |")
    for label, engine, job_threads, threads in CONFIGS:
        wall, statuses = run(engine, job_threads, threads, files)
        print(f"| {label} | {wall:.1f} | {len(files) / wall:.2f} | {dict(+statuses)} |", flush=True)


if __name__ == "__main__":
    main()
