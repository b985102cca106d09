"""Running jobs: one job in the foreground (`run_inline`), or a pool of worker threads in the server."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from triage import logs
from triage.config import Settings
from triage.encoders.base import Encoders
from triage.errors import Degraded, TriageError
from triage.jobs import queue
from triage.jobs.handlers import JobCancelled, JobContext, handler_for
from triage.jobs.uploads import settle_abandoned
from triage.metrics import JOB_SECONDS
from triage.store.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# Seconds between a foreground job's heartbeats; a server revives a job whose heartbeat is four of these old.
INLINE_HEARTBEAT = 15.0


def run_job(ctx: JobContext, job_id: int, *, on_progress: Progress | None = None,
            report_every: float = 0.5) -> None:
    """Run a job this worker has claimed, recording progress, the outcome and any error."""
    db = ctx.store.db
    with db.session() as session:
        job = queue.get(session, job_id)
        kind, params, callout_id, attempt = job.kind, dict(job.params or {}), job.callout_id, job.attempts
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        if on_progress:
            on_progress(done, total)
        moment = time.monotonic()
        # Writes are throttled; the cancel flag is read with each write, i.e. between items.
        if done >= total or moment - last >= report_every:
            last = moment
            if queue.progress(db, job_id, done, total, attempt) == queue.CANCELLED:
                raise JobCancelled()

    context = logs.job_id.set(job_id)  # every line logged while it runs names the job
    started, outcome = time.monotonic(), "failed"
    try:
        result = handler_for(kind)(ctx, params, callout_id, report)
        outcome = "done"
    except JobCancelled:
        outcome = "cancelled"
        log.info("job %s cancelled", job_id)
        return
    except TriageError as exc:
        queue.fail(db, job_id, str(exc), attempt)
        return
    except Exception as exc:  # a bug or an outage: keep the reason on the job so retry makes sense
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        queue.fail(db, job_id, f"internal error ({type(exc).__name__}): {exc}", attempt)
        return
    except BaseException as exc:  # Ctrl+C in `triage score` & co: nobody will finish it, so do not say "running"
        queue.fail(db, job_id, f"interrupted ({type(exc).__name__}) before it finished; run it again with: "
                               f"triage jobs retry {job_id}", attempt)
        raise
    finally:
        JOB_SECONDS.labels(kind, outcome).observe(time.monotonic() - started)
        logs.job_id.reset(context)
    queue.complete(db, job_id, result, attempt)
    if ctx.after_job is not None:
        try:
            ctx.after_job(kind, callout_id)
        except Exception:  # a hook must never turn a finished job into a failure
            log.error("after-job hook for job %s failed:\n%s", job_id, traceback.format_exc())


def run_inline(store: Store, job_id: int, *, settings: Settings, models: Encoders | None = None,
               progress: Progress | None = None) -> dict[str, Any]:
    """Claim one queued job and run it in the foreground (for CLI commands with a progress bar)."""
    queue.claim_one(store.db, job_id, queue.worker_name("inline"))
    ctx = JobContext(store, settings, models)
    # A step may run for minutes without an item to report (scoring a big pool): beat meanwhile, or a
    # server would take this live job for a dead one and run it again.
    stop = threading.Event()
    beat = threading.Thread(target=_beat_until, args=(store, job_id, stop), name="triage-inline-heartbeat",
                            daemon=True)
    beat.start()
    try:
        run_job(ctx, job_id, on_progress=progress)
    finally:
        stop.set()
        beat.join()
        ctx.close()
    with store.db.session() as session:
        return queue.job_dict(queue.get(session, job_id))


def _beat_until(store: Store, job_id: int, stop: threading.Event) -> None:
    while not stop.wait(INLINE_HEARTBEAT):
        try:
            queue.heartbeat(store.db, job_id)
        except Exception:
            log.exception("heartbeat for job %s failed", job_id)


class WorkerPool:
    """N threads that claim and run queued jobs, plus one that keeps their heartbeats fresh."""

    def __init__(self, ctx: JobContext, count: int, *, poll: float = 1.0, heartbeat: float = 15.0) -> None:
        self.ctx, self.count, self.poll, self.heartbeat_every = ctx, count, poll, heartbeat
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: set[int] = set()
        self._lock = threading.Lock()

    def start(self) -> list[int]:
        """Re-queue what dead workers left running, then start the threads. Returns the resumed job ids."""
        try:
            resumed = queue.requeue_stale(self.ctx.store.db, stale_after=self.heartbeat_every * 4)
        except Degraded as exc:  # a read-only database must not keep the server (and its reads) down
            log.warning("could not resume stopped jobs yet (%s); the heartbeat tries again", exc)
            resumed = []
        if resumed:
            log.warning("resuming jobs left running by a stopped server: %s", resumed)
        self._settle_abandoned()
        for i in range(self.count):
            thread = threading.Thread(target=self._loop, args=(f"w{i}",), name=f"triage-job-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.count:
            beat = threading.Thread(target=self._beat, name="triage-job-heartbeat", daemon=True)
            beat.start()
            self._threads.append(beat)
        return resumed

    def notify(self) -> None:
        """Wake an idle worker now (after an enqueue) instead of at its next poll."""
        self._wake.set()

    @property
    def busy(self) -> int:
        """How many jobs the threads are running now, their after-job hooks included."""
        with self._lock:
            return len(self._running)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, name: str) -> None:
        worker = queue.worker_name(name)
        db = self.ctx.store.db
        while not self._stop.is_set():
            try:
                job_id = queue.claim(db, worker)
            except Exception:  # the database may be briefly locked; try again at the next poll
                log.exception("claiming a job failed")
                job_id = None
            if job_id is None:
                self._wake.wait(self.poll)
                self._wake.clear()
                continue
            with self._lock:
                self._running.add(job_id)
            try:
                run_job(self.ctx, job_id)
            finally:
                with self._lock:
                    self._running.discard(job_id)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_every):
            with self._lock:
                running = list(self._running)
            for job_id in running:
                try:
                    queue.heartbeat(self.ctx.store.db, job_id)
                except Exception:
                    log.exception("heartbeat for job %s failed", job_id)
            # Not only at start-up: a `triage jobs run` or another server may die while this one runs.
            try:
                revived = queue.requeue_stale(self.ctx.store.db, stale_after=self.heartbeat_every * 4)
            except Exception:
                log.exception("looking for stale jobs failed")
                revived = []
            if revived:
                log.warning("resuming jobs whose worker stopped: %s", revived)
                self._wake.set()
            self._settle_abandoned()

    def _settle_abandoned(self) -> None:
        """Uploads whose analysis job failed without settling them (it could not write then) get its reason now."""
        try:
            settled = settle_abandoned(self.ctx.store, None)
        except Exception:
            log.exception("settling abandoned uploads failed")
            return
        if settled:
            log.warning("marked %d uploads failed whose analysis job had stopped: %s", len(settled),
                        [sha[:12] for sha in settled])
