"""`triage map`: a call-out's pool map as a PNG for reports (matplotlib, no display needed), or as JSON."""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import click

from triage import runtime
from triage.cli import cli
from triage.cli.output import emit_json
from triage.config import Settings

MARKERS = {"shortlisted": ("o", "#1a7f37"), "starred": ("*", "#bf8700"), "rejected": ("x", "#cf222e"),
           "unrated": ("s", "#57606a")}


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

    fig, ax = plt.subplots(figsize=(8, 6), dpi=dpi)
    try:
        draw(found, ax)
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


def draw(found: dict[str, Any], ax: Any) -> None:
    """Draw a pool map (`service.pool_map`'s answer) on a matplotlib Axes: points coloured by cluster, sized by
    score, copies joined by thin lines, decided pieces ringed in their decision's colour and shape."""
    import matplotlib.pyplot as plt

    points = found["points"]
    colours = plt.get_cmap("tab10" if len(found["clusters"]) <= 10 else "tab20")
    by_id = {p["submission_id"]: p for p in points}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in points:
        if p["group"]:
            groups[p["group"]].append(p)
    for members in groups.values():
        head = by_id.get(members[0]["group"], members[0])
        for p in members:
            if p is not head:
                ax.plot([head["x"], p["x"]], [head["y"], p["y"]], color="#888888", linewidth=0.6, zorder=1)
    if points:
        ax.scatter([p["x"] for p in points], [p["y"] for p in points],
                   c=[colours(p["cluster"] % colours.N) if p["cluster"] is not None else "#bbbbbb" for p in points],
                   s=[12 + 140 * (p["score"] or 0.0) for p in points], alpha=0.8, linewidths=0, zorder=2)
    for decision, (marker, colour) in MARKERS.items():
        decided = [p for p in points if p["decision"] == decision]
        if decided:
            ax.scatter([p["x"] for p in decided], [p["y"] for p in decided], marker=marker, s=60,
                       facecolors="none" if marker in "os" else colour, edgecolors=colour, linewidths=1.2,
                       label=decision, zorder=3)
    for c in found["clusters"]:
        ax.annotate(f"{c['label']} ({c['size']})", (c["x"], c["y"]), ha="center", va="center", fontsize=8,
                    zorder=4, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colours(c["id"] % colours.N),
                                    "alpha": 0.85})
    if any(p["decision"] for p in points):
        ax.legend(loc="best", fontsize=7, frameon=False)
    ax.set_title(f"{found['callout']}: {found['count']} pieces (size: relevance; lines join copies)", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
