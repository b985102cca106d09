"""Call-outs as a caller may see them: submitters the open ones only, curators with counts and running jobs."""

from __future__ import annotations

from typing import Any

from triage.api.tokens import Principal
from triage.jobs import queue
from triage.service.views import callout_dict
from triage.store.callouts import list_callouts, status_counts
from triage.store.schema import Callout


def public(c: Callout) -> dict[str, Any]:
    # What a submitter may know about a call-out: nothing about other people's submissions.
    return {k: v for k, v in callout_dict(c).items() if k in ("id", "title", "brief", "open")}


def callouts_overview(store: Any, who: Principal) -> list[dict[str, Any]]:
    """Call-outs as the caller may see them; curators and admins also get counts and active jobs."""
    with store.db.session() as session:
        rows = list_callouts(session)
        if who.is_submitter:
            return [public(c) for c in rows if c.is_open]
        counts = status_counts(session)
        active = queue.active_for(session, [c.id for c in rows])
        jobs: dict[str, list[dict[str, Any]]] = {}
        for job in active:
            jobs.setdefault(job.callout_id or "", []).append(queue.job_dict(job))
        return [{**callout_dict(c), "submissions": sum(counts.get(c.id, {}).values()),
                 "counts": counts.get(c.id, {}), "jobs": jobs.get(c.id, [])} for c in rows]
