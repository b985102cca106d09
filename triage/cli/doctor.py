"""`triage doctor`: check the data dir against its database, and repair what can be repaired safely."""

from __future__ import annotations

import dataclasses

import click

from triage import runtime
from triage.cli import cli
from triage.cli.output import emit_json, one_line
from triage.config import Settings
from triage.jobs.doctor import examine


@cli.command()
@click.option("--repair", is_flag=True, help="Repair what can be: remove leftovers of killed runs, rebuild damaged "
                                             "indexes, queue stuck work again.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def doctor(settings: Settings, repair: bool, as_json: bool) -> None:
    """Check the database, every stored file against its row, leftovers, derived files, indexes, jobs and
    half-way submissions. Exits 0 when nothing is wrong (or everything found was repaired), 1 otherwise."""
    store = runtime.open_store(settings)
    found = examine(store, settings.resolved_index_dir, repair=repair, exact_max=settings.exact_search_max,
                    threads=settings.threads)
    left = [f for f in found if not f.repaired]
    if as_json:
        emit_json({"findings": [dataclasses.asdict(f) for f in found], "left": len(left)})
    elif not found:
        click.echo("nothing wrong: the database, its files, indexes and jobs agree")
    else:
        for f in found:
            click.echo(f"{f.check:12} {'repaired' if f.repaired else 'PROBLEM':8} {one_line(f.problem)}")
    if left:
        raise SystemExit(1)
