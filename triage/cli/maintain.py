"""`triage reprocess` and `triage index ...`: keep derived data in step with the models and the vectors."""

from __future__ import annotations

import click

from triage import runtime
from triage.cli import cli
from triage.cli.output import emit_json, table
from triage.cli.progress import BatchProgress
from triage.config import Settings
from triage.ingest import reprocess as rp
from triage.pipeline import STAGES
from triage.service.index import sync_all


@cli.command()
@click.option("--only", "only", multiple=True, type=click.Choice(STAGES),
              help="Recompute these stages (and what depends on them) for every ready submission.")
@click.option("--callout", "callout_id", help="Only the contents of this call-out.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reprocess(settings: Settings, only: tuple[str, ...], callout_id: str | None, as_json: bool) -> None:
    """Recompute derived data. Without --only, just what an earlier model made (or what is missing)."""
    store = runtime.open_store(settings)
    models = runtime.encoders(settings)
    if "visual" in only and models.clip is None:
        runtime.clip_encoder(settings, required=True)  # raises the clear "weights missing" error
    analyse = runtime.analyser(settings, models)
    shas = rp.contents_in_scope(store, callout_id)
    results = []
    with store.files.active(), BatchProgress(len(shas), "reprocess", quiet=as_json) as progress:
        for sha in shas:
            stages = rp.with_dependents(only) if only else rp.stale_stages(store, sha, models)
            result = rp.reprocess_one(store, sha, stages, analyse)
            results.append(result)
            progress.advance("error" if result.error else ("done" if stages else "current"),
                             f"{sha[:12]} {','.join(stages) or 'up to date'}" + (f" ({result.error})" if result.error else ""))
    reports = sync_all(store, settings.resolved_index_dir, exact_max=settings.exact_search_max, threads=settings.threads)
    if as_json:
        emit_json({"contents": [{"sha256": r.sha256, "stages": list(r.stages), "error": r.error} for r in results],
                   "index": [vars(r) for r in reports]})
    else:
        changed = sum(1 for r in results if r.stages and not r.error)
        click.echo(f"{changed} of {len(results)} contents recomputed; {sum(1 for r in results if r.error)} errors")


@cli.group()
def index() -> None:
    """FAISS vector indexes (derived from the stored vectors; always rebuildable)."""


@index.command("rebuild")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rebuild(settings: Settings, as_json: bool) -> None:
    """Rebuild every space's index from the database."""
    _report(settings, rebuild=True, as_json=as_json)


@index.command("sync")
@click.option("--json", "as_json", is_flag=True)
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
