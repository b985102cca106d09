"""`triage backup DEST` and `triage restore SRC`: a consistent copy of a running installation, and back."""

from __future__ import annotations

from pathlib import Path

import click

from triage import runtime
from triage.cli import cli
from triage.cli.output import emit_json
from triage.config import Settings
from triage.service.index import sync_all
from triage.store.backup import backup as take_backup
from triage.store.restore import restore as bring_back


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n / 1e3:,.1f} kB"


@cli.command()
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@click.option("--copy", "copy_all", is_flag=True,
              help="Copy every new file, even where DEST is on the data dir's filesystem (default: hard links there).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def backup(settings: Settings, dest: Path, copy_all: bool, as_json: bool) -> None:
    """Copy the database and the media into DEST, safe while the server runs. Into the same DEST again, only
    what changed is copied, and what was erased since is removed."""
    report = take_backup(runtime.open_store(settings), dest, link=not copy_all)
    if as_json:
        emit_json(report.to_dict())
        return
    counts = report.counts
    click.echo(f"backed up {counts.get('submissions', 0)} submissions, {counts.get('decisions', 0)} decisions and "
               f"{report.files} files ({_size(report.bytes)}) to {report.dest} in {report.seconds} s")
    click.echo(f"  {report.database} database at schema {report.schema_revision}; files: {report.copied} copied "
               f"({_size(report.copied_bytes)}), {report.linked} linked, {report.unchanged} unchanged, "
               f"{report.removed} removed")
    for rel in report.damaged:
        click.echo(f"warning: {rel} no longer matches its SHA-256 name; it was backed up as it is", err=True)


@cli.command()
@click.argument("src", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def restore(settings: Settings, src: Path, as_json: bool) -> None:
    """Bring a backup back into an empty data dir (and, on PostgreSQL, an empty database): every file is
    checked against the backup's manifest, then the vector indexes are rebuilt."""
    report = bring_back(src, settings.data_dir, settings.resolved_database_url)
    store = runtime.open_store(settings)  # brings the schema up to this triage's newest revision
    indexes = sync_all(store, settings.resolved_index_dir, exact_max=settings.exact_search_max,
                       threads=settings.threads, rebuild=True)
    if as_json:
        emit_json({**report.to_dict(), "indexes": [vars(r) for r in indexes]})
        return
    counts = report.counts
    click.echo(f"restored {counts.get('submissions', 0)} submissions, {counts.get('decisions', 0)} decisions, "
               f"{counts.get('api_tokens', 0)} tokens and {report.files} files ({_size(report.bytes)}, each checked) "
               f"from the backup of {report.backed_up_at} into {report.data_dir} in {report.seconds} s")
    click.echo("  indexes rebuilt: " + ", ".join(f"{r.space} {r.size} vectors" for r in indexes))
