"""`triage serve`: the curator service (API + web pages) with its job workers, under uvicorn."""

from __future__ import annotations

import logging

import click

from triage.cli import cli
from triage.cli.model_drift import warn_of_model_drift
from triage.config import Settings


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(0, 64),
              help="Job worker threads (process uploads, re-score); 0 leaves jobs to another server. With "
                   "TRIAGE_ENGINE=ray each thread waits on one upload at a time: give at least one per Ray worker.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Run the curator web pages and HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from triage.api.app import create_app

    if settings.log_format == "json":  # for a log collector: every request's line, with its id
        logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    app = create_app(settings, workers=workers)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    click.echo(f"triage is serving on http://{shown}:{port}/ (API docs: /docs); Ctrl+C stops it", err=True)
    warn_of_model_drift(settings, app.state.triage.store)
    if settings.engine == "ray" and workers == 1:
        click.echo("note: uploads are analysed on Ray one at a time; --workers N lets N run at once", err=True)
    # One process: the job workers are threads in it, and SQLite prefers a single writer process.
    uvicorn.run(app, host=host, port=port, log_level="warning")
