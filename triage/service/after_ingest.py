"""What follows an ingest, whoever ran it (`triage ingest`, `Archive.ingest`): the search indexes take the new
vectors, and the new pieces are matched against the archive for what they build on."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from triage.ingest.runner import ItemResult
from triage.service.index import sync_all
from triage.store.store import Store

log = logging.getLogger(__name__)


def bring_up_to_date(store: Store, results: Sequence[ItemResult], *, index_dir: Path, exact_max: int,
                     threads: int) -> None:
    sync_all(store, index_dir, exact_max=exact_max, threads=threads)
    match_lineage(store, [r.sha256 for r in results if r.status == "ready" and r.action != "unchanged" and r.sha256])


def match_lineage(store: Store, shas: list[str]) -> None:
    """Find what the new pieces build on. The files are in and ready whatever happens here, so a failure is a
    warning with the command that tries again, not a failed ingest."""
    from triage.service.lineage_update import update_lineage

    if not shas:
        return
    try:
        update_lineage(store, shas)
    except Exception as exc:  # noqa: BLE001  (any failure: the ingest itself has succeeded)
        log.warning("lineage not updated (%s: %s); run: triage lineage rebuild", type(exc).__name__, exc)
