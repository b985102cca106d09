"""Partial uploads a killed server left in the data dir's tmp/ folder, removed when a server starts.

`triage ingest` sweeps the whole store (Store.sweep), but only when nothing else writes into it; a server that
starts beside another one sharing the data dir must not take that one's uploads in progress for leftovers.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from triage.store.files import FileStore

log = logging.getLogger(__name__)

# An upload in progress writes its temp file as the bytes arrive and removes it within seconds of the last one
# (probe, copy into the store); a file nobody has touched for a day belongs to a process that died.
STALE_AFTER_S = 24 * 3600.0


def _touched(path: Path) -> float:
    return path.lstat().st_mtime


def sweep_partial_uploads(files: FileStore, *, stale_after: float = STALE_AFTER_S) -> int:
    """Remove what killed writers left in tmp/: all of it when no process writes into the store, else only what
    has not been touched for `stale_after` seconds. Returns how many entries it removed."""
    removed = 0
    with files.alone() as alone:
        cutoff = time.time() - stale_after
        for item in list(files.tmp.iterdir()):
            try:
                if not alone and _touched(item) > cutoff:
                    continue  # perhaps another server's upload in progress
                shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()
                removed += 1
            except FileNotFoundError:
                continue  # its writer finished with it meanwhile
    if removed:
        log.info("removed %d partial upload(s) left in %s by a server that stopped", removed, files.tmp)
    return removed
