"""Times as people read and type them, for pages, sheets and the CLI."""

from __future__ import annotations

from triage.errors import BadRequest


def clock(seconds: float | None) -> str:
    """0:42, 12:05 or 1:02:03; empty for no time."""
    if seconds is None:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def parse_length(text: str | None, what: str = "a length") -> float | None:
    """A length as typed: seconds ("90", "12.5"), a clock ("22:00", "1:02:03"), or words ("800"); blank: None."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise BadRequest(f"{what} {text!r} is not a length: give seconds (90), a clock (22:00) or a number of "
                         "words (800)") from None
    if len(parts) > 3 or any(not 0 <= p < float("inf") for p in parts):  # NaN fails both comparisons
        raise BadRequest(f"{what} {text!r} is not a length: give seconds (90), a clock (22:00) or words (800)")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds
