"""What each job kind does. A handler gets the context, the job's params and a `report(done, total)`
callback; `report` raises JobCancelled once someone cancels the job, so handlers stop between items."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from triage import runtime
from triage.config import Settings
from triage.domain import Status
from triage.errors import ConfigError, NotFound
from triage.ingest.runner import process_content
from triage.pipeline import Encoders
from triage.store import submissions as subs
from triage.store.schema import Content, Submission
from triage.store.store import Store

Report = Callable[[int, int], None]


class JobCancelled(Exception):
    """Raised inside a handler when its job was cancelled; the worker stops it quietly."""


@dataclass
class JobContext:
    """What handlers need. Models load on first use, once, however many workers share the context."""

    store: Store
    settings: Settings
    preloaded: Encoders | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def models(self) -> Encoders:
        with self._lock:
            if self.preloaded is None:
                self.preloaded = runtime.encoders(self.settings)
            return self.preloaded


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
        needs_work = content.status not in subs.FINAL
        if needs_work:
            subs.set_status(content, Status.PROCESSING)
            for row in session.query(Submission).filter(Submission.sha256 == sha256,
                                                        Submission.status.not_in(subs.FINAL)):
                subs.set_status(row, Status.PROCESSING)
        else:
            subs.settle_from_content(session, content)
    if needs_work:
        with store.files.active():
            process_content(store, sha256, runtime.analyser(ctx.settings, ctx.models()),
                            allow_mislabelled=ctx.settings.allow_mislabelled)
    report(1, 1)
    with store.db.session() as session:
        content = session.get(Content, sha256)
        assert content is not None
        return {"sha256": sha256, "status": content.status, "error": content.error}


def rescore(ctx: JobContext, params: dict[str, Any], callout_id: str | None, report: Report) -> dict[str, Any]:
    """Re-score a call-out's whole pool (service.rescore), reporting progress per submission."""
    if not callout_id:
        raise ConfigError("rescore job needs a call-out")
    # Imported late: the service layer is optional for the queue itself and loads scoring code.
    service = importlib.import_module("triage.service.rescore")
    return dict(service.rescore(ctx.store, ctx.models(), callout_id, report))


HANDLERS: dict[str, Handler] = {"process_upload": process_upload, "rescore": rescore}


def handler_for(kind: str) -> Handler:
    try:
        return HANDLERS[kind]
    except KeyError:
        raise ConfigError(f"unknown job kind {kind!r}; known kinds: {', '.join(sorted(HANDLERS))}") from None
