"""What the programme pages show: a programme's running order, its total against the target, the piece being cut,
its last render and its credits, as data for the templates (programme.html and its _programme_*.html parts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from triage.api.deps import AppState
from triage.jobs import queue
from triage.jobs.renders import render_status
from triage.service import contributors, programme_render
from triage.service.programme_credits import Credits
from triage.service.programme_order import suggestion
from triage.service.programme_pieces import sources
from triage.service.programmes import PlacedPiece, ProgrammeView, listing, view
from triage.service.views import callout_view
from triage.timefmt import clock

KINDS = (("episode", "Episode (a rough-cut video)"), ("book", "Book (an EPUB)"), ("album", "Album (FLAC and MP3)"))
ACTIVE = (queue.QUEUED, queue.RUNNING)
WORDS_SHOWN = 3000  # a text piece's words shown numbered beside its cut; longer texts are cut short on the page


def amount(value: float, unit: str) -> str:
    """A length in the programme's unit: "18:20", or "1,200 words"."""
    return f"{round(value):,} words" if unit == "words" else clock(value)


def point(value: float, unit: str) -> str:
    """An in or out point: "0:12.5" (tenths where there are any), or "word 40"."""
    if unit == "words":
        return f"word {round(value)}"
    whole = clock(value)
    tenths = round((value - int(value)) * 10)
    return f"{whole}.{tenths}" if 0 < tenths < 10 else whole


@dataclass(frozen=True)
class Total:
    used: str
    target: str
    over: str  # empty when within the target
    left: str
    value: float
    max: float
    percent: int


def total_of(p: ProgrammeView) -> Total:
    percent = round(100 * p.used / p.target) if p.target else 0
    return Total(amount(p.used, p.unit), amount(p.target, p.unit), amount(p.over, p.unit) if p.over else "",
                 amount(max(0.0, p.target - p.used), p.unit), round(p.used, 3), round(p.target, 3), percent)


def piece_row(piece: PlacedPiece, unit: str) -> dict[str, Any]:
    """One piece of the running order as the list shows it."""
    own = "words" if piece.media_type == "text" else "s"
    timed = piece.media_type in ("video", "audio")
    cut = "" if piece.media_type in ("image", None) else f"{point(piece.start, own)}–{point(piece.end, own)}" \
        if own == "s" else f"words {round(piece.start)}–{round(piece.end)}"
    whole = piece.media_type == "image" or (piece.start <= 0 and abs(piece.end - piece.whole) < 1e-3)
    return {"sid": piece.submission_id, "position": piece.position, "title": piece.title,
            "contributor": piece.contributor, "media_type": piece.media_type or "removed", "cut": cut,
            "whole_piece": whole, "length": amount(piece.length, unit), "heading": piece.heading or "",
            "problems": piece.problems, "timed": timed, "start": piece.start, "end": piece.end,
            "full": point(piece.whole, own) if piece.media_type != "image" else ""}


def cut_panel(state: AppState, piece: PlacedPiece | None) -> dict[str, Any] | None:
    """The selected piece with what its cut needs: a player for sound and pictures, numbered words for a text."""
    if piece is None or piece.media_type is None:
        return None
    found = sources(state.store, [piece.submission_id]).get(piece.submission_id)
    words = found.text.split() if found is not None and piece.media_type == "text" else []
    lines = [(i, " ".join(words[i:i + 10])) for i in range(0, min(len(words), WORDS_SHOWN), 10)]
    return {"sid": piece.submission_id, "title": piece.title, "media_type": piece.media_type,
            "start": round(piece.start, 2), "end": round(piece.end, 2), "whole": round(piece.whole, 2),
            "unit": "words" if piece.media_type == "text" else "s", "lines": lines,
            "cut_short": len(words) > WORDS_SHOWN, "media": f"/api/submissions/{quote(piece.submission_id)}/media"}


def render_state(state: AppState, programme_id: str) -> dict[str, Any]:
    """The programme's newest render job and the manifest of its last finished render, with download links."""
    said = render_status(state.store, programme_id)
    job = {"status": said["status"], "error": said["error"]} if said["job"] is not None else None
    manifest = said if said["rendered_at"] else None  # the last finished render's facts, beside its job's
    files = [{"name": name, "href": f"/api/programmes/{quote(programme_id)}/files/{quote(name)}"}
             for name in said["files"]]
    return {"job": job, "active": said["status"] in ACTIVE, "manifest": manifest, "files": files,
            "percent": round(100 * (said["progress"] or 0)),
            "length": clock(manifest.get("duration_s")) if manifest and manifest.get("duration_s") else ""}


def merges_among(state: AppState, credits: Credits) -> list[tuple[str, str]]:
    """The curators' name merges that show in these credits: (name as submitted, the person credited)."""
    people = {line.name for line in credits.lines}
    return sorted((name, person) for name, person in contributors.merged(state.store).items() if person in people)


def programme_choices(state: AppState, callout_id: str) -> list[dict[str, str]]:
    """The call-out's programmes, for the cards' "add to programme" control."""
    return [{"id": p.id, "name": p.name, "kind": p.kind} for p in listing(state.store, callout_id)]


def board(state: AppState, programme_id: str, *, selected: str | None = None, suggest: bool = False,
          error: str | None = None, error_at: str | None = None) -> dict[str, Any]:
    """Everything the workbench shows, for the whole page or its board swapped in place."""
    settings = programme_render.settings_of(state.settings)
    p = view(state.store, programme_id, settings)
    chosen = next((x for x in p.pieces if x.submission_id == selected), None)
    if chosen is None:  # the first piece that has a cut to make
        chosen = next((x for x in p.pieces if x.media_type in ("video", "audio", "text")), None)
    callout = callout_view(state.store, p.callout_id) if p.callout_id else None
    titles = {x.submission_id: x.title for x in p.pieces}
    credits = programme_render.credits(state.store, programme_id, settings)
    suggested = None
    if suggest and p.pieces:
        found = suggestion(state.store, state.models(), programme_id, state.cache)
        suggested = {"order": [{"sid": sid, "title": titles.get(sid, sid)} for sid in found.order],
                     "value": ",".join(found.order), "before": found.clashes_before, "after": found.clashes_after,
                     "same": list(found.order) == [x.submission_id for x in p.pieces]}
    return {"p": p, "callout": callout, "pieces": [piece_row(x, p.unit) for x in p.pieces],
            "total": total_of(p), "cut": cut_panel(state, chosen), "selected": chosen.submission_id if chosen else None,
            "credits": credits, "merges": merges_among(state, credits),
            "render": render_state(state, programme_id), "suggested": suggested, "error": error,
            "error_at": error_at, "order_value": ",".join(x.submission_id for x in p.pieces)}
