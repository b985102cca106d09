"""The FastAPI app factory: one Store, the job workers, the routes, and one handler for TriageError."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from triage import runtime
from triage.api import refusals
from triage.api import session as web
from triage.api.body_limit import BodyLimit
from triage.api.deps import AppState
from triage.api.observe import Observe, exposition, service_registry
from triage.api.page import error_page
from triage.api.quota import UploadQuota
from triage.api.schemas import errors
from triage.config import Settings
from triage.encoders.base import Encoders
from triage.errors import TriageError, Unauthorized
from triage.jobs import queue
from triage.jobs.handlers import JobContext
from triage.jobs.worker import WorkerPool
from triage.service.health import health as service_health
from triage.service.health import problems
from triage.service.pool import model_names
from triage.service.shortlist import shortlist

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _swagger_files() -> Path:
    """Swagger UI and ReDoc as the fastapi-offline package ships them: the API docs load nothing from a CDN."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def create_app(settings: Settings | None = None, *, models: Encoders | None = None, workers: int = 1) -> FastAPI:
    """Build the curator service. `workers` job threads start with the app (0: jobs wait for another process)."""
    settings = settings or Settings()
    if settings.engine == "ray" and workers > 0:
        from triage.ingest.ray_engine import require_ray

        require_ray()  # at start-up, not as a failed job per upload
    store = runtime.open_store(settings)
    def warm(kind: str, callout_id: str | None) -> None:
        # Once a call-out's last queued upload is processed, compute its shortlist in the background so the
        # next curator who opens it does not wait for the first (cold) scoring of the whole pool.
        if callout_id is None or kind not in ("process_upload", "rescore", "reprocess"):
            return
        with store.db.session() as session:
            # A map layout queued behind the last upload changes no score: warm the shortlist anyway.
            if any(job.kind != "pool_map" for job in queue.active_for(session, [callout_id])):
                return
        shortlist(store, state.models(), callout_id, cache=state.cache)

    state = AppState(settings=settings, store=store, secret=web.load_secret(store.data_dir),
                     jobs=JobContext(store, settings, models, after_job=warm),
                     quota=UploadQuota(settings.submitter_max_pending, settings.submitter_max_bytes_per_day))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from triage.ingest.leftovers import sweep_partial_uploads

        sweep_partial_uploads(store.files)  # what a killed server left half-received in tmp/
        if settings.warm_on_start:
            state.warm_up()  # in the background: liveness answers at once, /api/ready once it is done
        else:
            state.ready.set()
        if workers > 0:
            state.jobs.start()  # with TRIAGE_ENGINE=ray, the shared Ray workers
            state.pool = WorkerPool(state.jobs, workers)
            state.pool.start()
        try:
            yield
        finally:
            if state.pool is not None:
                state.pool.stop()
                state.pool = None
            state.jobs.close()  # the shared Ray workers, when TRIAGE_ENGINE=ray started them

    app = FastAPI(title="triage", summary="Curator service: call-outs, submissions, shortlists, decisions, jobs",
                  version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.triage = state
    # Uploads (POST /api/callouts/ID/uploads) stream under max_file_bytes; every other body is small.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, exempt=lambda path: path.endswith("/uploads"))
    app.add_middleware(Observe)  # added last, so it runs first: every request has its id and its time
    own_metrics = service_registry(state)

    @app.exception_handler(TriageError)
    async def triage_error(request: Request, exc: TriageError) -> Response:
        # The one place where library errors become HTTP: status from the error class, message for a person.
        if isinstance(exc, Unauthorized) and _wants_html(request):
            # back to the very page after sign-in, its search and filters included
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
        if exc.http_status >= 500:
            log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
        if _wants_html(request):  # a curator's browser: the reason on a page, with a way back
            response: Response = error_page(request, exc.http_status, str(exc))
        else:
            response = JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=exc.http_status)
        retry_after = getattr(exc, "retry_after", None)  # RateLimited, Degraded
        if retry_after is not None:
            response.headers["Retry-After"] = str(math.ceil(retry_after))
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # A page's bad query (a filter edited by hand): say which value, in words, on a page; the API keeps JSON,
        # bounded: never the whole rejected body again, and always writable text (refusals.py).
        found = refusals.bounded(exc.errors())
        if _wants_html(request):
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in found)
            return error_page(request, 422, problems)
        return JSONResponse({"detail": found}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def no_such_page(request: Request, exc: StarletteHTTPException) -> Response:
        # An unknown address, or a method a route does not take: a page for a browser, the API's error shape else.
        if exc.status_code == 404:
            detail = f"there is nothing at {request.url.path}"
            if _wants_html(request):
                return error_page(request, 404,
                                  detail.capitalize() + ". Check the address, or start again from the call-outs.")
            return JSONResponse({"error": "NotFound", "detail": detail}, status_code=404)
        return await http_exception_handler(request, exc)

    from triage.api.routes import (
        callouts,
        card_actions,
        duplicate_pages,
        erasure,
        jobs,
        media,
        pages,
        ranking,
        submissions,
        team,
        tokens,
        uploads,
    )

    for module in (callouts, submissions, media, uploads, ranking, team, jobs, tokens, erasure):
        app.include_router(module.router, prefix="/api", responses=errors(401, 403, 404))
    for module in (pages, card_actions, duplicate_pages):
        app.include_router(module.router)
    from triage.api.routes import lineage, pool_map, programmes
    for module in (pool_map, lineage, programmes):
        app.include_router(module.router, prefix="/api", responses=errors(401, 403, 404))
    from triage.api.routes import lineage_pages, map_page
    app.include_router(map_page.router)
    app.include_router(lineage_pages.router)
    from triage.api.routes import programme_edits, programme_pages
    app.include_router(programme_edits.router)  # before the pages: /programmes/add is no programme's id
    app.include_router(programme_pages.router)
    app.mount("/static/docs", StaticFiles(directory=_swagger_files()), name="docs-files")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="triage API",
                                   swagger_js_url="/static/docs/swagger-ui-bundle.js",
                                   swagger_css_url="/static/docs/swagger-ui.css", swagger_favicon_url="/favicon.ico")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="triage API",
                              redoc_js_url="/static/docs/redoc.standalone.js", redoc_favicon_url="/favicon.ico")

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus metrics: request latency by route, jobs by status and the oldest one's wait, time per
        ingest stage, model load time, cache hits, readiness and degradation. No private data; restrict it at
        the proxy if the numbers themselves are private."""
        return Response(exposition(own_metrics), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    # The encoders this app scores with, by name: the health check says how many stored pieces another one
    # embedded (scoring leaves those vectors out) without loading any model.
    encoders = model_names(models) if models is not None else runtime.encoder_names(settings)

    @app.get("/api/health", tags=["health"])
    @app.head("/api/health", include_in_schema=False)  # monitors often probe with HEAD
    def health() -> dict[str, object]:
        """Liveness (always 200 while the process answers), a glance at the queue, per vector space how many
        stored pieces another model embedded, and `problems`: why writes fail now (status "degraded": a read-only
        database, a full disk), while reads and sign-in go on. No authentication, no private data."""
        return {**service_health(store, encoders, settings.min_free_bytes), "ready": state.ready.is_set(),
                "workers": workers}

    @app.get("/api/ready", tags=["health"],
             responses={503: {"description": "still loading models or warming up, or unable to write"}})
    def ready(response: Response) -> dict[str, object]:
        """Readiness for a load balancer: 200 once the models are loaded and each call-out's first page is
        computed (the first curator then waits no longer than the tenth) and the database can be written; 503
        with Retry-After before, and while it cannot (reads still work there: see /api/health)."""
        trouble = problems(store, settings.min_free_bytes)
        if not state.ready.is_set() or trouble:
            response.status_code = 503
            response.headers["Retry-After"] = "2" if not trouble else "30"
        return {"ready": state.ready.is_set() and not trouble, "problems": trouble, **state.warm_report}

    return app
