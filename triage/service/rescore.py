"""Score a call-out's whole pool once and keep the result, so shortlists of large pools open fast.

The snapshot (scores, duplicate groups, clusters) is a derived file under `<data dir>/scores/`, written
atomically and stamped with a signature of everything it depends on: the pool's submissions and bytes, their
derived rows (reprocessing with another model replaces them), the call-out's words, the curators' duplicate
verdicts on its submissions and the model names. A shortlist uses it only when the signature still matches;
otherwise it computes live. Deleting the folder loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.domain import Status
from triage.encoders.base import Encoders
from triage.scoring.cluster import Cluster, cluster_pool
from triage.scoring.dedup import DuplicateEdge, DuplicateGroup
from triage.scoring.relevance import score_pool
from triage.scoring.types import Explanation, Scored
from triage.service.duplicates import pool_groups
from triage.service.gc_pause import collector_paused
from triage.service.kept_clusters import as_cluster
from triage.service.pool import Pool, load_pool, model_names
from triage.service.queries import callout_query
from triage.service.verdicts import kept
from triage.store.callouts import get_callout
from triage.store.files import atomic_write
from triage.store.schema import Artifact, Callout, DuplicateOverride, Submission, Vector
from triage.store.store import Store

Progress = Callable[[int, int], None]


def derived_mark(session: Session, callout_id: str) -> list[tuple[object, ...]]:
    """Count and newest id of the vectors and artifacts of the call-out's ready contents: reprocessing (a new
    Whisper model, say) deletes and re-inserts them, so this changes with them while the bytes stay the same."""
    shas = select(Submission.sha256).where(Submission.callout_id == callout_id,
                                           Submission.status == Status.READY.value)
    return [tuple(session.execute(select(func.count(), func.max(table.id)).where(table.sha256.in_(shas))).one())
            for table in (Vector, Artifact)]


def signature(session: Session, callout: Callout, pool: Pool, models: Encoders,
              derived: list[tuple[object, ...]] | None = None) -> str:
    """A hash of everything a call-out's scores depend on. `derived`: the derived_mark read before the pool was
    loaded (so a reprocess that lands in between makes the snapshot look stale, never fresh); now if None."""
    verdicts = sorted((o.submission_a, o.submission_b, o.verdict) for o in session.scalars(select(DuplicateOverride))
                      if o.submission_a in pool.submissions or o.submission_b in pool.submissions)
    parts = {
        "pool": sorted((sid, row.sha256) for sid, row in pool.submissions.items()),
        "callout": [callout.title, callout.brief, callout.prompts, callout.negative_prompts, callout.exemplars],
        "others": sorted((c.id, c.title, c.brief) for c in session.scalars(select(Callout)) if c.id != callout.id),
        "verdicts": verdicts,
        "kept": sorted((sid, n) for sid, n in kept(session).items() if sid in pool.submissions),
        "models": [models.text.name, models.clip.name if models.clip else None],
        "derived": derived if derived is not None else derived_mark(session, callout.id),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def snapshot_path(store: Store, callout_id: str) -> Path:
    return store.data_dir / "scores" / f"{callout_id}.json"


def rescore(store: Store, models: Encoders, callout_id: str, progress: Progress | None = None) -> dict[str, Any]:
    """Compute and keep the scores, duplicate groups and clusters of one call-out's pool."""
    steps = 4
    report = progress or (lambda done, total: None)
    started = time.monotonic()
    report(0, steps)
    with collector_paused():  # millions of objects built: no full collections meanwhile (service/gc_pause.py)
        data, counts = _rescored(store, models, callout_id, report, steps)
    atomic_write(snapshot_path(store, callout_id), json.dumps(data).encode())
    report(4, steps)
    return {"callout": callout_id, **counts, "seconds": round(time.monotonic() - started, 2)}


def _rescored(store: Store, models: Encoders, callout_id: str, report: Progress,
              steps: int) -> tuple[dict[str, Any], dict[str, int]]:
    """The snapshot of one call-out's scores, groups and clusters, and how many of each."""
    with store.db.session() as session:
        callout = get_callout(session, callout_id)
        derived = derived_mark(session, callout_id)
        pool = load_pool(session, callout_id, models=model_names(models))
        query = callout_query(session, models, callout)
        sig = signature(session, callout, pool, models, derived)
        report(1, steps)
        groups = pool_groups(session, pool)
    report(2, steps)
    scored = score_pool(list(pool.items.values()), query)
    report(3, steps)
    clusters = cluster_pool(list(pool.items.values()), embed=models.text.encode)
    data = {"signature": sig, "computed_at": time.time(), "scored": [asdict(s) for s in scored],
            "groups": [asdict(g) for g in groups], "clusters": [asdict(c) for c in clusters]}
    return data, {"submissions": len(pool.items), "duplicate_groups": len(groups), "clusters": len(clusters)}


def load_snapshot(store: Store, callout_id: str,
                  sig: str) -> tuple[list[Scored], list[DuplicateGroup], list[Cluster]] | None:
    """The kept results if they were computed from exactly the current inputs, else None."""
    path = snapshot_path(store, callout_id)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("signature") != sig:
        return None
    scored = [Scored(s["item_id"], s["score"], s["per_modality"], Explanation(**s["why"])) for s in data["scored"]]
    groups = [DuplicateGroup(g["representative"], tuple(g["members"]), tuple(DuplicateEdge(**e) for e in g["edges"]))
              for g in data["groups"]]
    clusters = [as_cluster(c) for c in data["clusters"]]
    return scored, groups, clusters
