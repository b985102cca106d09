"""Keep each space's FAISS index in step with the vectors table (the source of truth).

Files per space in the index dir: `<space>.faiss` (the index) and `<space>.ids.npy` (the ids it holds, so a
sync can add what is new and remove what is gone instead of rebuilding). Both are written atomically, each with
a checksum of its bytes; when they disagree, or either fails its checksum, the index is rebuilt from the database
(and the log says why).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select

from triage.errors import ChecksumMismatch, NotFound, ProcessingFailed
from triage.metrics import INDEX_REBUILDS
from triage.pipeline import encoder_of
from triage.store.files import atomic_write
from triage.store.rows import batches
from triage.store.schema import Vector
from triage.store.store import Store
from triage.vectors import VectorIndex, seal, unseal

SPACES = ("text", "clip")
log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    space: str
    kind: str
    size: int
    added: int
    removed: int
    rebuilt: bool


def _paths(index_dir: Path, space: str) -> tuple[Path, Path]:
    return index_dir / f"{space}.faiss", index_dir / f"{space}.ids.npy"


def _db_ids(store: Store, space: str) -> np.ndarray:
    """The ids an index of the space holds: the vectors of the encoder that wrote the newest one. While
    `triage reprocess` moves the archive to another model, the vectors of two models (of two sizes, maybe) are
    in the table; one index holds one model's."""
    newest = _newest_encoder(store, space)
    with store.db.session() as session:
        stored = [m for m in session.scalars(select(Vector.model).where(Vector.space == space).distinct())
                  if encoder_of(m) == newest]
        ids = session.scalars(select(Vector.id).where(Vector.space == space, Vector.model.in_(stored))
                              .order_by(Vector.id))
        return np.fromiter(ids, dtype=np.int64)


def _newest_encoder(store: Store, space: str) -> str | None:
    """The encoder of the space's newest vector: the one the archive is moving to, when it changes."""
    with store.db.session() as session:
        model = session.scalar(select(Vector.model).where(Vector.space == space).order_by(Vector.id.desc()).limit(1))
    return encoder_of(model) if model is not None else None


def _vectors(store: Store, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The rows of those ids that are still there, and those ids: an ingest or reprocessing running beside us may
    have replaced some since they were listed (their successors arrive with the next sync)."""
    rows: dict[int, bytes] = {}
    with store.db.session() as session:
        for start in range(0, len(ids), 1000):
            batch = [int(i) for i in ids[start:start + 1000]]
            for vid, blob in session.execute(select(Vector.id, Vector.vector).where(Vector.id.in_(batch))):
                rows[vid] = blob
    found = np.array([i for i in ids.tolist() if i in rows], dtype=np.int64)
    if not len(found):
        return found, None
    return found, np.stack([np.frombuffer(rows[i], dtype="<f4") for i in found.tolist()]).astype(np.float32)


def _load(index_dir: Path, space: str, exact_max: int, threads: int) -> tuple[VectorIndex, np.ndarray] | None:
    index_path, ids_path = _paths(index_dir, space)
    try:
        index = VectorIndex.load(index_path, exact_max=exact_max, threads=threads)
        ids = np.load(io.BytesIO(unseal(ids_path.read_bytes(), str(ids_path))))
    except NotFound:
        return None  # not built yet
    except ChecksumMismatch as exc:
        log.warning("%s: rebuilding the %s index from the database", exc, space)  # derived data
        INDEX_REBUILDS.labels("checksum").inc()
        return None
    except (ProcessingFailed, OSError, ValueError) as exc:
        log.warning("the %s index in %s is unreadable (%s): rebuilding it from the database", space, index_dir, exc)
        INDEX_REBUILDS.labels("unreadable").inc()
        return None
    return (index, ids) if len(index) == len(ids) else None


def _save(index_dir: Path, space: str, index: VectorIndex, ids: np.ndarray) -> None:
    index_path, ids_path = _paths(index_dir, space)
    index.save(index_path)
    buffer = io.BytesIO()
    np.save(buffer, np.sort(ids))
    atomic_write(ids_path, seal(buffer.getvalue()))


def check(store: Store, index_dir: Path, space: str, *, exact_max: int, threads: int = 2) -> str | None:
    """What is wrong with one space's saved index, in words; None when it is fine, or not built (it is built and
    kept in step on use, so an index behind the database is no fault)."""
    index_path, ids_path = _paths(index_dir, space)
    if not index_path.exists():
        return None
    try:
        index = VectorIndex.load(index_path, exact_max=exact_max, threads=threads)
        ids = np.load(io.BytesIO(unseal(ids_path.read_bytes(), str(ids_path))))
    except ChecksumMismatch:
        return "no longer matches its checksum"
    except (NotFound, ProcessingFailed, OSError, ValueError) as exc:
        return f"cannot be read ({exc})"
    return None if len(index) == len(ids) else f"holds {len(index)} vectors for {len(ids)} ids"


def sync(store: Store, index_dir: Path, space: str, *, exact_max: int, threads: int = 2,
         rebuild: bool = False) -> tuple[VectorIndex | None, SyncReport]:
    """Bring one space's index up to date with the database (or rebuild it) and save it if it changed."""
    wanted = _db_ids(store, space)
    loaded = None if rebuild else _load(index_dir, space, exact_max, threads)
    if not len(wanted):
        return None, SyncReport(space, "none", 0, 0, 0, loaded is None)
    if loaded is None:
        wanted, rows = _vectors(store, wanted)
        if rows is None:
            return None, SyncReport(space, "none", 0, 0, 0, True)
        index = VectorIndex.build(wanted, rows, exact_max=exact_max, threads=threads)
        _save(index_dir, space, index, wanted)
        return index, SyncReport(space, index.kind, len(index), len(wanted), 0, True)
    index, held = loaded
    new = np.setdiff1d(wanted, held, assume_unique=True)
    fresh = None
    if len(new):
        found, fresh = _vectors(store, new)
        wanted = np.setdiff1d(wanted, np.setdiff1d(new, found, assume_unique=True), assume_unique=True)
        new = found
    gone = np.setdiff1d(held, wanted, assume_unique=True)
    if fresh is not None and fresh.shape[1] != index.dim:  # another model's vectors: start again with them
        return sync(store, index_dir, space, exact_max=exact_max, threads=threads, rebuild=True)
    if len(gone):
        index.remove(gone)
    if fresh is not None:
        index.add(new, fresh)
    if index.outgrown:  # IVF lists trained for a quarter of today's vectors: retrain on all of them
        wanted, rows = _vectors(store, wanted)
        if rows is None:
            return None, SyncReport(space, "none", 0, 0, 0, True)
        index = VectorIndex.build(wanted, rows, exact_max=exact_max, threads=threads)
        _save(index_dir, space, index, wanted)
        return index, SyncReport(space, index.kind, len(index), len(new), len(gone), True)
    if len(new) or len(gone):
        _save(index_dir, space, index, wanted)
    return index, SyncReport(space, index.kind, len(index), len(new), len(gone), False)


