"""Shared output helpers for the CLI: JSON documents and simple tables."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=_default, ensure_ascii=False))


def one_line(text: str) -> str:
    """Text for one line of a terminal or log: control characters (a newline or an escape sequence in a file
    name) are shown escaped, so one file stays one line and cannot repaint the terminal."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        click.echo("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False)).rstrip())
