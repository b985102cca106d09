"""What the pages, `triage show` and `Archive.piece` tell about a piece itself, whatever the ranking: who made it,
what it is, its waveform, keyframes and words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from triage.service.views import submission_dict
from triage.store.artifacts import artifacts_by_sha
from triage.store.schema import Submission
from triage.store.store import Store
from triage.store.submissions import lookup

EXCERPT_CHARS = 600


@dataclass(frozen=True)
class Frame:
    index: int  # its number under /api/submissions/ID/frames/N
    time: float


@dataclass(frozen=True)
class PieceFacts:
    submission_id: str
    callout_id: str
    external_id: str
    title: str
    contributor: str | None
    media_type: str | None
    status: str
    duration: float | None
    has_poster: bool
    peaks: tuple[float, ...]  # the waveform, loudest = 1, for pieces with sound
    frames: tuple[Frame, ...]  # keyframe thumbnails of videos, in time order
    excerpt: str  # the start of a text's words


def shown(store: Store, ref: str, callout_id: str | None = None) -> dict[str, Any]:
    """Everything `triage show --json` tells of one submission (id or external id; only within `callout_id` when
    one is given), for the CLI and `Archive.piece` alike. NotFound when there is none."""
    with store.db.session() as session:
        return submission_dict(session, lookup(session, ref, callout_id))


def facts(store: Store, submission_ids: Iterable[str]) -> dict[str, PieceFacts]:
    """The facts of each given submission that exists."""
    ids = list(dict.fromkeys(submission_ids))
    out: dict[str, PieceFacts] = {}
    if not ids:
        return out
    with store.db.session() as session:
        rows = list(session.scalars(select(Submission).where(Submission.id.in_(ids))))
        found = artifacts_by_sha(session, {r.sha256 for r in rows if r.sha256},
                                 ("poster", "waveform", "thumbs", "text"))
        for row in rows:
            made = found.get(row.sha256 or "", {})
            thumbs = (made["thumbs"].data or {}).get("frames", []) if "thumbs" in made else []
            text = ((made["text"].data or {}).get("text") or "") if "text" in made else ""
            out[row.id] = PieceFacts(
                row.id, row.callout_id, row.external_id or row.id,
                row.title or row.original_filename or row.external_id or row.id, row.contributor, row.media_type,
                row.status, (row.probe or {}).get("duration"), "poster" in made,
                tuple((made["waveform"].data or {}).get("peaks", [])) if "waveform" in made else (),
                tuple(sorted((Frame(i, float(t["time"])) for i, t in enumerate(thumbs)), key=lambda f: f.time)),
                text[:EXCERPT_CHARS])
    return out
