"""Times as people read them, for pages, sheets and the CLI."""

from __future__ import annotations


def clock(seconds: float | None) -> str:
    """0:42, 12:05 or 1:02:03; empty for no time."""
    if seconds is None:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
