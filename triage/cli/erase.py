"""`triage erase --contributor NAME | --submission ID`: remove pieces on request, and say what went."""

from __future__ import annotations

import click

from triage import runtime
from triage.cli import cli
from triage.cli.output import emit_json, one_line
from triage.config import Settings
from triage.service.erase import erase as erase_pieces


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


@cli.command()
@click.option("--contributor", "contributors", multiple=True, metavar="NAME",
              help="Erase every submission of this contributor (the name as stored, exactly). Repeatable.")
@click.option("--submission", "submissions", multiple=True, metavar="ID",
              help="Erase this submission (its id, or an external id that names one piece). Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def erase(settings: Settings, contributors: tuple[str, ...], submissions: tuple[str, ...], as_json: bool) -> None:
    """Remove pieces for good: their files, everything derived from them, notes, votes, assignments, duplicate
    rulings and kept scores. Decisions on them stay, naming a tombstone. Running it again changes nothing."""
    store = runtime.open_store(settings)
    report = erase_pieces(store, submissions=submissions, contributors=contributors,
                          index_dir=settings.resolved_index_dir, exact_max=settings.exact_search_max,
                          threads=settings.threads)
    if as_json:
        emit_json(report.to_dict())
        return
    if not report.erased:
        said = ", ".join(one_line(s) for s in report.already_erased)
        click.echo(f"nothing to erase{': erased already: ' + said if said else ''}"
                   + ("" if said else " (contributor names are matched exactly)"))
        return
    click.echo(f"erased {_n(len(report.erased), 'submission')} in {', '.join(report.callouts)} "
               f"({report.seconds} s); they remain as tombstones: " + ", ".join(report.erased))
    shown = [f"{kind.replace('_', ' ')} {n}" for kind, n in report.removed.items() if n]
    click.echo("removed: " + (", ".join(shown) if shown else "nothing else"))
    if report.kept_shared:
        click.echo(f"kept the bytes of {_n(report.kept_shared, 'piece')} that another contributor also sent (they are "
                   "theirs too); nothing links them to the erased submissions any more")
    if report.decisions_kept:
        click.echo(f"{_n(report.decisions_kept, 'decision')} on them stay, naming the tombstones")
    click.echo("exports and backups made before now still hold these pieces: delete them where they are "
               "(the next 'triage backup' into the same folder removes them there)")
