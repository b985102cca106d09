"""`triage models list|pull|check`: what models are configured, installed, and how fast they run."""

from __future__ import annotations

import click

from triage.cli import cli
from triage.cli.output import emit_json, table
from triage.config import Settings


@cli.group()
def models() -> None:
    """Model weights: list, pull (the only step that downloads), check."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def list_(settings: Settings, as_json: bool) -> None:
    """Configured and known models: installed or not, size, location."""
    from triage.encoders.manage import list_models

    rows = list_models(settings)
    if as_json:
        emit_json({"models": rows})
        return
    table([[r.get("family", ""), r.get("name", ""), "yes" if r.get("configured") else "",
            "yes" if r.get("installed") else "no", _size(r.get("size_bytes")), str(r.get("location") or "")]
           for r in rows], ["FAMILY", "NAME", "CONFIGURED", "INSTALLED", "SIZE", "LOCATION"])


@models.command("pull")
@click.argument("names", nargs=-1)
@click.pass_obj
def pull(settings: Settings, names: tuple[str, ...]) -> None:
    """Download the configured models (or NAMES) into the models folder. Needs internet."""
    from triage.encoders.manage import pull as pull_models

    for line in pull_models(settings, list(names) or None):
        click.echo(line)


@models.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def check(settings: Settings, as_json: bool) -> None:
    """Load each configured model, run a smoke input and report its speed."""
    from triage.encoders.manage import check as check_models

    rows = check_models(settings)
    if as_json:
        emit_json({"models": rows})
        return
    for r in rows:
        click.echo("  ".join(f"{k}={v}" for k, v in r.items()))


def _size(n: object) -> str:
    return f"{int(n) / 1e6:,.0f} MB" if isinstance(n, int | float) and n else ""
