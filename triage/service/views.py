"""The JSON shapes of a call-out, of a submission and of its decision, shared by the CLI (`--json`) and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from triage.domain import Status
from triage.store.artifacts import artifacts
from triage.store.callouts import get_callout
from triage.store.schema import Callout, Decision, Submission
from triage.store.store import Store


def callout_dict(c: Callout) -> dict[str, Any]:
    """A call-out as the CLI and the API show it."""
    return {"id": c.id, "title": c.title, "brief": c.brief, "prompts": c.prompts,
            "negative_prompts": c.negative_prompts, "exemplars": list(c.exemplars or ()), "open": c.is_open,
            "created_at": c.created_at, "updated_at": c.updated_at}


def callout_view(store: Store, callout_id: str) -> dict[str, Any]:
    """One call-out as the pages and the API show it (NotFound with the remedy when there is none)."""
    with store.db.session() as session:
        return callout_dict(get_callout(session, callout_id))


# What a submitter is told when processing failed because of us: the real reason is for the operators, who can
# see it in `triage show` and through a curator's token; a submitter is told only whose failure it was.
OUR_FAILURE = "processing failed on our side; the operators can see why"


def submission_summary(row: Submission) -> dict[str, Any]:
    """A submission in lists and in the answer to its upload."""
    probe = row.probe or {}
    return {"submission_id": row.id, "external_id": row.external_id or row.id, "callout": row.callout_id,
            "title": row.title, "contributor": row.contributor, "status": row.status, "error": row.error,
            "media_type": row.media_type, "duration": probe.get("duration"),
            "original_filename": row.original_filename, "created_at": row.created_at}


def as_seen_by(data: dict[str, Any], *, submitter: bool) -> dict[str, Any]:
    """A submission's JSON as its caller may see it: a submitter is not told why processing failed on our side."""
    if submitter and data["status"] == Status.FAILED.value:
        return {**data, "error": OUR_FAILURE}
    return data


def decision_dict(d: Decision | None) -> dict[str, Any]:
    """A submission's current decision (or its absence) as the API shows it."""
    if d is None:
        return {"decision": "unrated", "note": None, "decided_by": None, "decided_at": None}
    return {"decision": d.decision, "note": d.note, "decided_by": d.decided_by, "decided_at": d.created_at}


def submission_dict(session: Session, row: Submission) -> dict[str, Any]:
    """Everything `triage show` tells about one submission, transcript included."""
    found = artifacts(session, row.sha256) if row.sha256 else {}
    probe = row.probe or {}
    data: dict[str, Any] = {
        "submission_id": row.id, "external_id": row.external_id or row.id, "callout": row.callout_id,
        "title": row.title, "contributor": row.contributor, "status": row.status, "error": row.error,
        "media_type": row.media_type, "duration": probe.get("duration"), "original_filename": row.original_filename,
        "sha256": row.sha256, "size": row.size, "probe": row.probe,
        "created_at": row.created_at, "updated_at": row.updated_at,
    }
    transcript = found.get("transcript")
    data["transcript"] = transcript.data if transcript else None
    data["transcript_model"] = transcript.model if transcript else None
    text = found.get("text")
    data["text"] = text.data.get("text") if text and text.data else None
    printed = found.get("ocr")  # the lines read in its pictures, each with the time of the first frame showing it
    data["ocr"] = {"model": printed.model, "lines": (printed.data or {}).get("lines", [])} if printed else None
    visual = found.get("visual")
    data["visual"] = {"state": (visual.data or {}).get("state"), "model": visual.model} if visual else None
    data["files"] = {k: found[k].path for k in ("poster", "audio16k") if k in found}
    data["fingerprints"] = sorted((found["fingerprints"].data or {}).keys()) if "fingerprints" in found else []
    return data
