"""Analyses on a Ray cluster, for batches that outgrow one machine.

Each worker is a Ray actor that loads the models once and analyses stored files sent to it as bytes, so
workers need neither the data directory nor the database: the driver (the `triage ingest` process) keeps
the only database connection and writes every result, exactly as a local run does. The same pipeline code
runs in both places; only where `analyse` executes changes.

Install with `pip install 'triage[ray]'`. Without an address, a private Ray instance is started on this
machine for the batch and stopped after it; with one (`ray://host:10001` or `auto`), the batch joins that
cluster (Ray also reads RAY_ADDRESS), whose nodes need triage and its bundled models installed.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage import runtime
from triage.config import Settings
from triage.errors import ConfigError, ProcessingFailed
from triage.ingest.engine import Outcome, analyse_safely

log = logging.getLogger(__name__)

QUEUED_PER_WORKER = 2  # one running, one waiting, so no worker idles while the driver stores the next file


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("the Ray engine needs Ray: pip install 'triage[ray]' (or use --engine local)") from None
    return ray


class _AnalysisWorker:
    """Runs in a Ray worker process: the configured models, loaded on the first file, and a scratch folder."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self._settings = Settings(**settings)  # explicit values win over the worker's environment
        self._analyse = runtime.analyser(self._settings, lambda: runtime.encoders(self._settings))
        self._scratch = Path(tempfile.mkdtemp(prefix="triage-ray-"))

    def analyse(self, sha256: str, data: bytes) -> Outcome:
        path = self._scratch / sha256  # stored originals carry no extension either; content decides the type
        path.write_bytes(data)
        try:
            return analyse_safely(sha256, path, self._analyse)
        finally:
            path.unlink(missing_ok=True)


class RayEngine:
    """An AnalysisEngine whose analyses run on Ray actors, `threads` CPU cores each."""

    def __init__(self, settings: Settings, *, address: str | None = None, workers: int | None = None) -> None:
        ray = _ray()
        self._ray = ray
        self._started_here = not ray.is_initialized()
        self.workers: list[Any] = []
        self.capacity = 0
        self._pending: dict[Any, tuple[str, int]] = {}  # object ref -> (sha256, worker index)
        self._load: list[int] = []
        if self._started_here:
            # Ray's own logs stay in its session folder; the driver prints triage's progress only.
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING, configure_logging=False)
        try:
            self._start_workers(settings, workers)
        except BaseException:
            self.close()
            raise

    def _start_workers(self, settings: Settings, workers: int | None) -> None:
        ray, threads = self._ray, settings.threads
        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = workers or max(1, cpus // threads)
        if count * threads > cpus:
            raise ConfigError(f"{count} workers x {threads} threads need {count * threads} CPUs; "
                              f"the Ray cluster has {cpus} (lower --workers or TRIAGE_THREADS)")
        # A dead worker is restarted, but the file it held is not retried: it may be what killed it.
        actor = ray.remote(num_cpus=threads, max_restarts=3, max_task_retries=0)(_AnalysisWorker)
        payload = settings.model_dump(mode="json")
        self.workers = [actor.remote(payload) for _ in range(count)]
        self.capacity = count * QUEUED_PER_WORKER
        self._load = [0] * count

    def submit(self, sha256: str, path: Path) -> None:
        index = self._load.index(min(self._load))
        ref = self.workers[index].analyse.remote(sha256, self._ray.put(path.read_bytes()))
        self._pending[ref] = (sha256, index)
        self._load[index] += 1

    def in_flight(self) -> int:
        return len(self._pending)

    def _collect(self, ref: Any) -> Outcome:
        sha256, index = self._pending.pop(ref)
        self._load[index] -= 1
        try:
            outcome: Outcome = self._ray.get(ref)
            return outcome
        except self._ray.exceptions.RayError as exc:
            # The worker died (a crash in a decoder, out of memory, a lost node): Ray restarts it, and this
            # file is recorded as failed so a re-run tries it again.
            log.error("Ray worker lost while analysing %s: %s", sha256, exc)
            return Outcome(sha256, error=ProcessingFailed(f"the analysis worker died ({type(exc).__name__})"))

    def ready(self) -> Iterator[Outcome]:
        while self._pending:
            done, _ = self._ray.wait(list(self._pending), num_returns=1, timeout=0)
            if not done:
                return
            yield self._collect(done[0])

    def next_done(self) -> Outcome:
        done, _ = self._ray.wait(list(self._pending), num_returns=1)
        return self._collect(done[0])

    def close(self) -> None:
        for worker in self.workers:
            self._ray.kill(worker)
        self._pending.clear()
        if self._started_here:
            self._ray.shutdown()

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
