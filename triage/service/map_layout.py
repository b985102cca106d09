"""Each call-out's pool map layout, kept as derived data, and when it is computed.

The layout (scoring.projection) is kept in `<data dir>/scores/<call-out>.map.json`, beside the kept scores: backups
carry it, an erasure drops it with the scores that name the erased pieces, and deleting it loses nothing. It is
stamped with a signature of what it was computed from (the ready pieces, their bytes, their vectors' rows, the
model names), read before the pool, so a piece that lands meanwhile makes it look stale, never fresh.

A pool of up to `INLINE_MAX` pieces is laid out where it is asked for (about a second); a larger one by the
`pool_map` job (jobs/handlers.py), and until that is done the map shows the last layout it kept.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.domain import Status
from triage.encoders.base import Encoders
from triage.scoring.projection import Layout, pool_layout
from triage.service.pool import load_pool, model_names
from triage.service.rescore import derived_mark
from triage.store.files import atomic_write
from triage.store.schema import Submission
from triage.store.store import Store

# First layouts measured on 2 busy cores (benchmarks/bench_pool_map.py): 300 pieces 0.7 s, 500 1.2 s, 1,000 9 s,
# 10,000 90 s. Up to 500 a request may wait for one; past that the job computes it.
INLINE_MAX = 500
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class KeptLayout:
    """A layout and the signature of the pool it was computed from."""

    signature: str
    layout: Layout
    computed_at: float


def layout_path(store: Store, callout_id: str) -> Path:
    return store.data_dir / "scores" / f"{callout_id}.map.json"


def laid_out(store: Store) -> list[str]:
    """The call-outs that have a kept layout."""
    return sorted(p.name.removesuffix(".map.json") for p in layout_path(store, "*").parent.glob("*.map.json"))


def signature(session: Session, callout_id: str, models: Encoders | None) -> tuple[str, int]:
    """A hash of everything the layout depends on, and the pool's size. Cheap: no vector is read."""
    query = select(Submission.id, Submission.sha256).where(Submission.callout_id == callout_id,
                                                           Submission.status == Status.READY.value)
    pieces = sorted(tuple(row) for row in session.execute(query))
    parts = {"pool": pieces, "derived": derived_mark(session, callout_id), "models": model_names(models)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest(), len(pieces)


def load(store: Store, callout_id: str, memo: dict[str, object] | None = None) -> KeptLayout | None:
    """The kept layout of the call-out, or None. `memo` (a cache's) saves parsing the file again while it is
    unchanged: a page polls while the job works."""
    path = layout_path(store, callout_id)
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = (memo or {}).get(callout_id)
        if isinstance(known, tuple) and known[0] == stamp:
            return known[1] if isinstance(known[1], KeptLayout) else None
        data = json.loads(path.read_bytes())
        kept = KeptLayout(str(data["signature"]), Layout(tuple(data["ids"]), tuple(data["digests"]),
                                                         np.array(data["xy"], dtype=np.float64).reshape(-1, 2)),
                          float(data["computed_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if memo is not None:
        memo.pop(callout_id, None)
        memo[callout_id] = (stamp, kept)
        for old in list(memo)[:-16]:  # a few call-outs' layouts in memory, not every one ever opened
            memo.pop(old, None)
    return kept


def save(store: Store, callout_id: str, kept: KeptLayout) -> None:
    """Keep the layout, written whole or not at all."""
    layout = kept.layout
    data = {"signature": kept.signature, "computed_at": kept.computed_at, "ids": list(layout.ids),
            "digests": list(layout.digests), "xy": [[round(float(x), 5), round(float(y), 5)] for x, y in layout.xy]}
    atomic_write(layout_path(store, callout_id), json.dumps(data, separators=(",", ":")).encode())


def refresh(store: Store, models: Encoders | None, callout_id: str, progress: Progress | None = None) -> dict[str, Any]:
    """Lay out the call-out's pool unless the kept layout is still its own, starting from the kept one (the points
    a curator has seen keep their place), and keep it. What the `pool_map` job and `triage map` do."""
    report = progress or (lambda done, total: None)
    started = time.monotonic()
    report(0, 3)
    with store.db.session() as session:
        sig, count = signature(session, callout_id, models)
        kept = load(store, callout_id)
        if kept is not None and kept.signature == sig:
            return {"callout": callout_id, "pieces": count, "computed": False, "seconds": 0.0}
        pool = load_pool(session, callout_id, models=model_names(models))
    report(1, 3)
    layout = pool_layout(list(pool.items.values()), kept.layout if kept is not None else None)
    report(2, 3)
    save(store, callout_id, KeptLayout(sig, layout, time.time()))
    report(3, 3)
    return {"callout": callout_id, "pieces": len(layout.ids), "computed": True,
            "seconds": round(time.monotonic() - started, 2)}


def stale(store: Store, models: Encoders | None, callout_id: str) -> tuple[bool, int]:
    """Whether the kept layout is missing or no longer the pool's, and the pool's size."""
    with store.db.session() as session:
        sig, count = signature(session, callout_id, models)
    kept = load(store, callout_id)
    return kept is None or kept.signature != sig, count
