"""Ingest a batch: every source ends accepted or cleanly rejected, and a re-run adds nothing.

Order of writes per file, chosen so a SIGKILL at any point leaves nothing half-written:
original copied in (temp + rename) -> content and submission rows committed (`received`) ->
`processing` committed -> derived files written atomically -> all derived rows and `ready` in one transaction.
A re-run finds unfinished rows by their source key and completes them; `Store.sweep` removes leftovers.
Analyses run through an engine (`ingest.engine`): here, in batches (`ingest.batch`: two batches in flight, a
thread decoding ahead while the models run over the batch before), or on Ray workers; either way this process
alone writes, in the order above, each file's rows whole as its outcome arrives, so a kill leaves whole files and
`processing` ones, which the next run completes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace

from sqlalchemy.orm import Session

from triage import metrics
from triage.domain import Status
from triage.errors import ConfigError, InvalidSubmission, ModelUnavailable, TooLarge
from triage.ingest.batch import engine_for
from triage.ingest.claims import begin_processing, source_key
from triage.ingest.engine import (
    Analyse,
    AnalysisEngine,
    LocalEngine,
    Outcome,
    Request,
    run_all,
)
from triage.ingest.save import save_analysis
from triage.ingest.sources import Source
from triage.store.callouts import get_callout
from triage.store.schema import Content, Submission
from triage.store.store import Store
from triage.store.submissions import (
    FINAL,
    bounded_key,
    find_by_key,
    get_or_create,
    get_or_create_content,
    set_status,
    settle_from_content,
)

log = logging.getLogger(__name__)

__all__ = ["Analyse", "ItemResult", "claim", "ingest", "process_content", "record_outcome"]


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
    return source_key(external_id=source.external_id, name=source.name, sha256=sha256, path=source.display)


def _fields(source: Source) -> dict[str, object]:
    return {"external_id": source.external_id, "title": source.title, "contributor": source.contributor,
            "original_filename": source.name}


def _refuse(store: Store, callout_id: str, source: Source, error: str, size: int | None = None) -> ItemResult:
    """Record a source refused before its bytes were stored."""
    with store.db.session() as session:
        row, created = get_or_create(session, callout_id, _key(source, None), size=size, **_fields(source))
        set_status(row, Status.REJECTED, error)
        return _result(row, source, "added" if created else "unchanged")


@dataclass
class Claim:
    """A source whose bytes are stored and whose rows say `processing`: it waits for its content's analysis."""

    source: Source
    sha256: str
    action: str


def claim(store: Store, callout_id: str, source: Source, max_file_bytes: int,
          allow_mislabelled: bool = False) -> ItemResult | Claim:
    """Store one source and record its rows. Returns its final result when no analysis is needed (refused,
    already ingested, or the same bytes analysed before), else a Claim on its content's analysis."""
    if source.error or source.path is None:
        return _refuse(store, callout_id, source, source.error or "no file")
    try:
        size = source.path.stat().st_size
    except OSError as exc:
        return _refuse(store, callout_id, source, f"cannot read the file: {exc.strerror}")
    if source.external_id:
        with store.db.session() as session:
            done = find_by_key(session, callout_id, _key(source, None))
            if done is not None and done.status in FINAL and done.sha256 is not None:
                # A re-run skips the copy and hash; a size that changed is surely another file.
                return _result(done, source, "unchanged") if done.size == size else _id_taken(source, done)
    if size > max_file_bytes:
        return _refuse(store, callout_id, source, str(TooLarge(
            f"file is {size / 1e6:,.1f} MB; the limit is {max_file_bytes / 1e6:,.1f} MB")), size)
    try:
        sha256, size = store.files.put_original(source.path)
    except OSError as exc:
        return _refuse(store, callout_id, source, f"cannot read the file: {exc.strerror or exc}")

    with store.db.session() as session:
        content = get_or_create_content(session, sha256, size)
        _take_over_refusal(session, callout_id, source, sha256, size)
        row, created = get_or_create(session, callout_id, _key(source, sha256), sha256=sha256, size=size,
                                     **_fields(source))
        if row.sha256 != sha256:
            taken = _id_taken(source, row)
            session.rollback()  # nothing of this file is kept: its bytes go with the next sweep
            return taken
        if row.status in FINAL:
            return _result(row, source, "unchanged")
        action = "added" if created else "resumed"
        if content.status in FINAL:
            settle_from_content(session, content, allow_mislabelled=allow_mislabelled)
            return _result(row, source, "reused" if created else action)
        begin_processing(session, content, only=row)
    return Claim(source, sha256, action)


def _id_taken(source: Source, row: Submission) -> ItemResult:
    """A file whose external id already names a different file: refused, and the earlier submission kept."""
    return ItemResult(source=source.display, status=Status.REJECTED.value, external_id=source.external_id,
                      action="unchanged", error=f"external id {source.external_id!r} was already used for a different "
                      f"file (submission {row.id}); give each file its own external id")


