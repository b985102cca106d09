"""Erase pieces on request (a contributor's, or named ones): their media, everything derived, every row about
them; their submissions stay as tombstones (erase_rows.py says what a tombstone keeps).

The order makes a kill harmless: the content hashes whose files must go are written to `erasing.json` in the
data dir, then one transaction makes the tombstones and deletes the rows, then the files go (and lineage's saved
sound index), then the kept scores that name the pieces and the index entries of their vectors, and last the
database's own leftovers (compact). An erasure killed after its transaction is finished by the next one (an
idempotent run again does it), which deletes the listed files whose contents no row names any more.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from triage.errors import BadRequest
from triage.service import erase_rows as rows
from triage.service.index import SPACES, sync
from triage.service.lineage_saved import drop_saved_indexes
from triage.service.programme_render import FOLDER as RENDERS
from triage.store.files import atomic_write
from triage.store.schema import Content
from triage.store.store import Store

log = logging.getLogger(__name__)
PENDING = "erasing.json"
KINDS = ("contents", "originals", "derived_files", "transcripts", "texts", "fingerprints", "waveforms",
         "other_artifacts", "vectors", "index_entries", "score_snapshots", "duplicate_verdicts", "kept_copies",
         "notes", "votes", "assignments", "exemplar_marks", "decision_notes", "jobs", "programme_places",
         "renders", "contributor_merges")


@dataclass
class ErasureReport:
    erased: list[str] = field(default_factory=list)  # submission ids that became tombstones now
    already_erased: list[str] = field(default_factory=list)  # named, but tombstones before this run
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    kept_shared: int = 0  # contents kept because another live submission sent the same bytes
    decisions_kept: int = 0  # decision rows that now name a tombstone
    callouts: list[str] = field(default_factory=list)
    database_compacted: bool = True
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def erase(store: Store, *, submissions: Iterable[str] = (), contributors: Iterable[str] = (), index_dir: Path,
          exact_max: int = 50_000, threads: int = 2) -> ErasureReport:
    """Erase the named submissions (ids or external ids) and every submission of the named contributors."""
    started = time.monotonic()
    submissions, contributors = list(submissions), list(contributors)
    if not submissions and not contributors:
        raise BadRequest("name what to erase: a submission (--submission ID) or a contributor (--contributor NAME)")
    report = ErasureReport()
    removed: Counter[str] = Counter()
    with store.files.maintenance("erase"):
        removed.update(_finish_pending(store))
        with store.files.alone() as alone:
            analysing = not alone  # an ingest or a job is analysing files right now
        with rows.erasing(store.db) as session:
            targets = rows.resolve(session, submissions, contributors)
            rows.check_idle(session, targets, analysing)
            if targets.gone:
                atomic_write(store.data_dir / PENDING, json.dumps(sorted(targets.gone)).encode())
            done, report.decisions_kept = rows.tombstone(session, targets)
            removed.update(done)
        removed.update(_remove_files(store, targets.gone))
        if targets.gone:
            drop_saved_indexes(store)  # the saved indexes hold their postings; the next catch-up saves anew
        removed["renders"] += _drop_renders(store, targets.programmes)
        removed["score_snapshots"] += _drop_scores(store, set(targets.ids) | targets.gone, targets.callouts)
        if removed["vectors"]:
            removed["index_entries"] += _drop_from_indexes(store, index_dir, exact_max, threads)
        report.database_compacted = rows.compact(store.db)
        (store.data_dir / PENDING).unlink(missing_ok=True)
    report.erased, report.already_erased = targets.ids, targets.already
    report.kept_shared, report.callouts = len(targets.shas - targets.gone), sorted(targets.callouts)
    report.removed = {kind: removed[kind] for kind in KINDS}
    report.seconds = round(time.monotonic() - started, 2)
    if not report.database_compacted:
        log.warning("the database's write-ahead log could not be emptied (a reader held it); the erased rows' "
                    "old pages stay in it until the next checkpoint")
    return report


def _remove_files(store: Store, shas: Iterable[str]) -> Counter[str]:
    removed: Counter[str] = Counter()
    for sha in sorted(shas):
        originals, derived = store.files.remove_content(sha)
        removed["originals"] += originals
        removed["derived_files"] += derived
    return removed


def _drop_renders(store: Store, programme_ids: Iterable[str]) -> int:
    """Delete the renders of programmes an erased piece was in: a rough cut, a book or an album holds its pictures,
    sound and words (render it again without them)."""
    dropped = 0
    for programme_id in sorted(programme_ids):
        folder = store.data_dir / RENDERS / programme_id
        if folder.exists():
            shutil.rmtree(folder)
            dropped += 1
    return dropped


def _finish_pending(store: Store) -> Counter[str]:
    """The files an erasure killed after its transaction left behind: those of the listed contents that no row
    names any more (a listed content still known is one whose erasure was rolled back, and stays)."""
    path = store.data_dir / PENDING
    try:
        listed = json.loads(path.read_text())
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return Counter()
    with store.db.session() as session:
        gone = [sha for sha in listed if isinstance(sha, str) and session.get(Content, sha) is None]
    removed = _remove_files(store, gone)
    if gone:
        drop_saved_indexes(store)
    path.unlink(missing_ok=True)
    if gone:
        log.warning("finished an earlier erasure that was interrupted: removed the files of %d contents", len(gone))
    return removed


def _drop_scores(store: Store, needles: set[str], callouts: set[str]) -> int:
    """Delete the kept scores (derived, recomputed on demand) of the pieces' call-outs and any that names them."""
    folder = store.data_dir / "scores"
    dropped = 0
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        # A temp file is a re-score being saved: another call-out's (theirs are refused), unless it names them.
        if path.suffix == ".tmp" or path.stem not in callouts:
            try:
                said = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if not any(n in said for n in needles):
                continue
        path.unlink(missing_ok=True)
        dropped += 1
    return dropped


def _drop_from_indexes(store: Store, index_dir: Path, exact_max: int, threads: int) -> int:
    """Remove the deleted vectors from each index that exists (one that does not is built when first needed)."""
    dropped = 0
    for space in SPACES:
        if (index_dir / f"{space}.faiss").exists():
            _, report = sync(store, index_dir, space, exact_max=exact_max, threads=threads)
            dropped += report.removed
    return dropped
