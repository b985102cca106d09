"""A pool's sub-theme clusters kept on disk, so that a restarted server (or a CLI run after it) does not cluster a
big pool again: at 100,000 pieces clustering takes seconds, and a pool is far more often read than changed.

Clusters depend on the pool alone (its pieces, vectors and words, and the models: the `pool` layer of
`service.cache.Signature`), on k, on whether the text encoder named them, and on the code that computes them.
`<data dir>/scores/<call-out>.clusters.json` holds the last ones computed, stamped with all four; they are used
only when the stamp matches. It is a derived file like `triage score`'s snapshot: erasure drops it when it names an
erased piece, backups carry it, and deleting it loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

from triage.scoring import cluster, key_words, labels, phrases, stopwords
from triage.scoring.cluster import Cluster
from triage.store.files import atomic_write
from triage.store.store import Store

log = logging.getLogger(__name__)
ARCHIVE = "_archive"  # the whole archive's clusters: no call-out id starts with "_"


def stamp(pool_signature: str, k: int | None, named: bool) -> str:
    """What kept clusters must have been computed from to stand for fresh ones."""
    return hashlib.sha256(repr((pool_signature, k, named, _code())).encode()).hexdigest()


@cache
def _code() -> str:
    """A hash of the source of the modules that make clusters: a changed recipe never reads an older one's."""
    digest = hashlib.sha256()
    for module in (cluster, key_words, labels, phrases, stopwords):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def clusters_path(store: Store, callout_id: str | None) -> Path:
    return store.data_dir / "scores" / f"{callout_id or ARCHIVE}.clusters.json"


def kept_or_made(store: Store, callout_id: str | None, expected: str,
                 make: Callable[[], list[Cluster]]) -> list[Cluster]:
    """The clusters kept for what `expected` (a `stamp`) stands for, else `make()`'s, kept for next time."""
    found = kept(store, callout_id, expected)
    if found is None:
        found = make()
        keep(store, callout_id, expected, found)
    return found


def kept(store: Store, callout_id: str | None, expected: str) -> list[Cluster] | None:
    """The kept clusters when they were computed from exactly what `expected` (a `stamp`) stands for, else None."""
    try:
        data = json.loads(clusters_path(store, callout_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("stamp") != expected:
        return None
    return [as_cluster(c) for c in data["clusters"]]


def keep(store: Store, callout_id: str | None, made: str, clusters: list[Cluster]) -> None:
    """Keep `clusters`, computed from what `made` (a `stamp`) stands for. Best effort: a full or read-only disk
    costs the next restart a clustering, nothing else."""
    data = {"stamp": made, "callout": callout_id, "clusters": [asdict(c) for c in clusters]}
    try:
        atomic_write(clusters_path(store, callout_id), json.dumps(data).encode())
    except OSError as exc:
        log.warning("could not keep the clusters of %s: %s", callout_id or "the archive", exc)


def as_cluster(data: dict[str, Any]) -> Cluster:
    """A cluster as `dataclasses.asdict` wrote it."""
    return Cluster(data["id"], data["label"], data["size"], tuple(data["members"]), tuple(data["key_words"]))
