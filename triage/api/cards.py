"""Shortlist and search results turned into what a card on the web page shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from triage.service import decisions as dec
from triage.store import artifacts as art
from triage.store.schema import Submission


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _why(item: dict[str, Any]) -> tuple[str, float | None]:
    why = item.get("why") or {}
    moment = item.get("moment") or {}
    start = moment.get("start", why.get("start", why.get("frame_time")))
    snippet = item.get("snippet") or why.get("snippet")
    modality = why.get("modality")
    parts = []
    if start is not None:
        parts.append(f"at {clock(start)}")
    if modality:
        parts.append(f"({modality})")
    line = " ".join(parts)
    if snippet:
        line = f"“{snippet}” {line}".strip()
    return line or "matched the brief overall", start


def _wave_path(peaks: list[float]) -> str:
    """An SVG path of vertical bars (viewBox 0 0 len(peaks) 100) for the waveform on an audio card."""
    return " ".join(f"M{i + 0.5:g} {50 - 48 * p:.1f}V{50 + 48 * p:.1f}" for i, p in enumerate(peaks))


def _mark(start: float | None, duration: float | None) -> float:
    """Where the matched moment sits along the waveform, in percent."""
    return round(100 * min(1.0, (start or 0) / duration), 1) if duration else 0.0


def cards(session: Session, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One card per result: title, media, duration, score, why, duplicates, cluster, current decision."""
    ids = [i["submission_id"] for i in items]
    rows = {r.id: r for r in session.query(Submission).filter(Submission.id.in_(ids))} if ids else {}
    decided = dec.latest(session, ids)
    out = []
    for item in items:
        row = rows.get(item["submission_id"])
        if row is None:
            continue
        found = art.artifacts(session, row.sha256) if row.sha256 else {}
        why, start = _why(item)
        text = found.get("text")
        d = decided.get(row.id)
        out.append({
            "sid": row.id, "external_id": item.get("external_id") or row.external_id or row.id,
            "title": row.title or row.original_filename or row.id, "media_type": row.media_type,
            "duration": clock((row.probe or {}).get("duration")), "score": item.get("score"),
            "rank": item.get("rank"), "why": why, "start": start or 0, "duplicates": item.get("duplicates") or [],
            "cluster": item.get("cluster"), "cluster_label": item.get("cluster_label"),
            "has_poster": "poster" in found,
            "wave": _wave_path((found["waveform"].data or {}).get("peaks", []) if "waveform" in found else []),
            "mark": _mark(start, (row.probe or {}).get("duration")),
            "excerpt": ((text.data or {}).get("text") or "")[:280] if text else "",
            "decision": d.decision if d else "unrated", "note": d.note if d else "",
        })
    return out
