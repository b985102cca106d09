"""What each job kind does. A handler gets the context, the job's params and a `report(done, total)`
callback; `report` raises JobCancelled once someone cancels the job, so handlers stop between items."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import triage.service.rescore  # the module: the `rescore` handler below has its function's name
from triage import runtime
from triage.config import Settings
from triage.domain import Status
from triage.encoders.base import Encoders
from triage.errors import ConfigError, NotFound
from triage.ingest.claims import begin_processing
from triage.ingest.engine import AnalysisEngine
from triage.ingest.reprocess import ReprocessResult, contents_in_scope, reprocess_all, stale_stages, with_dependents
from triage.ingest.runner import process_content
from triage.jobs import queue
from triage.jobs.uploads import settle_abandoned
from triage.pipeline import STAGES
from triage.service import map_layout
from triage.service.index import sync_all
from triage.store import submissions
from triage.store.db import Database
from triage.store.schema import Content
from triage.store.store import Store

log = logging.getLogger(__name__)
Report = Callable[[int, int], None]


class JobCancelled(Exception):
    """Raised inside a handler when its job was cancelled; the worker stops it quietly."""


@dataclass
class JobContext:
    """What handlers need. Models load on first use, once, however many workers share the context."""

    store: Store
    settings: Settings
    preloaded: Encoders | None = None
    # Called with (kind, call-out id) after a job succeeds; the server uses it to warm its shortlist cache.
    after_job: Callable[[str, str | None], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ray_pool: Any = field(default=None, repr=False)  # RayWorkerPool, started on the first job that needs it

    def models(self) -> Encoders:
        with self._lock:
            if self.preloaded is None:
                self.preloaded = runtime.encoders(self.settings)
            return self.preloaded

    def engine(self) -> AnalysisEngine:
        """Where a job's analyses run (runtime.analysis_engine): here with the context's models, or with
        TRIAGE_ENGINE=ray on Ray workers that every job of this context shares (started once, stopped by `close`)."""
        if self.settings.engine == "ray":
            with self._lock:
                if self._ray_pool is None:
                    self._ray_pool = runtime.ray_workers(self.settings)
        return runtime.analysis_engine(self.settings, self.models, ray_pool=self._ray_pool)

    def start(self) -> None:
        """Start the shared Ray workers now, from the calling thread (the server's main thread). Started from a
        job thread instead, Ray could not be stopped cleanly: a SIGTERM then left its agent processes behind."""
        if self.settings.engine == "ray":
            self.engine()

    def close(self) -> None:
        """Stop the shared Ray workers, if any were started."""
        with self._lock:
            pool, self._ray_pool = self._ray_pool, None
        if pool is not None:
            pool.close()


Handler = Callable[[JobContext, dict[str, Any], str | None, Report], dict[str, Any] | None]


def process_upload(ctx: JobContext, params: dict[str, Any], callout_id: str | None,
                   report: Report) -> dict[str, Any]:
    """Analyse one uploaded file (already stored by its sha256) and settle every submission sharing it."""
    sha256 = params.get("sha256")
    if not isinstance(sha256, str):
        raise ConfigError("process_upload job needs a 'sha256' parameter")
    store = ctx.store
    report(0, 1)
    with store.db.session() as session:
        content = session.get(Content, sha256)
        if content is None:
            raise NotFound(f"no stored upload with sha256 {sha256}")
        needs_work = begin_processing(session, content)
        if not needs_work:
            submissions.settle_from_content(session, content)
    if needs_work:
        engine = ctx.engine()
        try:
            with store.files.active():
                process_content(store, sha256, engine, allow_mislabelled=ctx.settings.allow_mislabelled)
        except Exception as exc:  # a full disk, a read-only database: the submissions must not stay "processing"
            try:
                settle_abandoned(store, [sha256], f"its analysis stopped ({type(exc).__name__}: {exc}); "
                                                  "send the file again or retry the job")
            except Exception:  # the database refuses too: the workers' sweep settles them once it takes writes
                log.exception("could not mark %s failed", sha256[:12])
            raise
        finally:
            engine.close()
    report(1, 1)
    with store.db.session() as session:
        content = session.get(Content, sha256)
        assert content is not None
        waiting = queue.waiting(session, callout_id) if callout_id else 0
    if content.status == Status.READY.value:
        # Its own job, with no call-out: the upload is done (its place in the submitter's quota freed, its
        # call-out's map queued) while the archive is searched for what it builds on.
        queue.enqueue(store.db, "lineage", params={"sha256": sha256}, total=1)
    if callout_id and waiting <= 1:  # the call-out's last upload (this job is still running): its map is due
        map_after(ctx, [callout_id])
    return {"sha256": sha256, "status": content.status, "error": content.error}


def find_lineage(ctx: JobContext, params: dict[str, Any], callout_id: str | None,
                 report: Report) -> dict[str, Any]:
    """Match one new piece against the whole archive and store what it builds on (service.lineage_update)."""
    from triage.service.lineage_update import update_lineage

    sha256 = params.get("sha256")
    if not isinstance(sha256, str):
        raise ConfigError("lineage job needs a 'sha256' parameter")
    report(0, 1)
    done = update_lineage(ctx.store, [sha256])
    report(1, 1)
    return done


def render(ctx: JobContext, params: dict[str, Any], callout_id: str | None, report: Report) -> dict[str, Any]:
    """Render a programme (service.programme_render): its progress is the renderer's, in thousandths."""
    from triage.jobs.renders import STEPS
    from triage.service.programme_render import render as render_programme

    programme_id = params.get("programme_id")
    if not isinstance(programme_id, str):
        raise ConfigError("render job needs a 'programme_id' parameter")
    return render_programme(ctx.store, programme_id, ctx.settings,
                            lambda fraction, _said: report(round(fraction * STEPS), STEPS))


def rescore(ctx: JobContext, params: dict[str, Any], callout_id: str | None, report: Report) -> dict[str, Any]:
    """Re-score a call-out's whole pool (service.rescore), reporting progress per step."""
    if not callout_id:
        raise ConfigError("rescore job needs a call-out")
    result = dict(triage.service.rescore.rescore(ctx.store, ctx.models(), callout_id, report))
    map_after(ctx, [callout_id])
    return result


def reprocess(ctx: JobContext, params: dict[str, Any], callout_id: str | None, report: Report) -> dict[str, Any]:
    """Recompute stages for stored contents: those named in params["only"] (with their dependents), or else
    whatever an earlier model made. This is how frames get visual vectors once CLIP weights are installed."""
    only = tuple(params.get("only") or ())
    unknown = set(only) - set(STAGES)
    if unknown:
        raise ConfigError(f"unknown stages {sorted(unknown)}; choose from {', '.join(STAGES)}")
    models = ctx.models()
    if "visual" in only and models.clip is None:
        runtime.clip_encoder(ctx.settings, required=True)  # raises the clear "weights missing" error
    shas = contents_in_scope(ctx.store, callout_id)
    plan = [(sha, with_dependents(only) if only else stale_stages(ctx.store, sha, models)) for sha in shas]
    finished: list[ReprocessResult] = []

    def done(result: ReprocessResult) -> None:
        finished.append(result)
        report(len(finished), len(shas))

    report(0, len(shas))
    engine = ctx.engine()  # TRIAGE_ENGINE=ray spreads the files over Ray
    try:
        with ctx.store.files.active():
            reprocess_all(ctx.store, plan, engine, on_done=done)
    finally:
        engine.close()
    changed = sum(bool(r.stages) and not r.error for r in finished)
    errors = [{"sha256": r.sha256, "error": r.error} for r in finished if r.error]
    sync_all(ctx.store, ctx.settings.resolved_index_dir, exact_max=ctx.settings.exact_search_max,
             threads=ctx.settings.threads)
    # new vectors move the pieces: the maps laid out before are due again
    map_after(ctx, [callout_id] if callout_id else map_layout.laid_out(ctx.store))
    return {"contents": len(shas), "recomputed": changed, "errors": errors}


def pool_map(ctx: JobContext, params: dict[str, Any], callout_id: str | None, report: Report) -> dict[str, Any]:
    """Lay out a call-out's pool map again (service.map_layout) unless the kept layout is still the pool's; a
    large pool takes minutes, which is why the map is a job and not a request."""
    if not callout_id:
        raise ConfigError("pool_map job needs a call-out")
    return map_layout.refresh(ctx.store, runtime.query_encoders(ctx.settings), callout_id, report)


def queue_pool_map(db: Database, callout_id: str) -> int | None:
    """Queue a `pool_map` job for the call-out unless one is queued or running already; the new job's id or None.
    (A running one may have read the pool before the latest piece came: it finds its layout stale next time.)"""
    with db.session() as session:
        if any(job.kind == "pool_map" for job in queue.active_for(session, [callout_id])):
            return None
    return queue.enqueue(db, "pool_map", callout_id=callout_id)


def queue_maps(store: Store, models: Encoders | None, callout_ids: list[str]) -> list[int]:
    """Queue the layout of each of these pools that is large and whose kept layout is stale (a small one is laid out
    when it is next asked for, in about a second); the new jobs' ids. For whatever changed the pools: a job here,
    or `triage ingest`."""
    queued = []
    for callout_id in callout_ids:
        stale, size = map_layout.stale(store, models, callout_id)
        job_id = queue_pool_map(store.db, callout_id) if stale and size > map_layout.INLINE_MAX else None
        if job_id is not None:
            queued.append(job_id)
    return queued


def map_after(ctx: JobContext, callout_ids: list[str]) -> None:
    """`queue_maps` after a job changed these pools; never fails the job that changed them."""
    try:
        # The query models name the pool's vectors; the analysis models (Whisper) may live on Ray workers only.
        queue_maps(ctx.store, runtime.query_encoders(ctx.settings), callout_ids)
    except Exception:
        log.exception("could not queue the pool maps of %s", callout_ids)


HANDLERS: dict[str, Handler] = {"process_upload": process_upload, "rescore": rescore, "reprocess": reprocess,
                                "pool_map": pool_map, "lineage": find_lineage, "render": render}


def handler_for(kind: str) -> Handler:
    try:
        return HANDLERS[kind]
    except KeyError:
        raise ConfigError(f"unknown job kind {kind!r}; known kinds: {', '.join(sorted(HANDLERS))}") from None