def sync_all(store: Store, index_dir: Path, *, exact_max: int, threads: int = 2,
             rebuild: bool = False) -> list[SyncReport]:
    return [sync(store, index_dir, space, exact_max=exact_max, threads=threads, rebuild=rebuild)[1]
            for space in SPACES]


def synced_indexes(store: Store, index_dir: Path, models: Mapping[str, str], *, exact_max: int,
                   threads: int = 2) -> dict[str, VectorIndex]:
    """Each space's index, brought up to date with the database, where it holds the vectors of the model that
    embeds queries now (`models`: space -> encoder name). A space in the middle of a change of model is left out."""
    out = {}
    for space in SPACES:
        if _newest_encoder(store, space) != models.get(space):  # the index holds another model's vectors
            continue
        index = sync(store, index_dir, space, exact_max=exact_max, threads=threads)[0]
        if index is not None:
            out[space] = index
    return out


def nearest_contents(store: Store, indexes: Mapping[str, VectorIndex], queries: dict[str, np.ndarray | None], *,
                     want: int, per_result: int = 20) -> set[str] | None:
    """Contents with a chunk or frame nearest to any query row, per space: the short list a big pool is scored on.

    `per_result` candidates per wanted result leave room for the re-ranking (contrast, feedback, duplicates)
    to reorder them. None when no index can answer these queries (none holds the query model's vectors): the
    caller then scores the whole pool, slower but right.
    """
    found: list[int] = []
    usable = False
    for space, rows in queries.items():
        index = indexes.get(space)
        if rows is None or not len(rows) or index is None:  # e.g. a picture as the query has no words
            continue
        usable = True
        # Never more than the index holds: `want` grows with the page asked for (any offset), and FAISS
        # allocates k results per query row up front.
        k = min(len(index), max(100, want * per_result))
        if k:
            found += [int(i) for i in np.unique(index.search(rows, k=k)[1]) if i >= 0]
    if not usable:
        return None
    with store.db.session() as session:
        return {sha for batch in batches(found)
                for sha in session.scalars(select(Vector.sha256).where(Vector.id.in_(batch)))}
