"""A cap on the size of request bodies, counted as they arrive.

FastAPI reads a JSON or form body whole, into memory, before any dependency looks at the caller's token: without a
cap, anyone who can reach the server can make it hold gigabytes. Uploads are left alone: they stream to disk
under their own limits (triage/api/upload.py).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from triage.api.refusals import NOT_TEXT, as_text, lone_surrogate_in_json
from triage.errors import BadRequest, TooLarge, TriageError


class BodyLimit:
    """ASGI middleware: a body over `max_bytes` gets 413 (TooLarge), unless `exempt(path)`; a JSON body with a lone
    surrogate gets 422 (BadRequest), as no route could store or answer it."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt: Callable[[str], bool]) -> None:
        self.app, self.max_bytes, self.exempt = app, max_bytes, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)  # before reading a byte
            return
        seen, refused, chunks = 0, False, []

        async def counted() -> Message:  # a body without Content-Length (chunked) is counted as it comes
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                chunks.append(message.get("body", b""))
                if seen > self.max_bytes and not refused:
                    refused = True
                    await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}  # the app stops reading; whatever it answers is dropped
                if not message.get("more_body") and not refused and (
                        where := lone_surrogate_in_json(b"".join(chunks))):
                    refused = True
                    await self._refuse(scope, receive, send, BadRequest, f"{as_text(where)} {NOT_TEXT}")
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, unless_refused)
        except Exception:
            if not refused:  # after a refusal, the app's complaint about the cut-off body is expected
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: type[TriageError] = TooLarge,
                      detail: str | None = None) -> None:
        detail = detail or (f"the request body is larger than the limit of {self.max_bytes:,} bytes "
                            "(TRIAGE_MAX_BODY_BYTES)")
        await JSONResponse({"error": error.__name__, "detail": detail}, status_code=error.http_status)(
            scope, receive, send)
