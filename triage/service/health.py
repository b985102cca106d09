"""What the service can say about itself without authentication: the queue, the models' reach, and what stops it
from writing (a read-only database, a disk running out of room)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import func, select

from triage.service.model_drift import model_drift
from triage.store.schema import Job
from triage.store.store import Store


def problems(store: Store, min_free_bytes: int) -> list[str]:
    """Why writes fail or will soon, in words; empty when the service can write."""
    found = []
    cannot = store.db.write_problem()
    if cannot:
        found.append(cannot)
    free = shutil.disk_usage(store.data_dir).free
    if free < min_free_bytes:
        found.append(f"the data dir's disk has {free / 1e6:.0f} MB free (under TRIAGE_MIN_FREE_BYTES, "
                     f"{min_free_bytes / 1e6:.0f} MB): uploads and ingest will fail")
    return found


def queue_depth(store: Store) -> tuple[dict[str, int], float]:
    """Jobs by status, and how long the oldest queued job has waited (0 when none waits)."""
    with store.db.session() as session:
        counts = {str(k): int(v) for k, v in session.execute(select(Job.status, func.count()).group_by(Job.status))}
        oldest = session.scalar(select(func.min(Job.created_at)).where(Job.status == "queued"))
    if oldest is None:
        return counts, 0.0
    if oldest.tzinfo is None:  # SQLite reads it back naive, in UTC
        oldest = oldest.replace(tzinfo=UTC)
    return counts, max(0.0, (datetime.now(UTC) - oldest).total_seconds())


def health(store: Store, encoders: Mapping[str, str], min_free_bytes: int) -> dict[str, object]:
    """The queue by status, per vector space how many stored pieces another model embedded, and the problems."""
    with store.db.session() as session:
        drift = model_drift(session, encoders)
    counts, _ = queue_depth(store)
    trouble = problems(store, min_free_bytes)
    return {"status": "degraded" if trouble else "ok", "problems": trouble, "jobs": counts,
            "models": {space: d.to_dict() for space, d in drift.items()}}
