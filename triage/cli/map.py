"""`triage map`: a call-out's pool map as a PNG for reports (matplotlib, no display needed), or as JSON."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from triage import runtime
from triage.cli import cli
from triage.cli.output import emit_json
from triage.config import Settings


@cli.command(name="map")
@click.argument("callout_id")
@click.option("--png", "png", type=click.Path(path_type=Path, dir_okay=False), help="Draw the map into this file.")
@click.option("--dpi", type=click.IntRange(40, 400), default=100, show_default=True, help="The PNG's resolution.")
@click.option("--json", "as_json", is_flag=True, help="Print the points as JSON (what GET .../map returns).")
@click.pass_obj
def map_command(settings: Settings, callout_id: str, png: Path | None, dpi: int, as_json: bool) -> None:
    """The pool map of a call-out: every ready piece as a point in 2-D, coloured by sub-theme with the labels at
    their centres, sized by relevance, copies joined by a thin line, decided pieces marked by their decision. The
    layout is the one kept for the server, laid out here first when the pool changed since (minutes at 10,000)."""
    from triage.service.pool_map import pool_map

    found = pool_map(runtime.open_store(settings), runtime.query_encoders(settings), callout_id)
    if png is not None:
        save_png(found, png, dpi=dpi)
    if as_json:
        emit_json(found)
    else:
        where = f"; drawn to {png}" if png is not None else "; --png FILE draws it"
        click.echo(f"{callout_id}: {found['count']} pieces in {len(found['clusters'])} sub-themes{where}")


def save_png(found: dict[str, Any], path: Path, *, dpi: int = 100) -> None:
    """Draw the map into a PNG, written whole or not at all."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    from triage.api.archive_more import draw_map  # loaded when drawing: every `triage` command imports this file

    fig, ax = plt.subplots(figsize=(8, 6), dpi=dpi)
    try:
        draw_map(found, ax)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
        try:
            with os.fdopen(fd, "wb") as out:
                fig.savefig(out, format="png", dpi=dpi, bbox_inches="tight")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    finally:
        plt.close(fig)