def _take_over_refusal(session: Session, callout_id: str, source: Source, sha256: str, size: int) -> None:
    """An earlier run refused this source before reading it (missing, unreadable, too big): now that its bytes
    are stored, that row becomes this file's, so the fixed file is processed and no stale rejection is left."""
    refused = find_by_key(session, callout_id, _key(source, None))
    if refused is None or refused.sha256 is not None:
        return
    key = _key(source, sha256)
    if bounded_key(key) != refused.source_key and find_by_key(session, callout_id, key) is not None:
        return  # the bytes already have their own row (ingested under another path); keep the refusal as it was
    refused.source_key, refused.sha256, refused.size = bounded_key(key), sha256, size
    set_status(refused, Status.RECEIVED)
    session.flush()


def claimed_result(store: Store, callout_id: str, claimed: Claim) -> ItemResult:
    """The result of a claimed source once its content's outcome is recorded."""
    with store.db.session() as session:
        settled = find_by_key(session, callout_id, _key(claimed.source, claimed.sha256))
        assert settled is not None
        return _result(settled, claimed.source, claimed.action)


def record_outcome(store: Store, outcome: Outcome, allow_mislabelled: bool = False) -> None:
    """Record an analysis on its content and every submission waiting for it: saved, rejected or failed.

    A missing model or a bad setting is raised instead: no file can be analysed until it is fixed, so the
    batch stops, and a re-run resumes the files left `processing`.
    """
    error, sha256 = outcome.error, outcome.sha256
    if error is None:
        assert outcome.analysis is not None
        save_analysis(store, sha256, outcome.analysis, allow_mislabelled=allow_mislabelled)
        metrics.observe_stages(outcome.analysis.timings)
        metrics.PIECES.labels(Status.READY.value).inc()
    elif isinstance(error, InvalidSubmission):
        _finish(store, sha256, Status.REJECTED, str(error))
        metrics.PIECES.labels(Status.REJECTED.value).inc()
    elif isinstance(error, ModelUnavailable | ConfigError):
        raise error
    else:  # our fault, not the file's: keep the reason, let the batch go on
        log.error("processing %s failed:\n%s", sha256, outcome.trace or repr(error))
        _finish(store, sha256, Status.FAILED, f"internal error ({type(error).__name__}): {error}")
        metrics.PIECES.labels(Status.FAILED.value).inc()


def process_content(store: Store, sha256: str, analyse: Analyse | AnalysisEngine,
                    allow_mislabelled: bool = False) -> None:
    """Analyse stored bytes now (here, or on an engine's workers), and record the outcome (see record_outcome)."""
    engine = LocalEngine(analyse) if callable(analyse) else analyse
    engine.submit(Request(sha256, store.files.original_path(sha256)))
    record_outcome(store, engine.next_done(), allow_mislabelled)


def _finish(store: Store, sha256: str, status: Status, error: str) -> None:
    with store.db.session() as session:
        content = session.get(Content, sha256)
        assert content is not None
        set_status(content, status, error)  # failed is not final: a re-run tries again
        settle_from_content(session, content)


def ingest(
    store: Store,
    callout_id: str,
    sources: Iterable[Source],
    analyse: Analyse | AnalysisEngine,
    *,
    max_file_bytes: int,
    allow_mislabelled: bool = False,
    on_result: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Ingest every source into one call-out; returns one result per source, in order.

    `analyse` is the analysis (an Analyser runs here in batches, another function one file at a time) or an
    engine that runs several at once; `on_result` hears of each source as it settles, which need not be in order.
    """
    with store.db.session() as session:
        get_callout(session, callout_id)  # fail fast on an unknown call-out
    store.sweep()
    engine = engine_for(analyse)
    results: list[ItemResult | None] = []
    waiting: dict[str, list[tuple[int, Claim]]] = {}  # sha256 in flight -> the sources sharing it

    def settle(result: ItemResult, position: int) -> None:
        results[position] = result
        if on_result:
            on_result(result)

    def collect(outcome: Outcome) -> None:
        record_outcome(store, outcome, allow_mislabelled)
        for position, claimed in waiting.pop(outcome.sha256):
            settle(claimed_result(store, callout_id, claimed), position)

    def requests() -> Iterator[Request]:
        for position, source in enumerate(sources):
            results.append(None)
            claimed = claim(store, callout_id, source, max_file_bytes, allow_mislabelled)
            if isinstance(claimed, ItemResult):
                settle(claimed, position)
            elif claimed.sha256 in waiting:  # the same bytes earlier in this batch: share that analysis
                shared = replace(claimed, action="reused" if claimed.action == "added" else claimed.action)
                waiting[claimed.sha256].append((position, shared))
            else:
                waiting[claimed.sha256] = [(position, claimed)]
                yield Request(claimed.sha256, store.files.original_path(claimed.sha256))

    try:
        with store.files.active():
            run_all(engine, requests(), collect)
    finally:
        if engine is not analyse:  # ours to stop (a batch engine's thread); a given engine is the caller's
            engine.close()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]
