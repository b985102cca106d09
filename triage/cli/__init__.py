"""The `triage` command. Library errors become one readable line and an exit code here, nowhere else."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from triage import logs
from triage.config import Settings
from triage.errors import TriageError


class TriageGroup(click.Group):
    """A click group that turns TriageError into `error: ...` and the error's exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except TriageError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=TriageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="TRIAGE_DATA_DIR",
              help="Where all state lives (default ./data).")
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.version_option(package_name="triage")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    """triage: ML-assisted first pass over crowdsourced media submissions."""
    settings = Settings()
    logs.configure(logging.INFO if verbose else logging.WARNING, settings.log_format)
    if data_dir is not None:
        settings.data_dir = data_dir
    ctx.obj = settings


def main() -> None:
    from triage.cli import (  # noqa: F401  (importing registers the commands)
        backup,
        callouts,
        doctor,
        erase,
        evaluate,
        export,
        ingest,
        jobs,
        lineage,
        maintain,
        map,
        models,
        programme,
        query,
        serve,
        tokens,
    )

    cli(prog_name="triage")
