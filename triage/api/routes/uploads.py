"""Uploads: stream the file to disk under the size limit, sniff it with the normal probe, store it by hash,
and queue a job that analyses it. Bad files are refused at once with the probe's reason (413/415/422), and a
submitter over their limits before the body is read where its declared size tells (429, triage/api/quota.py)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from triage import runtime
from triage.api.deps import Anyone, AppState, StateDep
from triage.api.public_submissions import UploadPublic
from triage.api.quota import Allowance
from triage.api.schemas import errors
from triage.api.upload import declared_length, full_disk_is_ours, receive, too_large
from triage.errors import Conflict
from triage.jobs.uploads import StoredUpload, accept
from triage.media.probe import probe
from triage.service.tokens import Principal
from triage.service.uploads import FIELD_LIMITS, field_value
from triage.service.views import callout_view

router = APIRouter(tags=["uploads"])

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary"},
                **{name: {"type": "string", "maxLength": limit} for name, limit in FIELD_LIMITS.items()},
            },
        }}},
    }
}


@router.post("/callouts/{callout_id}/uploads", status_code=202, openapi_extra=UPLOAD_BODY, response_model=UploadPublic,
             responses={200: {"model": UploadPublic,
                              "description": "the same file sent again by the same person: what exists"},
                        **errors(409, 413, 415, 422, 429, 503, 507, s413="too large",
                                 s422="corrupt, empty or otherwise invalid (or a body that is no multipart form)")})
async def upload(callout_id: str, request: Request, state: StateDep, who: Anyone) -> JSONResponse:
    """Upload one file to a call-out (submitters: open call-outs only). Answers 202 with the submission and
    the job analysing it; the same file uploaded again by the same person answers 200 with what exists. A
    submitter with too many uploads waiting for analysis, or past their bytes for 24 hours, gets 429."""
    callout = callout_view(state.store, callout_id)  # NotFound for an unknown call-out, before the body is read
    if who.is_submitter and not callout["open"]:
        raise Conflict(f"call-out {callout_id!r} is closed and takes no more uploads")
    with _allowance(state, who, request) as allowance:
        return await _receive_and_accept(callout_id, request, state, who, allowance)


def _allowance(state: AppState, who: Principal, request: Request) -> AbstractContextManager[Allowance]:
    """What this upload may send: submitters within their limits (429 beyond), anyone else up to the file limit."""
    max_file = state.settings.max_file_bytes
    if not who.is_submitter:
        return nullcontext(Allowance(max_file, too_large))
    return state.quota.upload(state.store.db, who.token_id, max_file, too_large, declared_length(request))


async def _receive_and_accept(callout_id: str, request: Request, state: AppState, who: Principal,
                allowance: Allowance) -> JSONResponse:
    """Receive, check and store the file, then record the submission and queue its analysis."""
    store, settings = state.store, state.settings
    limits = runtime.limits(settings)
    with store.files.active():  # keeps a concurrent sweep away from our temp file
        temp = store.files.temp_path(".upload")
        try:
            got = await receive(request, temp, allowance.cap, allowance.over)
            allowance.reserved = min(allowance.reserved, got.size)  # the rest is free for the token's others
            found = await run_in_threadpool(probe, got.path, limits, name=got.filename,
                                            allow_mislabelled=settings.allow_mislabelled)
            with full_disk_is_ours():
                sha256, size = await run_in_threadpool(store.files.put_original, got.path)
        finally:
            temp.unlink(missing_ok=True)
    upload = StoredUpload(sha256, size, got.filename, field_value(got.fields, "external_id"),
                          field_value(got.fields, "title"), field_value(got.fields, "contributor"),
                          found.media_type.value, found.to_dict())
    accepted = await run_in_threadpool(accept, store, callout_id, upload, uploader=who.token_id,
                                       submitter=who.is_submitter)
    if accepted.job_id is not None:
        state.wake_workers()
    body: dict[str, Any] = {"submission": accepted.submission, "job": accepted.job_id,
                            "media_type": found.media_type.value}
    created = accepted.created
    return JSONResponse(jsonable_encoder(body), status_code=202 if created else 200)
