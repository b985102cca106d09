"""Programme renders as durable jobs: queued once per programme, checked before they are queued (so a programme that
cannot render says why at once), with progress a page can show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.errors import Conflict
from triage.jobs import queue
from triage.service import programme_render
from triage.store import programmes as rows
from triage.store.schema import Job
from triage.store.store import Store

KIND = "render"
STEPS = 1000  # progress is a fraction; the queue counts in whole steps


def queue_render(store: Store, programme_id: str, settings: Settings | None = None) -> int:
    """Queue the programme's render; Conflict while one is queued or running, BadRequest when it cannot render."""
    programme_render.check(store, programme_id, programme_render.settings_of(settings))
    with store.db.session() as session:
        callout_id = rows.get_programme(session, programme_id).callout_id
        if last_render(session, programme_id, active_only=True) is not None:
            raise Conflict(f"{programme_id!r} is being rendered already; wait for it to finish")
    return queue.enqueue(store.db, KIND, callout_id=callout_id, params={"programme_id": programme_id}, total=STEPS)


def last_render(session: Session, programme_id: str, *, active_only: bool = False) -> Job | None:
    """The programme's newest render job (only a queued or running one, with `active_only`)."""
    query = select(Job).where(Job.kind == KIND).order_by(Job.id.desc()).limit(50)
    if active_only:
        query = query.where(or_(Job.status == queue.QUEUED, Job.status == queue.RUNNING))
    return next((job for job in session.scalars(query) if (job.params or {}).get("programme_id") == programme_id),
                None)


def render_status(store: Store, programme_id: str) -> dict[str, Any]:
    """The newest render job (id, status, progress, error) beside the last finished render's manifest."""
    with store.db.session() as session:
        rows.get_programme(session, programme_id)
        job = last_render(session, programme_id)
        said = ({"job": job.id, "status": job.status, "error": job.error,
                 "progress": round(job.done / job.total, 4) if job.total else None} if job is not None
                else {"job": None, "status": None, "error": None, "progress": None})
    made = programme_render.rendered(store, programme_id) or {}
    return {**said, "files": made.get("files", []), "duration_s": made.get("duration_s"),
            "loudness_lufs": made.get("loudness_lufs"), "true_peak_db": made.get("true_peak_db"),
            "warnings": made.get("warnings", []), "rendered_at": made.get("rendered_at")}
