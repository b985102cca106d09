"""`triage jobs list|retry|cancel|run`: the durable job queue the server's workers also use."""

from __future__ import annotations

import click

from triage import runtime
from triage.cli import cli
from triage.cli.output import emit_json, table
from triage.config import Settings
from triage.jobs import queue
from triage.jobs.worker import run_inline


@cli.group()
def jobs() -> None:
    """Background jobs: uploads to process, call-outs to re-score, derived data to recompute."""


@jobs.command("list")
@click.option("--status", type=click.Choice(["queued", "running", "done", "failed", "cancelled"]),
              help="Only jobs in this state.")
@click.option("--callout", "callout_id", help="Only this call-out's jobs.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def list_(settings: Settings, status: str | None, callout_id: str | None, limit: int, as_json: bool) -> None:
    """Jobs, newest first, with progress and ETA."""
    store = runtime.open_store(settings)
    with store.db.session() as session:
        rows = [queue.job_dict(j) for j in queue.list_jobs(session, status=status, callout_id=callout_id,
                                                           limit=limit)]
    if as_json:
        emit_json({"jobs": rows})
        return
    table([[str(r["id"]), r["kind"], r["callout"] or "", r["status"], f"{r['done']}/{r['total']}",
            f"{r['eta_s']:.0f}s" if r["eta_s"] is not None else "", (r["error"] or "")[:60]] for r in rows],
          ["ID", "KIND", "CALLOUT", "STATUS", "DONE", "ETA", "ERROR"])


@jobs.command("retry")
@click.argument("job_id", type=int)
@click.pass_obj
def retry(settings: Settings, job_id: int) -> None:
    """Re-queue a failed or cancelled job (a running server picks it up)."""
    queue.retry(runtime.open_store(settings).db, job_id)
    click.echo(f"job {job_id} queued again")


@jobs.command("cancel")
@click.argument("job_id", type=int)
@click.pass_obj
def cancel(settings: Settings, job_id: int) -> None:
    """Cancel a queued job, or stop a running one at its next item."""
    queue.cancel(runtime.open_store(settings).db, job_id)
    click.echo(f"job {job_id} cancelled")


@jobs.command("run")
@click.argument("job_id", type=int)
@click.pass_obj
def run(settings: Settings, job_id: int) -> None:
    """Run one queued job here in the foreground, with a progress bar."""
    from triage.cli.progress import BatchProgress

    store = runtime.open_store(settings)
    with store.db.session() as session:
        total = queue.get(session, job_id).total
    with BatchProgress(total, f"job {job_id}") as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            while bar.done < done:
                bar.advance("done", f"{done}/{total}")

        result = run_inline(store, job_id, settings=settings, progress=progress)
    click.echo(f"job {job_id} {result['status']}" + (f": {result['error']}" if result["error"] else ""))
