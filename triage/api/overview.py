"""Call-outs as a caller may see them: submitters the open ones only, curators with counts and running jobs."""

from __future__ import annotations

from typing import Any

from triage.jobs import queue
from triage.service import Store
from triage.service.callouts import callouts_with_counts, open_callouts
from triage.service.tokens import Principal


def callouts_overview(store: Store, who: Principal) -> list[dict[str, Any]]:
    """Call-outs as the caller may see them; curators and admins also get counts and active jobs."""
    if who.is_submitter:
        return open_callouts(store)
    found = callouts_with_counts(store)
    with store.db.session() as session:  # the queue's own tables (jobs/), read in its own session
        active = queue.active_for(session, [c["id"] for c in found])
    jobs: dict[str, list[dict[str, Any]]] = {}
    for job in active:
        jobs.setdefault(job.callout_id or "", []).append(queue.job_dict(job))
    return [{**c, "jobs": jobs.get(c["id"], [])} for c in found]
