"""`triage lineage`: what a piece builds on, what uses it and who is owed credit; rebuilding it; platform assets."""

from __future__ import annotations

from typing import Any

import click

from triage import runtime
from triage.cli import cli
from triage.cli.engine import engine_options, with_engine
from triage.cli.output import emit_json, one_line, table
from triage.config import Settings


class _ShowByDefault(click.Group):
    """`triage lineage REF` shows a piece; `triage lineage rebuild` and `... asset REF` are commands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@cli.group(name="lineage", cls=_ShowByDefault)
def lineage_group() -> None:
    """Remix lineage: the pieces a piece contains part of (sound, pictures, words), with the moments on both sides,
    and its credits. `triage lineage SUBMISSION` shows one piece."""


@lineage_group.command(name="show")
@click.argument("ref")
@click.option("--callout", "callout_id", help="Read an external id within this call-out.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the contract the API mirrors).")
@click.pass_obj
def show(settings: Settings, ref: str, callout_id: str | None, as_json: bool) -> None:
    """What REF (a submission id or external id) builds on, what builds on it, and its credits."""
    from triage.service.lineage import lineage

    found = lineage(runtime.open_store(settings), ref, callout_id)
    if as_json:
        emit_json(found)
        return
    piece = found["submission"]
    click.echo(f"{piece['external_id']}" + (" (a platform asset: it makes no edges)" if found["platform_asset"]
                                            else ""))
    for title, items in (("builds on", found["builds_on"]), ("used by", found["used_by"])):
        if items:
            click.echo(f"{title}:")
            table([[i["external_id"], i["contributor"] or "-", i["kind"], f"{i['share']:.0%}",
                    one_line(i["evidence"])] for i in items], ["piece", "contributor", "kind", "share", "evidence"])
    if not found["builds_on"] and not found["used_by"]:
        click.echo("no reuse found: it builds on nothing in the archive, and nothing builds on it")
    click.echo("credits: " + ", ".join(f"{c['contributor'] or '(unnamed)'} {c['share']:.0%}"
                                      for c in found["credits"]))


@lineage_group.command(name="rebuild")
@engine_options
@click.pass_obj
def rebuild(settings: Settings, engine: str | None, workers: int | None, ray_address: str | None) -> None:
    """Find every reuse again, over the whole archive (after a change of matcher, or to check). With the Ray
    engine, the matching is shared out over Ray tasks (--workers of them) with the same result."""
    from triage.service.lineage_update import rebuild_lineage

    settings = with_engine(settings, engine, workers, ray_address)
    done = rebuild_lineage(runtime.open_store(settings), spread=runtime.batch_spread(settings))
    click.echo(f"matched {done['matched']} pieces: {done['reuses']} reuses found")


@lineage_group.command(name="asset")
@click.argument("ref")
@click.option("--unmark", is_flag=True, help="Take the mark back.")
@click.option("--by", "marked_by", default="cli", show_default=True, help="Who marks it (kept with the mark).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def asset(settings: Settings, ref: str, unmark: bool, marked_by: str, as_json: bool) -> None:
    """Mark REF's bytes as a platform asset (a theme song given to everyone, the studio's intro): it and what
    it matches never make lineage edges, and two pieces that both use it are not each other's sources."""
    from triage.service.lineage import mark_asset

    done: dict[str, Any] = mark_asset(runtime.open_store(settings), ref, marked_by, marked=not unmark)
    if as_json:
        emit_json(done)
    else:
        state = "a platform asset" if not unmark else "not a platform asset"
        click.echo(f"{done['external_id'] or done['submission_id']} is {state}"
                   + ("" if done["changed"] else " (it was already)"))
