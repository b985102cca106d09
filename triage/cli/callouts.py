"""`triage callouts ...`, `triage show` and `triage status`."""

from __future__ import annotations

from pathlib import Path

import click

from triage import runtime
from triage.cli import cli
from triage.cli.output import emit_json, table
from triage.config import Settings
from triage.service import exemplars
from triage.service.callouts import import_callouts, put_callout
from triage.service.pieces import shown
from triage.service.views import callout_dict
from triage.store.callouts import list_callouts, status_counts
from triage.timefmt import clock


@cli.group()
def callouts() -> None:
    """Create, import and list call-outs; mark exemplars."""


@callouts.command("create")
@click.argument("callout_id")
@click.option("--title", help="Short title shown to curators.")
@click.option("--brief", help="The call-out's brief: what submissions should be about.")
@click.option("--prompt", "prompts", multiple=True, help="Extra text prompt describing what fits (repeatable).")
@click.option("--negative", "negatives", multiple=True, help="Text prompt describing what does NOT fit (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def create(settings: Settings, callout_id: str, title: str | None, brief: str | None,
           prompts: tuple[str, ...], negatives: tuple[str, ...], as_json: bool) -> None:
    """Create a call-out, or update the fields given (idempotent)."""
    data, created = put_callout(runtime.open_store(settings), callout_id, title=title, brief=brief,
                                prompts=list(prompts) if prompts else None,
                                negative_prompts=list(negatives) if negatives else None)
    if as_json:
        emit_json(data)
    else:
        click.echo(f"{'created' if created else 'updated'} call-out {callout_id}")


@callouts.command("exemplar")
@click.argument("callout_id")
@click.argument("submission")
@click.option("--unmark", is_flag=True, help="Stop counting it as an exemplar.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def exemplar(settings: Settings, callout_id: str, submission: str, unmark: bool, as_json: bool) -> None:
    """Mark a ready submission (id or external id) as an example of what the call-out wants.

    Its words and frames then count beside the brief; the next shortlist or `triage score` uses them.
    """
    data, changed = exemplars.mark(runtime.open_store(settings), callout_id, submission, not unmark)
    if as_json:
        emit_json(data)
    elif changed:
        click.echo(f"{'unmarked' if unmark else 'marked'} {submission} in {callout_id}; "
                   f"{len(data['exemplars'])} exemplar(s) now")
    else:
        click.echo(f"{submission} was already {'not ' if unmark else ''}an exemplar of {callout_id}")


@callouts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def list_(settings: Settings, as_json: bool) -> None:
    """List call-outs with their submission counts."""
    store = runtime.open_store(settings)
    with store.db.session() as session:
        counts = status_counts(session)
        rows = [{**callout_dict(c), "submissions": sum(counts.get(c.id, {}).values())} for c in list_callouts(session)]
    if as_json:
        emit_json({"callouts": rows})
    else:
        table([[r["id"], r["title"], str(r["submissions"]), "open" if r["open"] else "closed"] for r in rows],
              ["ID", "TITLE", "SUBMISSIONS", "STATE"])


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """Submission counts per call-out and status."""
    store = runtime.open_store(settings)
    with store.db.session() as session:
        counts = status_counts(session)
    if as_json:
        emit_json({"callouts": counts})
        return
    states = ["received", "processing", "ready", "rejected", "failed"]
    table([[cid, *[str(c.get(s, 0)) for s in states]] for cid, c in counts.items()],
          ["CALLOUT", *[s.upper() for s in states]])


@cli.command()
@click.argument("ref")
@click.option("--callout", "callout_id", help="Look only in this call-out.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def show(settings: Settings, ref: str, callout_id: str | None, as_json: bool) -> None:
    """Show one submission by id or external id: status, error, media type, duration, probe, transcript, and
    the words printed in its pictures."""
    data = shown(runtime.open_store(settings), ref, callout_id)
    if as_json:
        emit_json(data)
        return
    for key in ("submission_id", "external_id", "callout", "status", "error", "media_type", "duration",
                "original_filename"):
        if data[key] is not None:
            click.echo(f"{key:18} {data[key]}")
    if data["transcript"]:
        click.echo(f"{'transcript':18} {data['transcript']['text']}")
    for line in (data["ocr"] or {}).get("lines", []):  # the words printed in its pictures, each at its time
        click.echo(f"{'in the pictures':18} {clock(line['time'])} {line['text']}")


@callouts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_(settings: Settings, file: Path) -> None:
    """Create or update call-outs from a JSON list of {"id", "title", "brief", "prompts", "negative_prompts"}."""
    from triage.api.archive_more import checked_callouts

    # Every entry checked before any is written, with the API's rules: a string of prompts is not a list of them.
    done = import_callouts(runtime.open_store(settings), checked_callouts(file))
    # only once committed: a failed import changes nothing
    click.echo("\n".join(f"{'created' if created else 'updated'} call-out {c['id']}" for c, created in done))
