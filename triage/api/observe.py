"""What the server shows of itself: a request id on every request (logged, and sent back as X-Request-ID), one
access line per request, and Prometheus metrics at /metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from triage import logs
from triage.api.deps import AppState
from triage.metrics import REGISTRY, REQUEST_SECONDS
from triage.service.health import problems, queue_depth

access = logging.getLogger("triage.http")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a caller's own id is kept only when it is this plain


class Observe:
    """ASGI middleware: the request id, the access line and the latency histogram of every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", rid)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = template(scope)
            REQUEST_SECONDS.labels(scope["method"], route, f"{status // 100}xx").observe(seconds)
            access.info("%s %s %s %.0f ms", scope["method"], scope["path"], status, seconds * 1000,
                        extra={"method": scope["method"], "path": scope["path"], "route": route, "status": status,
                               "ms": round(seconds * 1000, 1)})
            logs.request_id.reset(token)


def template(scope: Scope) -> str:
    """The route's template ("/api/submissions/{submission_id}"): the path with each segment that holds a path
    parameter named instead, so that ids stay out of metric labels. "unmatched" for an unknown address."""
    if scope.get("route") is None:
        return "unmatched"
    names = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in scope["path"].split("/"))


class ServiceCollector:
    """Read at each scrape: the job queue, the cache's hits, readiness and whether writes fail."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        by_status, oldest = queue_depth(self.state.store)
        jobs = GaugeMetricFamily("triage_jobs", "Jobs by status", labels=["status"])
        for status, count in sorted(by_status.items()):
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily("triage_job_oldest_queued_seconds", "Age of the oldest queued job (0: none)",
                                value=oldest)
        memo = self.state.cache.memo
        yield CounterMetricFamily("triage_cache_hits", "Pool results served from the cache", value=memo.hits)
        yield CounterMetricFamily("triage_cache_misses", "Pool results computed", value=memo.misses)
        yield GaugeMetricFamily("triage_ready", "1 once models are loaded and call-outs warmed",
                                value=1 if self.state.ready.is_set() else 0)
        yield GaugeMetricFamily("triage_degraded", "1 while the database cannot be written or the disk is low",
                                value=1 if problems(self.state.store, self.state.settings.min_free_bytes) else 0)


def exposition(own: CollectorRegistry) -> bytes:
    """The process's metrics and this app's, in Prometheus' text format."""
    return generate_latest(REGISTRY) + generate_latest(own)


def service_registry(state: AppState) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector(state))  # type: ignore[arg-type]
    return registry
