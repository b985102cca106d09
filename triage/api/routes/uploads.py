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
from sqlalchemy.orm import Session

from triage import runtime
from triage.api.deps import Anyone, AppState, StateDep
from triage.api.public_submissions import UploadPublic
from triage.api.quota import Allowance
from triage.api.routes.submissions import for_caller, summary
from triage.api.schemas import errors
from triage.api.tokens import Principal
from triage.api.upload import declared_length, full_disk_is_ours, receive, too_large
from triage.domain import Status
from triage.errors import Conflict, InvalidSubmission
from triage.jobs import queue
from triage.media.probe import probe
from triage.store import submissions as subs
from triage.store.callouts import get_callout

router = APIRouter(tags=["uploads"])

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary"},
                **{name: {"type": "string", "maxLength": limit} for name, limit in subs.FIELD_LIMITS.items()},
            },
        }}},
    }
}


def _in_hand(session: Session, callout_id: str, submission_id: str) -> bool:
    """Whether a queued or running job is analysing this submission. A server stopped between saving an upload
    and queueing its job left it "received" with none: the same upload again must queue it, not answer 200."""
    return any(j.kind == "process_upload" and (j.params or {}).get("submission_id") == submission_id
               for j in queue.active_for(session, [callout_id]))


def _field(fields: dict[str, str], name: str) -> str | None:
    value, limit = fields.get(name, "").strip(), subs.FIELD_LIMITS[name]
    if len(value) > limit:
        raise InvalidSubmission(f"{name} is longer than {limit} characters")
    return value or None


@router.post("/callouts/{callout_id}/uploads", status_code=202, openapi_extra=UPLOAD_BODY, response_model=UploadPublic,
             responses={200: {"model": UploadPublic,
                              "description": "the same file sent again by the same person: what exists"},
                        **errors(409, 413, 415, 422, 429, 503, 507, s413="too large",
                                 s422="corrupt, empty or otherwise invalid (or a body that is no multipart form)")})
async def upload(callout_id: str, request: Request, state: StateDep, who: Anyone) -> JSONResponse:
    """Upload one file to a call-out (submitters: open call-outs only). Answers 202 with the submission and
    the job analysing it; the same file uploaded again by the same person answers 200 with what exists. A
    submitter with too many uploads waiting for analysis, or past their bytes for 24 hours, gets 429."""
    with state.store.db.session() as session:
        callout = get_callout(session, callout_id)
        if who.is_submitter and not callout.is_open:
            raise Conflict(f"call-out {callout_id!r} is closed and takes no more uploads")
    with _allowance(state, who, request) as allowance:
        return await _take(callout_id, request, state, who, allowance)


def _allowance(state: AppState, who: Principal, request: Request) -> AbstractContextManager[Allowance]:
    """What this upload may send: submitters within their limits (429 beyond), anyone else up to the file limit."""
    max_file = state.settings.max_file_bytes
    if not who.is_submitter:
        return nullcontext(Allowance(max_file, too_large))
    return state.quota.upload(state.store.db, who.token_id, max_file, too_large, declared_length(request))


async def _take(callout_id: str, request: Request, state: AppState, who: Principal,
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
    external_id = _field(got.fields, "external_id")
    key = f"upload:{who.token_id}:" + (f"ext:{external_id}" if external_id else f"file:{got.filename}:{sha256}")
    needs_job = False
    with store.db.session() as session:
        content = subs.get_or_create_content(session, sha256, size)
        row, created = subs.get_or_create(
            session, callout_id, key, sha256=sha256, size=size, external_id=external_id,
            title=_field(got.fields, "title"), contributor=_field(got.fields, "contributor"),
            original_filename=got.filename, uploaded_by=who.token_id, media_type=found.media_type.value,
            probe=found.to_dict())
        if not created and row.sha256 != sha256:
            raise Conflict(f"external id {external_id!r} was already used for a different file")
        # A submitter's new upload of bytes already analysed waits for a job like any other: settled at once, its
        # "ready" would tell the submitter that someone else has sent these bytes before.
        if content.status in subs.FINAL and not (created and who.is_submitter):
            subs.settle_from_content(session, content)
        elif created or row.status == Status.FAILED.value or not _in_hand(session, callout_id, row.id):
            needs_job = True  # queued below, once these rows are committed
        data = for_caller(summary(row), who)
    job_id = None
    if needs_job:
        job_id = queue.enqueue(store.db, "process_upload", callout_id=callout_id,
                               params={"sha256": sha256, "name": got.filename, "submission_id": data["submission_id"]},
                               total=1)
        state.wake_workers()
    body: dict[str, Any] = {"submission": data, "job": job_id, "media_type": found.media_type.value}
    return JSONResponse(jsonable_encoder(body), status_code=202 if created else 200)
