"""Shortlist and search results turned into what a card on the web page shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from triage.api.deps import AppState
from triage.api.format import clock
from triage.errors import NotFound
from triage.service.cache import View
from triage.service.card_state import CardState, card_states
from triage.service.lineage_counts import Counts, lineage_counts
from triage.service.pieces import PieceFacts, facts


def where(item: dict[str, Any]) -> tuple[str | None, str, float | None, float | None]:
    """(snippet, "at 0:12 (transcript)", start, end) of the moment or sentence that matched."""
    why = item.get("why") or {}
    moment = item.get("moment") or {}
    start = moment.get("start", why.get("start", why.get("frame_time")))
    end = moment.get("end", why.get("end"))
    snippet = item.get("snippet") or why.get("snippet")
    if why.get("modality") == "none":  # an image before CLIP weights are installed, say
        return snippet, "nothing to compare it with yet (no words, and no picture model)", start, end
    parts = [f"at {clock(start)}"] if start is not None else []
    if why.get("modality"):
        parts.append(f"({why['modality']})")
    line = " ".join(parts) or ("" if snippet else "matched the brief overall")
    return snippet, line, start, end


def wave_path(peaks: Sequence[float]) -> str:
    """An SVG path of vertical bars (viewBox 0 0 len(peaks) 100): the waveform when scripts are off."""
    return " ".join(f"M{i + 0.5:g} {50 - 48 * p:.1f}V{50 + 48 * p:.1f}" for i, p in enumerate(peaks))


def moment_mark(start: float | None, duration: float | None) -> float:
    """Where the matched moment sits along the waveform, in percent."""
    return round(100 * min(1.0, (start or 0) / duration), 1) if duration else 0.0


def _moved(item: dict[str, Any]) -> str | None:
    rank, by_score = item.get("rank"), item.get("by_score")
    if not rank or not by_score or rank == by_score:
        return None
    return f"#{rank} for variety (#{by_score} by score)"


def lineage_line(counts: Counts | None) -> str:
    """"builds on 2 pieces · used by 1 piece", or empty for a piece with no lineage."""
    if counts is None:
        return ""
    parts = [f"{verb} {n} piece{'s' if n > 1 else ''}" for verb, n in
             (("builds on", counts.builds_on), ("used by", counts.used_by)) if n]
    return " · ".join(parts)


def card(item: dict[str, Any], piece: PieceFacts, state: CardState, counts: Counts | None = None) -> dict[str, Any]:
    """One card's data for _card.html, from a shortlist or search item, the piece's facts, its state and its
    lineage counts."""
    snippet, line, start, end = where(item)
    duration = piece.duration
    nearest = min(piece.frames, key=lambda f: abs(f.time - (start or 0)), default=None)
    return {
        "sid": piece.submission_id, "callout": piece.callout_id, "external_id": piece.external_id,
        "title": piece.title, "contributor": piece.contributor, "media_type": piece.media_type,
        "duration": duration, "score": item.get("score"), "rank": item.get("rank"), "moved": _moved(item),
        "match": item.get("match"), "duplicates": item.get("duplicates") or [], "cluster": item.get("cluster"),
        "cluster_label": item.get("cluster_label"), "snippet": snippet, "where": line, "start": start or 0,
        "end": end if end is not None else start or 0, "has_poster": piece.has_poster, "peaks": list(piece.peaks),
        "wave": wave_path(piece.peaks),
        "mark": moment_mark(start, duration),
        "frames": piece.frames, "moment_frame": nearest.index if nearest is not None and start is not None else None,
        "excerpt": piece.excerpt[:280], "state": state, "lineage": lineage_line(counts),
    }


def cards(state: AppState, view: View, items: list[dict[str, Any]], curator: str) -> list[dict[str, Any]]:
    """One card per result that still exists, in the results' order."""
    ids = [i["submission_id"] for i in items]
    found = facts(state.store, ids)
    states = card_states(state.store, state.models(), str(view.callout_id), ids, curator, view=view)
    counts = lineage_counts(state.store, ids)  # one batch for the page: cards are drawn on every decision
    return [card(i, found[i["submission_id"]], states[i["submission_id"]], counts.get(i["submission_id"]))
            for i in items if i["submission_id"] in found]


def state_card(state: AppState, submission_id: str, curator: str, view: View | None = None) -> dict[str, Any]:
    """What _card_state.html needs for one piece (an in-place update after an action on its card)."""
    found = facts(state.store, [submission_id])
    if submission_id not in found:
        raise NotFound(f"no submission {submission_id!r}")
    piece = found[submission_id]
    states = card_states(state.store, state.models(), piece.callout_id, [submission_id], curator, cache=state.cache,
                         view=view if view is not None and view.callout_id == piece.callout_id else None)
    return {"sid": piece.submission_id, "callout": piece.callout_id, "title": piece.title,
            "media_type": piece.media_type, "state": states[submission_id]}
