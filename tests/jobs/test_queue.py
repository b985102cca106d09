"""The durable job queue: atomic claims, progress and ETA, failure and retry, cancel, resume after a crash;
on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from triage import runtime
from triage.config import Settings
from triage.errors import Conflict
from triage.jobs import handlers, queue
from triage.jobs.handlers import JobContext
from triage.jobs.worker import WorkerPool, run_inline
from triage.store.schema import Job
from triage.store.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Store:
    """The queue on each database triage supports (PostgreSQL: see tests/postgres.py)."""
    if request.param == "postgresql":
        settings.database_url = str(request.getfixturevalue("postgres_url"))
    return runtime.open_store(settings)


def counting(ctx: JobContext, params: dict[str, Any], callout_id: str | None, report: Any) -> dict[str, Any]:
    n = int(params.get("n", 3))
    for i in range(n):
        if params.get("fail_at") == i:
            raise RuntimeError("disk on fire")
        time.sleep(float(params.get("sleep", 0)))
        report(i + 1, n)
    return {"counted": n}


@pytest.fixture(autouse=True)
def fake_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(handlers.HANDLERS, "count", counting)


def test_concurrent_workers_never_take_the_same_job(store: Store) -> None:
    ids = [queue.enqueue(store.db, "count") for _ in range(40)]
    taken: list[int] = []
    lock = threading.Lock()

    def grab(name: str) -> None:
        while (job := queue.claim(store.db, queue.worker_name(name))) is not None:
            with lock:
                taken.append(job)

    threads = [threading.Thread(target=grab, args=(f"t{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == ids  # every job once, none twice


def test_run_inline_reports_progress_and_keeps_the_result(store: Store, settings: Settings) -> None:
    job_id = queue.enqueue(store.db, "count", params={"n": 4})
    seen: list[tuple[int, int]] = []
    done = run_inline(store, job_id, settings=settings, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert done["status"] == "done" and done["done"] == 4 and done["result"] == {"counted": 4}
    with pytest.raises(Conflict):
        run_inline(store, job_id, settings=settings)  # a finished job is not run twice


def test_failure_keeps_the_error_and_retry_requeues(store: Store, settings: Settings) -> None:
    job_id = queue.enqueue(store.db, "count", params={"fail_at": 1})
    failed = run_inline(store, job_id, settings=settings)
    assert failed["status"] == "failed" and "disk on fire" in failed["error"] and failed["attempts"] == 1
    again = queue.retry(store.db, job_id)
    assert again.status == "queued"
    with pytest.raises(Conflict):
        queue.retry(store.db, job_id)  # only failed/cancelled jobs


def test_eta_comes_from_the_pace_so_far(store: Store) -> None:
    job_id = queue.enqueue(store.db, "count")
    queue.claim_one(store.db, job_id, "w")
    queue.progress(store.db, job_id, 25, 100)
    with store.db.session() as session:
        job = queue.get(session, job_id)
        started = job.started_at
        assert started is not None
        assert queue.eta_seconds(job, at=started + timedelta(seconds=10)) == pytest.approx(30)
        assert queue.job_dict(job)["progress"] == 0.25


def test_cancel_stops_a_running_job_between_items(store: Store, settings: Settings) -> None:
    pool = WorkerPool(JobContext(store, settings), 1, poll=0.05)
    pool.start()
    try:
        job_id = queue.enqueue(store.db, "count", params={"n": 200, "sleep": 0.02})
        pool.notify()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with store.db.session() as session:
                if queue.get(session, job_id).done > 0:
                    break
            time.sleep(0.05)
        queue.cancel(store.db, job_id)
        time.sleep(0.5)
        with store.db.session() as session:
            job = queue.get(session, job_id)
            done_then = job.done
            assert job.status == "cancelled"
        time.sleep(0.5)
        with store.db.session() as session:
            assert queue.get(session, job_id).done == done_then < 200  # it stopped
    finally:
        pool.stop()


def test_jobs_left_running_by_a_dead_process_resume(store: Store, settings: Settings) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    job_id = queue.enqueue(store.db, "count", params={"n": 2})
    host = queue.worker_name().split(":")[0]
    queue.claim_one(store.db, job_id, f"{host}:{dead.stdout.strip()}:w0")
    alive = queue.enqueue(store.db, "count")
    queue.claim_one(store.db, alive, queue.worker_name("w9"))  # ours, fresh heartbeat: left alone
    assert queue.requeue_stale(store.db) == [job_id]
    pool = WorkerPool(JobContext(store, settings), 1, poll=0.05)
    pool.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with store.db.session() as session:
                if session.get(Job, job_id).status == "done":  # type: ignore[union-attr]
                    break
            time.sleep(0.05)
        with store.db.session() as session:
            job = queue.get(session, job_id)
            assert job.status == "done" and job.attempts == 2
    finally:
        pool.stop()
    assert os.getpid() != int(dead.stdout)


def test_unknown_kind_fails_clearly(store: Store, settings: Settings) -> None:
    job_id = queue.enqueue(store.db, "teleport")
    done = run_inline(store, job_id, settings=settings)
    assert done["status"] == "failed" and "unknown job kind 'teleport'" in done["error"]


def test_a_job_stopped_with_ctrl_c_is_not_left_running(store: Store, settings: Settings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(ctx: JobContext, params: dict[str, Any], callout_id: str | None, report: Any) -> None:
        report(1, 3)
        raise KeyboardInterrupt

    monkeypatch.setitem(handlers.HANDLERS, "interrupted", interrupted)
    job_id = queue.enqueue(store.db, "interrupted")
    with pytest.raises(KeyboardInterrupt):
        run_inline(store, job_id, settings=settings)
    with store.db.session() as session:
        job = queue.get(session, job_id)
        assert job.status == "failed" and "interrupted" in (job.error or "")
    assert queue.retry(store.db, job_id).status == "queued"  # and it can be run again


def test_a_run_cancelled_then_retried_stops_while_the_retry_runs(store: Store, settings: Settings,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    started, finished = [], []
    go = threading.Event()

    def gated(ctx: JobContext, params: dict[str, Any], callout_id: str | None, report: Any) -> None:
        started.append(1)
        report(1, 2)
        go.wait(10)
        report(2, 2)
        finished.append(1)

    monkeypatch.setitem(handlers.HANDLERS, "gated", gated)
    pool = WorkerPool(JobContext(store, settings), 2, poll=0.05)
    pool.start()
    try:
        job_id = queue.enqueue(store.db, "gated")
        pool.notify()
        deadline = time.monotonic() + 10
        while len(started) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        queue.cancel(store.db, job_id)
        queue.retry(store.db, job_id)  # before the first run reached its next item
        pool.notify()
        while len(started) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        go.set()
        while pool.busy and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        pool.stop()
    assert len(started) == 2 and len(finished) == 1  # the cancelled run stopped; the retry finished
    with store.db.session() as session:
        job = queue.get(session, job_id)
        assert job.status == "done" and job.attempts == 2


def test_a_restarted_server_with_its_predecessors_pid_resumes_its_jobs(store: Store) -> None:
    """In a container the server is pid 1 every time: a job its killed predecessor left running, seconds ago,
    is not this process's own job."""
    host, pid = queue.worker_name().split(":")[:2]
    job_id = queue.enqueue(store.db, "count")
    queue.claim_one(store.db, job_id, f"{host}:{pid}:w0")  # the predecessor's name, fresh heartbeat
    assert queue.requeue_stale(store.db) == [job_id]


def test_a_running_server_resumes_jobs_orphaned_while_it_runs(store: Store, settings: Settings) -> None:
    pool = WorkerPool(JobContext(store, settings), 1, poll=0.05, heartbeat=0.1)
    pool.start()
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True)
        for _ in range(20):  # the pool may take a job between its enqueue and the dead worker's claim: try again
            job_id = queue.enqueue(store.db, "count", params={"n": 2})
            try:
                queue.claim_one(store.db, job_id, f"{queue.worker_name().split(':')[0]}:{dead.stdout.strip()}:w0")
                break
            except Conflict:
                continue
        deadline = time.monotonic() + 10  # e.g. `triage jobs run` killed with SIGKILL while this server ran
        while time.monotonic() < deadline:
            with store.db.session() as session:
                if queue.get(session, job_id).status == "done":
                    break
            time.sleep(0.05)
        with store.db.session() as session:
            assert queue.get(session, job_id).status == "done"
    finally:
        pool.stop()


def test_a_foreground_job_keeps_its_heartbeat_through_a_long_step(store: Store, settings: Settings,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    beats: list[Any] = []

    def long_step(ctx: JobContext, params: dict[str, Any], callout_id: str | None, report: Any) -> None:
        report(0, 1)
        time.sleep(0.5)  # scoring a big pool: minutes without an item to report
        with ctx.store.db.session() as session:
            beats.append(queue.get(session, job_id).heartbeat_at)

    monkeypatch.setitem(handlers.HANDLERS, "long", long_step)
    monkeypatch.setattr("triage.jobs.worker.INLINE_HEARTBEAT", 0.1)
    job_id = queue.enqueue(store.db, "long")
    run_inline(store, job_id, settings=settings)
    with store.db.session() as session:
        job = queue.get(session, job_id)
        assert job.started_at is not None and beats[0] > job.started_at + timedelta(seconds=0.3)
