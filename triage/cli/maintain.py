"""`triage reprocess` and `triage index ...`: keep derived data in step with the models and the vectors."""

from __future__ import annotations

import click

from triage import runtime
from triage.cli import cli
from triage.cli.engine import engine_options, with_engine
from triage.cli.output import emit_json, table
from triage.cli.progress import BatchProgress
from triage.config import Settings
from triage.errors import ProcessingFailed
from triage.jobs import queue
from triage.jobs.worker import run_inline
from triage.pipeline import STAGES
from triage.service.index import sync_all
from triage.store.callouts import get_callout


@cli.command()
@click.option("--only", "only", multiple=True, type=click.Choice(STAGES),
              help="Recompute these stages (and what depends on them) for every ready submission.")
@click.option("--callout", "callout_id", help="Only the contents of this call-out.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@engine_options
@click.pass_obj
def reprocess(settings: Settings, only: tuple[str, ...], callout_id: str | None, as_json: bool, engine: str | None,
              workers: int | None, ray_address: str | None) -> None:
    """Recompute derived data as a durable job. Without --only, just what an earlier model made (or what is missing)."""
    settings = with_engine(settings, engine, workers, ray_address)
    if "visual" in only:
        runtime.clip_encoder(settings, required=True)  # the clear "weights missing" error, before any job
    store = runtime.open_store(settings)
    if callout_id is not None:
        with store.db.session() as session:
            get_callout(session, callout_id)  # a typo must not pass for "nothing to recompute"
    job_id = queue.enqueue(store.db, "reprocess", callout_id=callout_id, params={"only": list(only)})
    with BatchProgress(0, "reprocess", quiet=as_json) as progress:
        job = run_inline(store, job_id, settings=settings, progress=progress.follow)
    if as_json:
        emit_json(job)
        if job["status"] != "done":
            raise SystemExit(1)  # the job (with its error) is on stdout; the status says it failed, as `score` does
    elif job["status"] == "done":
        result = job["result"] or {}
        click.echo(f"job {job['id']}: {result.get('recomputed', 0)} of {result.get('contents', 0)} contents "
                   f"recomputed; {len(result.get('errors', []))} errors")
    else:
        raise ProcessingFailed(f"job {job['id']} {job['status']}: {job['error']}")


@cli.group()
def index() -> None:
    """FAISS vector indexes (derived from the stored vectors; always rebuildable)."""


@index.command("rebuild")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def rebuild(settings: Settings, as_json: bool) -> None:
    """Rebuild every space's index from the database."""
    _report(settings, rebuild=True, as_json=as_json)


@index.command("sync")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def sync(settings: Settings, as_json: bool) -> None:
    """Add new vectors to the indexes and drop removed ones."""
    _report(settings, rebuild=False, as_json=as_json)


def _report(settings: Settings, *, rebuild: bool, as_json: bool) -> None:
    store = runtime.open_store(settings)
    reports = sync_all(store, settings.resolved_index_dir, exact_max=settings.exact_search_max,
                       threads=settings.threads, rebuild=rebuild)
    if as_json:
        emit_json({"index_dir": str(settings.resolved_index_dir), "spaces": [vars(r) for r in reports]})
        return
    table([[r.space, r.kind, str(r.size), str(r.added), str(r.removed), "yes" if r.rebuilt else ""] for r in reports],
          ["SPACE", "KIND", "VECTORS", "ADDED", "REMOVED", "REBUILT"])
