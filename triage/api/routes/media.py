"""Media: the original bytes (HTTP range requests, so players can seek), the poster and frame thumbnails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from triage.api.deps import Anyone, StoreDep
from triage.api.schemas import errors
from triage.errors import NotFound
from triage.service import files

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


@router.get("/submissions/{submission_id}/media", response_class=FileResponse,
            responses={200: {"description": "the file, of its own media type", "content": {"*/*": BINARY}}, **RANGE})
@router.head("/submissions/{submission_id}/media", include_in_schema=False)
def original(submission_id: str, store: StoreDep, who: Anyone) -> FileResponse:
    """The submitted file as it was received, seekable with Range requests."""
    found = files.original(store, submission_id, who)
    return _file(found.path, found.mime, found.filename)


@router.get("/submissions/{submission_id}/poster", response_class=FileResponse, responses={**JPEG, **RANGE})
@router.head("/submissions/{submission_id}/poster", include_in_schema=False)
def poster(submission_id: str, store: StoreDep, who: Anyone) -> FileResponse:
    """A JPEG poster frame (videos and images)."""
    return _file(files.poster(store, submission_id, who), "image/jpeg")


@router.get("/submissions/{submission_id}/frames/{index}", response_class=FileResponse,
            responses={**JPEG, **RANGE, **errors(422)})
@router.head("/submissions/{submission_id}/frames/{index}", include_in_schema=False)
def frame(submission_id: str, index: Annotated[int, PathParam(ge=0, le=10_000)], store: StoreDep,
          who: Anyone) -> FileResponse:
    """The index-th representative frame thumbnail of a video."""
    return _file(files.frame(store, submission_id, index, who), "image/jpeg")
