"""`triage ingest`: files, folders or a manifest into a call-out."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from triage import runtime
from triage.cli import cli
from triage.cli.engine import engine_options, with_engine
from triage.cli.output import emit_json, one_line
from triage.cli.progress import BatchProgress
from triage.config import Settings
from triage.errors import ConfigError
from triage.ingest import sources as src
from triage.ingest.runner import ItemResult
from triage.ingest.runner import ingest as run_ingest
from triage.service.after_ingest import bring_up_to_date
from triage.store.callouts import get_callout


@cli.command()
@click.option("--callout", "callout_id", required=True, help="The call-out these submissions answer.")
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL: one {\"path\", \"external_id\", \"title\", \"contributor\"} per line.")
@click.option("--allow-outside", is_flag=True, help="Follow paths that leave the given folder or manifest folder.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON document (a result per item, then the summary) instead of progress lines.")
@engine_options
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def ingest(settings: Settings, callout_id: str, manifest: Path | None, allow_outside: bool, as_json: bool,
           engine: str | None, workers: int | None, ray_address: str | None, paths: tuple[Path, ...]) -> None:
    """Ingest files and folders (recursively) or a manifest. Bad files are rejected with a reason; the rest go on."""
    if bool(manifest) == bool(paths):
        raise ConfigError("give either PATH... or --manifest FILE")
    settings = with_engine(settings, engine, workers, ray_address)
    items = list(src.from_manifest(manifest, allow_outside=allow_outside) if manifest
                 else src.from_paths(list(paths), allow_outside=allow_outside))
    store = runtime.open_store(settings)
    with store.db.session() as session:
        get_callout(session, callout_id)  # before any worker starts
    analysis = runtime.analysis_engine(settings)
    try:
        with BatchProgress(len(items), f"ingest {callout_id}", quiet=as_json) as progress:
            def report(r: ItemResult) -> None:
                progress.advance(r.status, f"{r.status:9} {r.media_type or '-':6} {r.source}"
                                 + (f"  ({r.error})" if r.error else ""))

            results = run_ingest(store, callout_id, items, analysis, max_file_bytes=settings.max_file_bytes,
                                 allow_mislabelled=settings.allow_mislabelled, on_result=report)
    finally:
        analysis.close()
    bring_up_to_date(store, results, index_dir=settings.resolved_index_dir, exact_max=settings.exact_search_max,
                     threads=settings.threads)
    if as_json:
        emit_json({"callout": callout_id, "results": [r.to_dict() for r in results], "summary": summarise(results)})
    else:
        print_summary(results, progress.elapsed)
    # Clean rejections are a success; anything that failed on our side is not.
    sys.exit(1 if any(r.status == "failed" for r in results) else 0)


def summarise(results: list[ItemResult]) -> dict[str, object]:
    return {"total": len(results), "by_status": dict(Counter(r.status for r in results)),
            "by_action": dict(Counter(r.action for r in results))}


def print_summary(results: list[ItemResult], elapsed: float) -> None:
    by_status = Counter(r.status for r in results)
    by_action = Counter(r.action for r in results)
    click.echo(f"{len(results)} files in {elapsed:.1f} s: "
               + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
               + " (" + ", ".join(f"{n} {a}" for a, n in sorted(by_action.items())) + ")")
    for r in results:
        if r.status in ("rejected", "failed"):
            click.echo(one_line(f"  {r.status}: {r.source}: {r.error}"))
