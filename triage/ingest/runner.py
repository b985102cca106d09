"""Ingest a batch: every source ends accepted or cleanly rejected, and a re-run adds nothing.

Order of writes per file, chosen so a SIGKILL at any point leaves nothing half-written:
original copied in (temp + rename) -> content and submission rows committed (`received`) ->
`processing` committed -> derived files written atomically -> all derived rows and `ready` in one transaction.
A re-run finds unfinished rows by their source key and completes them; `Store.sweep` removes leftovers.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from triage.domain import Status
from triage.errors import ConfigError, InvalidSubmission, ModelUnavailable, TooLarge
from triage.ingest.save import save_analysis
from triage.ingest.sources import Source
from triage.pipeline import Analysis
from triage.store import submissions as subs
from triage.store.callouts import get_callout
from triage.store.schema import Content, Submission
from triage.store.store import Store

log = logging.getLogger(__name__)

Analyse = Callable[[Path], Analysis]


@dataclass
class ItemResult:
    """The outcome for one source, as `triage ingest --json` prints it."""

    source: str
    status: str
    submission_id: str | None = None
    external_id: str | None = None
    media_type: str | None = None
    sha256: str | None = None
    error: str | None = None
    action: str = "added"  # added | reused (same bytes seen before) | unchanged (already ingested) | resumed

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _result(row: Submission, source: Source, action: str) -> ItemResult:
    return ItemResult(source=source.display, status=row.status, submission_id=row.id,
                      external_id=row.external_id or row.id, media_type=row.media_type,
                      sha256=row.sha256, error=row.error, action=action)


def _key(source: Source, sha256: str | None) -> str:
    if source.external_id:
        return f"ext:{source.external_id}"
    return f"file:{source.name}:{sha256}" if sha256 else f"path:{source.display}"


def _fields(source: Source) -> dict[str, object]:
    return {"external_id": source.external_id, "title": source.title, "contributor": source.contributor,
            "original_filename": source.name}


def _refuse(store: Store, callout_id: str, source: Source, error: str, size: int | None = None) -> ItemResult:
    """Record a source refused before its bytes were stored."""
    with store.db.session() as session:
        row, created = subs.get_or_create(session, callout_id, _key(source, None), size=size, **_fields(source))
        subs.set_status(row, Status.REJECTED, error)
        return _result(row, source, "added" if created else "unchanged")


def ingest_one(store: Store, callout_id: str, source: Source, analyse: Analyse, max_file_bytes: int,
               allow_mislabelled: bool = False) -> ItemResult:
    """Store, analyse and record one source. Bad input is rejected with its reason; nothing is raised."""
    if source.error or source.path is None:
        return _refuse(store, callout_id, source, source.error or "no file")
    if source.external_id:
        with store.db.session() as session:
            done = subs.find_by_key(session, callout_id, _key(source, None))
            if done is not None and done.status in subs.FINAL:
                return _result(done, source, "unchanged")
    try:
        size = source.path.stat().st_size
    except OSError as exc:
        return _refuse(store, callout_id, source, f"cannot read the file: {exc.strerror}")
    if size > max_file_bytes:
        return _refuse(store, callout_id, source, str(TooLarge(
            f"file is {size / 1e6:,.1f} MB; the limit is {max_file_bytes / 1e6:,.1f} MB")), size)
    try:
        sha256, size = store.files.put_original(source.path)
    except OSError as exc:
        return _refuse(store, callout_id, source, f"cannot read the file: {exc.strerror or exc}")

    with store.db.session() as session:
        content = subs.get_or_create_content(session, sha256, size)
        row, created = subs.get_or_create(session, callout_id, _key(source, sha256), sha256=sha256, size=size,
                                          **_fields(source))
        if row.status in subs.FINAL:
            return _result(row, source, "unchanged")
        action = "added" if created else "resumed"
        if content.status in subs.FINAL:
            subs.settle_from_content(session, content, allow_mislabelled=allow_mislabelled)
            return _result(row, source, "reused" if created else action)
        subs.set_status(content, Status.PROCESSING)
        subs.set_status(row, Status.PROCESSING)
    process_content(store, sha256, analyse, allow_mislabelled)
    with store.db.session() as session:
        settled = subs.find_by_key(session, callout_id, _key(source, sha256))
        assert settled is not None
        return _result(settled, source, action)


def process_content(store: Store, sha256: str, analyse: Analyse, allow_mislabelled: bool = False) -> None:
    """Analyse stored bytes and record the outcome on the content and every submission waiting for it."""
    try:
        analysis = analyse(store.files.original_path(sha256))
    except InvalidSubmission as exc:
        _finish(store, sha256, Status.REJECTED, str(exc))
        return
    except (ModelUnavailable, ConfigError):
        raise  # no file can be analysed until the set-up is fixed: stop the batch; a re-run resumes it
    except Exception as exc:  # our fault, not the file's: keep the reason, let the batch go on
        log.error("processing %s failed:\n%s", sha256, traceback.format_exc())
        _finish(store, sha256, Status.FAILED, f"internal error ({type(exc).__name__}): {exc}")
        return
    save_analysis(store, sha256, analysis, allow_mislabelled=allow_mislabelled)


def _finish(store: Store, sha256: str, status: Status, error: str) -> None:
    with store.db.session() as session:
        content = session.get(Content, sha256)
        assert content is not None
        subs.set_status(content, status, error)  # failed is not final: a re-run tries again
        subs.settle_from_content(session, content)


def ingest(
    store: Store,
    callout_id: str,
    sources: Iterable[Source],
    analyse: Analyse,
    *,
    max_file_bytes: int,
    allow_mislabelled: bool = False,
    on_result: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Ingest every source into one call-out; returns one result per source, in order."""
    with store.db.session() as session:
        get_callout(session, callout_id)  # fail fast on an unknown call-out
    store.sweep()
    results = []
    with store.files.active():
        for source in sources:
            result = ingest_one(store, callout_id, source, analyse, max_file_bytes, allow_mislabelled)
            results.append(result)
            if on_result:
                on_result(result)
    return results
