"""Analyses on a Ray cluster, for batches that outgrow one machine.

Each worker is a Ray actor that loads the models once and analyses stored files sent to it as bytes, so
workers need neither the data directory nor the database: the driver (the `triage ingest` process, or the
server) keeps the only database connection and writes every result, exactly as a local run does. The same
pipeline code runs in both places; only where `analyse` executes changes.

A batch job owns its `RayWorkerPool` through one `RayEngine`. The server starts one pool and gives each job
its own `RayEngine` over it, so several job threads wait on their own files while sharing the workers.
`spread` runs a batch's pure computation in shares as plain Ray tasks (the lineage rebuild's matching).

Install with `pip install 'triage[ray]'`. Without an address (argument or RAY_ADDRESS), a private Ray instance
is started on this machine for the batch and stopped after it; with one (`host:6379`, `ray://host:10001` or
`auto`), the batch joins that cluster, whose nodes need triage and its bundled models installed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pickle
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from triage.config import Settings
from triage.encoders.text import part_names
from triage.errors import ConfigError, ProcessingFailed
from triage.ingest.engine import Analyser, Outcome, Request, analyse_safely

log = logging.getLogger(__name__)

# How a worker makes its analysis from its settings (runtime.worker_analyser, the composition root's): passed in, so
# this module never imports the runtime that chooses it. A module-level function, so Ray sends it by name.
AnalyserFactory = Callable[[Settings], Analyser]

QUEUED_PER_WORKER = 2  # one running, one waiting, so no worker idles while the driver stores the next file
RESTART_WAIT_S = 120.0  # how long a dead worker may take to come back before its files go to the others


RAY_MISSING = "the Ray engine needs Ray: pip install 'triage[ray]' (or use --engine local)"


def require_ray() -> None:
    """Fail now, with the install hint, where Ray is not installed (without paying for importing it)."""
    if importlib.util.find_spec("ray") is None:
        raise ConfigError(RAY_MISSING)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(RAY_MISSING) from None
    return ray


def _absolute_paths(settings: Settings) -> Settings:
    """Settings whose local folders and files are named absolutely: workers need not share our working dir."""
    update: dict[str, Any] = {"models_dir": settings.models_dir.resolve()}
    if settings.clip_checkpoint is not None:
        update["clip_checkpoint"] = settings.clip_checkpoint.resolve()
    # A model name, or a local folder ("a+b" for joined text models; "" for no second Whisper).
    for name in ("whisper_model", "whisper_other_languages", "text_model"):
        parts = part_names(getattr(settings, name)) if name == "text_model" else [getattr(settings, name)]
        update[name] = "+".join(str(Path(p).resolve()) if p and Path(p).exists() else p for p in parts)
    return settings.model_copy(update=update)


def _picklable(error: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(error))
        return True
    except Exception:
        return False


class _AnalysisWorker:
    """Runs in a Ray worker process: the configured models, loaded on the first file, and a scratch folder."""

    def __init__(self, settings: dict[str, Any], make_analyser: AnalyserFactory) -> None:
        self._settings = Settings(**settings)  # explicit values win over the worker's environment
        self._analyse = make_analyser(self._settings)
        self._scratch = Path(tempfile.mkdtemp(prefix="triage-ray-"))

    def ready(self) -> bool:
        return True

    def analyse(self, request: Request, data: bytes) -> Outcome:
        path = self._scratch / request.sha256  # stored originals carry no extension either; content decides the type
        path.write_bytes(data)
        try:
            outcome = analyse_safely(request, self._analyse, path)
        finally:
            path.unlink(missing_ok=True)
        if outcome.error is not None and not _picklable(outcome.error):
            # A library's exception that cannot travel back would look like a dead worker; keep its words.
            outcome.error = ProcessingFailed(f"{type(outcome.error).__name__}: {outcome.error}")
        return outcome


@contextmanager
def _own_signal_handlers() -> Iterator[None]:
    """Keep the process's SIGTERM and SIGINT handlers across ray.init, which replaces them with one that exits
    at once: a server must still shut down gracefully (finish its requests, then stop Ray with its workers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            if handler is not None:
                signal.signal(sig, handler)


def _join(ray: Any, address: str | None) -> bool:
    """Start a private Ray instance, or join `address`'s cluster, unless this process has joined one already.
    Whether it started here (and is to be shut down by whoever started it)."""
    if ray.is_initialized():
        return False
    # Ray's own logs stay in its session folder; the driver prints triage's progress only.
    # "local" forces a private instance: left to itself, Ray would join whatever cluster `ray start`
    # last recorded on this machine, even one long gone (and then wait for it).
    with _own_signal_handlers():
        ray.init(address=address or os.environ.get("RAY_ADDRESS") or "local", include_dashboard=False,
                 log_to_driver=False, logging_level=logging.WARNING, configure_logging=False)
    return True


class RayWorkerPool:
    """Ray actors that analyse stored files, `threads` CPU cores each. Thread-safe: the server's job threads
    share one pool, each job seeing it through its own RayEngine."""

    def __init__(self, settings: Settings, make_analyser: AnalyserFactory, *, address: str | None = None,
                 workers: int | None = None, max_attempts: int = 2, restart_wait_s: float = RESTART_WAIT_S) -> None:
        ray = _ray()
        self.max_attempts, self.restart_wait_s = max_attempts, restart_wait_s
        self._ray = ray
        self._started_here = _join(ray, address)
        self._lock = threading.Lock()
        self.workers: list[Any] = []
        self.capacity = 0
        self._sent: dict[Any, tuple[Request, int, int]] = {}  # object ref -> (request, worker index, attempt)
        self._load: list[int] = []
        self._lost: set[int] = set()  # workers that did not come back after dying
        try:
            self._start_workers(settings, make_analyser, workers)
        except BaseException:
            self.close()
            raise

    def _start_workers(self, settings: Settings, make_analyser: AnalyserFactory, workers: int | None) -> None:
        ray, threads = self._ray, settings.threads
        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = workers or max(1, cpus // threads)
        if count * threads > cpus:
            raise ConfigError(f"{count} workers x {threads} threads need {count * threads} CPUs; "
                              f"the Ray cluster has {cpus} (lower --workers or TRIAGE_THREADS)")
        # A dead worker is always restarted; Ray itself retries nothing, since the file may be what killed it
        # (settle decides).
        actor = ray.remote(num_cpus=threads, max_restarts=-1, max_task_retries=0)(_AnalysisWorker)
        payload = _absolute_paths(settings).model_dump(mode="json")
        self.workers = [actor.remote(payload, make_analyser) for _ in range(count)]
        self.capacity = count * QUEUED_PER_WORKER
        self._load = [0] * count

    def _alive(self) -> list[int]:
        return [i for i in range(len(self.workers)) if i not in self._lost]

    def send(self, request: Request, *, attempt: int = 1, prefer: int | None = None) -> Any:
        """Start analysing a stored file on the least loaded live worker (or `prefer`); returns its object ref."""
        data = self._ray.put(request.path.read_bytes())
        with self._lock:
            alive = self._alive()
            if not alive:
                raise ProcessingFailed("every Ray worker is lost and none came back; check the cluster "
                                       "(`ray status`) and run the batch again: it resumes where it stopped")
            index = prefer if prefer in alive else min(alive, key=lambda i: self._load[i])
            ref = self.workers[index].analyse.remote(request, data)
            self._sent[ref] = (request, index, attempt)
            self._load[index] += 1
        return ref

    def settle(self, ref: Any) -> Outcome | Any:
        """The outcome behind a finished `ref`, or the ref of its next try when its worker died meanwhile."""
        with self._lock:
            request, index, attempt = self._sent.pop(ref)
            self._load[index] -= 1
        try:
            outcome: Outcome = self._ray.get(ref)
            return outcome
        except self._ray.exceptions.RayError as exc:
            # The worker died (a crashing decoder, the out-of-memory killer, a lost node) while this file was
            # on it or queued for it. Ray restarts the worker; the file gets one more try, since the crash may
            # have been another file's doing. A file that is lost twice is recorded as failed.
            # A worker that does not come back in time gets no more files; its files go to the others.
            log.warning("Ray worker lost while analysing %s (try %d): %s", request.sha256, attempt, exc)
            if index not in self._lost and not self._await_worker(index):
                with self._lock:
                    self._lost.add(index)
            if attempt < self.max_attempts and self._alive():
                return self.send(request, attempt=attempt + 1, prefer=index)
            return Outcome(request.sha256, error=ProcessingFailed(
                f"the analysis worker died {attempt} time(s) on this file ({type(exc).__name__})"))

    def abandon(self, refs: Iterable[Any]) -> None:
        """Stop tracking analyses nobody will collect (their job was cancelled)."""
        with self._lock:
            for ref in refs:
                if ref in self._sent:
                    self._load[self._sent.pop(ref)[1]] -= 1

    def first_done(self, refs: Iterable[Any], timeout: float | None = None) -> Any | None:
        """One of `refs` that has finished, waiting up to `timeout` seconds (None: as long as it takes)."""
        done, _ = self._ray.wait(list(refs), num_returns=1, timeout=timeout)
        return done[0] if done else None

    def _await_worker(self, index: int) -> bool:
        """Wait until a restarted worker answers again (so files sent next are not lost to the restart)."""
        deadline = time.monotonic() + self.restart_wait_s
        while time.monotonic() < deadline:
            try:
                self._ray.get(self.workers[index].ready.remote(), timeout=self.restart_wait_s)
                return True
            except self._ray.exceptions.RayError:
                time.sleep(0.5)
        return False

    def close(self) -> None:
        """Stop the workers (and the private Ray instance, if this pool started it)."""
        for worker in self.workers:
            self._ray.kill(worker)
        self.workers = []
        with self._lock:
            self._sent.clear()
        if self._started_here:
            self._ray.shutdown()


class RayEngine:
    """An AnalysisEngine whose analyses run on a RayWorkerPool: its own (a batch job; closed with the engine)
    or a shared one (the server's jobs; left running)."""

    def __init__(self, settings: Settings | None = None, make_analyser: AnalyserFactory | None = None, *,
                 pool: RayWorkerPool | None = None, **pool_options: Any) -> None:
        self._owns_pool = pool is None
        if pool is None:
            if settings is None or make_analyser is None:
                raise ConfigError("RayEngine needs settings and an analyser factory to start its workers, or a "
                                  "running pool")
            pool = RayWorkerPool(settings, make_analyser, **pool_options)
        self.pool = pool
        self.capacity = pool.capacity
        self._pending: set[Any] = set()  # this engine's refs; other engines may share the pool

    @property
    def workers(self) -> list[Any]:
        return self.pool.workers

    def submit(self, request: Request) -> None:
        self._pending.add(self.pool.send(request))

    def in_flight(self) -> int:
        return len(self._pending)

    def _settle(self, ref: Any) -> Outcome | None:
        self._pending.discard(ref)
        result = self.pool.settle(ref)
        if isinstance(result, Outcome):
            return result
        self._pending.add(result)  # sent again after its worker died
        return None

    def ready(self) -> Iterator[Outcome]:
        while self._pending:
            ref = self.pool.first_done(self._pending, timeout=0)
            if ref is None:
                return
            outcome = self._settle(ref)
            if outcome is not None:
                yield outcome

    def next_done(self) -> Outcome:
        while True:
            outcome = self._settle(self.pool.first_done(self._pending))
            if outcome is not None:
                return outcome

    def close(self) -> None:
        if self._owns_pool:
            self.pool.close()
        else:  # a cancelled job: its files may still run, but the shared pool stops counting them
            self.pool.abandon(self._pending)
        self._pending.clear()

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spread(work: Callable[[Any, int, int], Any], shared: Any, *, address: str | None = None,
           workers: int | None = None, threads: int = 1) -> list[Any]:
    """Run `work(shared, share, shares)` for every share as a Ray task, `threads` CPUs each, and return the
    results in share order: a batch's pure computation (the lineage rebuild's matching) spread over the cluster.

    `shared` goes through the object store once, and the caller writes the results, so tasks need neither the
    data directory nor the database. Shares: `workers`, else the cluster's CPUs / threads. Ray starts or is
    joined as for the workers (`RayWorkerPool`), and a private instance is stopped after.
    """
    ray = _ray()
    started_here = _join(ray, address)
    try:
        shares = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)
        task = ray.remote(num_cpus=threads)(work)
        everything = ray.put(shared)
        try:
            return list(ray.get([task.remote(everything, share, shares) for share in range(shares)]))
        except ray.exceptions.RayError as exc:
            raise ProcessingFailed(f"a share of the batch failed on Ray: {type(exc).__name__}: {exc}") from exc
    finally:
        if started_here:
            ray.shutdown()
