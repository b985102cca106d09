"""Request dependencies: the app's state, the store, and who is calling (bearer token or web session)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from triage import runtime
from triage.api import session as web
from triage.api.quota import UploadQuota
from triage.config import Settings
from triage.encoders.base import Encoders
from triage.errors import Forbidden, Unauthorized
from triage.jobs import queue
from triage.jobs.handlers import JobContext
from triage.jobs.worker import WorkerPool
from triage.metrics import MODEL_LOAD_SECONDS
from triage.service import Store, exemplars
from triage.service.cache import PoolCache
from triage.service.tokens import Principal, caller, touch, web_caller

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
log = logging.getLogger(__name__)
PAGE_SIZE = 24  # cards per page of the workbench, warmed at start beside the API's default page of 20


@dataclass
class AppState:
    """Everything one running app shares between requests."""

    settings: Settings
    store: Store
    secret: bytes
    jobs: JobContext
    quota: UploadQuota
    pool: WorkerPool | None = None
    cache: PoolCache = field(default_factory=PoolCache)  # loaded pools and scores, shared by requests
    _query_models: Encoders | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    ready: threading.Event = field(default_factory=threading.Event)  # models loaded and call-outs warmed
    warm_report: dict[str, object] = field(default_factory=dict)

    def models(self) -> Encoders:
        """Models for scoring and search (no speech model): the ones given to the app, or loaded once."""
        with self._lock:
            if self._query_models is None:
                self._query_models = self.jobs.preloaded or runtime.query_encoders(self.settings)
            return self._query_models

    def warm_up(self) -> threading.Thread:
        """Load the models, then compute every call-out's first page, in a thread of its own; `ready` is set when
        done (or failed: the server then works as before, loading on first use)."""
        def run() -> None:
            from triage.service.warm import warm_callouts

            started = time.monotonic()
            try:
                models = self.models()
                self.warm_report["models_s"] = round(time.monotonic() - started, 2)
                MODEL_LOAD_SECONDS.set(time.monotonic() - started)
                self.warm_report["callouts_s"] = warm_callouts(self.store, models, self.cache,
                                                               limits=(20, PAGE_SIZE))
            except Exception as exc:  # a missing model, a broken pool: say so, and serve anyway
                log.exception("warming up failed")
                self.warm_report["error"] = str(exc)
            finally:
                self.warm_report["seconds"] = round(time.monotonic() - started, 2)
                self.ready.set()

        thread = threading.Thread(target=run, name="triage-warm-up", daemon=True)
        thread.start()
        return thread

    def wake_workers(self) -> None:
        if self.pool is not None:
            self.pool.notify()

    def rescore(self, callout_ids: list[str]) -> None:
        """Queue a re-scoring of these call-outs (one waiting job each at most) and wake a worker for it."""
        for callout_id in callout_ids:
            queue.enqueue_once(self.store.db, "rescore", callout_id)
        self.wake_workers()

    def mark_exemplar(self, callout_id: str, submission_ref: str, marked: bool) -> dict[str, Any]:
        """Mark or unmark an exemplar of the call-out, and re-score its pool when the set changed."""
        callout, changed = exemplars.mark(self.store, callout_id, submission_ref, marked)
        if changed:
            self.rescore([callout_id])
        return callout


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.triage
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_store(state: StateDep) -> Store:
    return state.store


StoreDep = Annotated[Store, Depends(get_store)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def web_session(request: Request, state: AppState) -> tuple[web.WebSession, Principal] | None:
    """The signed-in web session and its principal, or None (also when the token signed out since)."""
    found = web.read(state.secret, request.cookies.get(web.COOKIE))
    if found is None:
        return None
    who = web_caller(state.store, found.token_id, found.epoch)
    return (found, who) if who is not None else None


def current_principal(request: Request, state: StateDep) -> Principal:
    """A bearer token, or a web session cookie (which must bring a CSRF header on state-changing calls)."""
    token = _bearer(request)
    if token is not None:
        who = caller(state.store, token)
        if who is None:
            raise Unauthorized("the token is unknown or revoked; create one with: triage tokens create")
        touch(state.store, who)
        return who
    signed_in = web_session(request, state)
    if signed_in is None:
        raise Unauthorized("sign in: send 'Authorization: Bearer <token>' (create one with: triage tokens create)")
    ws, who = signed_in
    if request.method not in SAFE_METHODS and not web.csrf_ok(state.secret, ws, request.headers.get("x-csrf-token")):
        raise Forbidden("missing or wrong X-CSRF-Token header for a session-authenticated change")
    return who


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that lets only the given roles through."""

    def check(who: PrincipalDep) -> Principal:
        if who.role not in roles:
            raise Forbidden(f"a {who.role} token may not do this (needs {' or '.join(roles)})")
        return who

    return check


Admin = Annotated[Principal, Depends(require("admin"))]
Curator = Annotated[Principal, Depends(require("admin", "curator"))]
Anyone = PrincipalDep
