"""`triage export`: a call-out's chosen pieces as files and a sheet, for the people who cut the show."""

from __future__ import annotations

from pathlib import Path

import click

from triage import runtime
from triage.cli import cli
from triage.cli.model_drift import warn_of_model_drift
from triage.cli.output import emit_json
from triage.config import Settings
from triage.domain import CHOSEN, DECISIONS, UNDECIDED


@cli.command()
@click.argument("callout_id")
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@click.option("--decision", type=click.Choice([CHOSEN, *DECISIONS, UNDECIDED, "any"]), default=CHOSEN,
              show_default=True, help="Export the pieces with this current decision (chosen: shortlisted or "
                                      "starred); any: the whole shortlist.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, from the top.")
@click.option("--diversity", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              help="The order, as for `triage shortlist`.")
@click.option("--no-media", is_flag=True, help="Write the sheet only, without copying the files.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def export(settings: Settings, callout_id: str, dest: Path, decision: str, limit: int | None, diversity: float,
           no_media: bool, as_json: bool) -> None:
    """Copy a call-out's chosen pieces into a new folder DEST, in shortlist order, with a sheet (shortlist.csv)
    of rank, file, who, what, the curator's note and why each piece ranked where it did, and a selects timeline
    (selects.otio) of the videos and recordings cut to their matched moments."""
    from triage.service.export import export

    store = runtime.open_store(settings)
    warn_of_model_drift(settings, store)  # the order is the shortlist's
    result = export(store, runtime.query_encoders(settings), callout_id, dest,
                    decision=None if decision == "any" else decision, limit=limit, diversity=diversity,
                    with_media=not no_media)
    if as_json:
        emit_json(result)
    else:
        timeline = f" and {result['timeline']} ({result['on_timeline']} moments)" if result["timeline"] else ""
        click.echo(f"exported {result['count']} pieces ({result['files']} files) to {result['dest']}; "
                   f"see {result['sheet']}{timeline}")
        if not result["count"] and decision != "any":
            click.echo(f"no piece is {decision} yet; --decision any exports the whole shortlist")
