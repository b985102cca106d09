"""Media: the original bytes (HTTP range requests, so players can seek), the poster and frame thumbnails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from triage.api.deps import Anyone, StoreDep
from triage.api.queries import visible_submission
from triage.api.schemas import errors
from triage.api.tokens import Principal
from triage.errors import NotFound
from triage.store import artifacts as art
from triage.store.store import Store

router = APIRouter(tags=["media"])
Responses = dict[int | str, dict[str, Any]]
BINARY = {"schema": {"type": "string", "format": "binary"}}
RANGE: Responses = {
    206: {"description": "the byte range asked for (Range), with Content-Range", "content": {"*/*": BINARY}},
    416: {"description": "a Range outside the file", "content": {"text/plain": {"schema": {"type": "string"}}}},
}
JPEG: Responses = {200: {"description": "a JPEG thumbnail", "content": {"image/jpeg": BINARY}}}
CACHE = "private, max-age=3600"
# Submitters' bytes are served from the curators' own origin: they must never be read as anything but their stated
# type (no MIME sniffing), and a browser that opens one on its own runs nothing in it: a sandbox without scripts,
# forms or plugins. allow-same-origin only lets a video opened in a tab of its own still fetch its bytes.
HEADERS = {"Cache-Control": CACHE, "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "sandbox allow-same-origin"}
# Every media URL answers HEAD too (size and type without the bytes, as link checkers and download tools ask):
# FastAPI routes answer only the methods they name. FileResponse sends no body to a HEAD.


def _file(path: Path, media_type: str, filename: str | None = None) -> FileResponse:
    if not path.is_file():
        raise NotFound("the file is not in the store (was the data directory moved or pruned?)")
    # FileResponse answers Range requests itself: 206 with Content-Range, Accept-Ranges on every reply.
    return FileResponse(path, media_type=media_type, filename=filename, content_disposition_type="inline",
                        headers=HEADERS)


def _derived(store: Store, submission_id: str, who: Principal) -> tuple[str | None, list[dict[str, Any]]]:
    """(poster path, frame thumbnails) of a submission the caller may see."""
    with store.db.session() as session:
        row = visible_submission(session, submission_id, who)
        found = art.artifacts(session, row.sha256) if row.sha256 else {}
        poster = found["poster"].path if "poster" in found else None
        thumbs = found["thumbs"].data if "thumbs" in found else None
        return poster, list((thumbs or {}).get("frames", []))


@router.get("/submissions/{submission_id}/media", response_class=FileResponse,
            responses={200: {"description": "the file, of its own media type", "content": {"*/*": BINARY}}, **RANGE})
@router.head("/submissions/{submission_id}/media", include_in_schema=False)
def original(submission_id: str, store: StoreDep, who: Anyone) -> FileResponse:
    """The submitted file as it was received, seekable with Range requests."""
    with store.db.session() as session:
        row = visible_submission(session, submission_id, who)
        if not row.sha256:
            raise NotFound(f"submission {submission_id} has no stored file ({row.error or row.status})")
        mime = (row.probe or {}).get("mime") or "application/octet-stream"
        path, name = store.files.original_path(row.sha256), row.original_filename
    return _file(path, mime, name)


@router.get("/submissions/{submission_id}/poster", response_class=FileResponse, responses={**JPEG, **RANGE})
@router.head("/submissions/{submission_id}/poster", include_in_schema=False)
def poster(submission_id: str, store: StoreDep, who: Anyone) -> FileResponse:
    """A JPEG poster frame (videos and images)."""
    relative, _ = _derived(store, submission_id, who)
    if relative is None:
        raise NotFound(f"submission {submission_id} has no poster (audio and text have none)")
    return _file(store.files.resolve(relative), "image/jpeg")


@router.get("/submissions/{submission_id}/frames/{index}", response_class=FileResponse,
            responses={**JPEG, **RANGE, **errors(422)})
@router.head("/submissions/{submission_id}/frames/{index}", include_in_schema=False)
def frame(submission_id: str, index: Annotated[int, PathParam(ge=0, le=10_000)], store: StoreDep,
          who: Anyone) -> FileResponse:
    """The index-th representative frame thumbnail of a video."""
    _, frames = _derived(store, submission_id, who)
    if index >= len(frames):
        raise NotFound(f"submission {submission_id} has {len(frames)} frame thumbnails; no number {index}")
    return _file(store.files.resolve(frames[index]["path"]), "image/jpeg")
