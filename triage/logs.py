"""Logging for the command and the server: plain lines, or one JSON object per line (TRIAGE_LOG_FORMAT=json), each
with the request or the job it belongs to."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# Set by the request middleware (api/observe.py) and the job worker for the code they run, so that every line
# logged on their behalf names them, however deep it is logged.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id: ContextVar[int | None] = ContextVar("job_id", default=None)


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.job_id = job_id.get()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id / job_id where set, and the
    traceback as text."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        for key in ("request_id", "job_id"):
            if getattr(record, key, None) is not None:
                data[key] = getattr(record, key)
        for key in ("method", "path", "route", "status", "ms"):  # the access log's fields
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class Plain(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tags = [f"{k}={getattr(record, k)}" for k in ("request_id", "job_id") if getattr(record, k, None) is not None]
        return f"{line} [{' '.join(tags)}]" if tags else line


def configure(level: int, fmt: str = "text") -> None:
    """Send the process's log records to stderr, as plain lines or JSON lines."""
    handler = logging.StreamHandler()
    handler.addFilter(_Context())
    handler.setFormatter(JsonLines() if fmt == "json" else Plain("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
