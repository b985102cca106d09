"""Conditional GETs for the JSON ranking routes: an ETag made from what the answer depends on, and 304 when the
client already holds it, so a repeated identical request does no ranking and sends no body.

The tag hashes the pool's signature and marks (`service.cache.View`: pool, scores, duplicate verdicts, the
call-outs' words, models, decisions, votes: what the cache keys on), the request's own parameters, and a token of
this process: after a restart (perhaps another version of the code) every tag is new, never wrongly reused.
"""

from __future__ import annotations

import hashlib
import uuid

from fastapi import Request, Response

# Browsers and clients keep the answer but ask again each time (If-None-Match): it is a curator's, not a proxy's.
CACHE_CONTROL = "private, no-cache"
_PROCESS = uuid.uuid4().hex


def etag(*parts: object) -> str:
    """A strong entity tag for an answer that depends on `parts` only (their repr)."""
    return '"' + hashlib.sha256(repr((_PROCESS, parts)).encode()).hexdigest()[:32] + '"'


def fresh(request: Request, tag: str) -> bool:
    """Whether the request's If-None-Match names `tag` (or "*"); weak tags compare as strong ones (RFC 9110)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def conditional(request: Request, response: Response, tag: str) -> Response | None:
    """A 304 when the client holds `tag`; otherwise None, with the tag set on the answer about to be made."""
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if fresh(request, tag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return None
