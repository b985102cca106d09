"""The files of a submission a caller may fetch: the original as received, its poster and its frame thumbnails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.errors import NotFound
from triage.service.listing import visible_submission
from triage.service.tokens import Principal
from triage.store.artifacts import artifacts
from triage.store.store import Store


@dataclass(frozen=True)
class Original:
    """Where a submission's original lies, its media type and the name it was uploaded with."""

    path: Path
    mime: str
    filename: str | None


def original(store: Store, submission_id: str, who: Principal) -> Original:
    """The stored original of a submission the caller may see; NotFound when none was stored."""
    with store.db.session() as session:
        row = visible_submission(session, submission_id, who)
        if not row.sha256:
            raise NotFound(f"submission {submission_id} has no stored file ({row.error or row.status})")
        mime = (row.probe or {}).get("mime") or "application/octet-stream"
        return Original(store.files.original_path(row.sha256), mime, row.original_filename)


def poster(store: Store, submission_id: str, who: Principal) -> Path:
    """The JPEG poster frame of a video or image the caller may see."""
    relative, _ = _derived(store, submission_id, who)
    if relative is None:
        raise NotFound(f"submission {submission_id} has no poster (audio and text have none)")
    return store.files.resolve(relative)


def frame(store: Store, submission_id: str, index: int, who: Principal) -> Path:
    """The index-th representative frame thumbnail of a video the caller may see."""
    _, frames = _derived(store, submission_id, who)
    if index >= len(frames):
        raise NotFound(f"submission {submission_id} has {len(frames)} frame thumbnails; no number {index}")
    return store.files.resolve(frames[index]["path"])


def _derived(store: Store, submission_id: str, who: Principal) -> tuple[str | None, list[dict[str, Any]]]:
    """(poster path, frame thumbnails) of a submission the caller may see."""
    with store.db.session() as session:
        row = visible_submission(session, submission_id, who)
        found = artifacts(session, row.sha256) if row.sha256 else {}
        poster = found["poster"].path if "poster" in found else None
        thumbs = found["thumbs"].data if "thumbs" in found else None
        return poster, list((thumbs or {}).get("frames", []))
