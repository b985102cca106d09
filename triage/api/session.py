"""Signed session cookies for the web pages and the CSRF tokens that go with them.

The cookie holds `token_id.epoch.issued.nonce.mac`; the MAC is HMAC-SHA256 under a secret kept in the data dir,
so a cookie cannot be forged or moved to another installation. The CSRF token is derived from the nonce. `epoch`
is the token's session epoch at sign-in: signing out moves it on, and the server refuses every cookie signed in
under an earlier one (triage/api/tokens.py).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

COOKIE = "triage_session"
MAX_AGE = 14 * 24 * 3600


def load_secret(data_dir: Path) -> bytes:
    """The installation's signing secret, created (readable by its owner only) on first use."""
    path = data_dir / "session_secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _mac(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    # In constant time. As bytes: compare_digest raises TypeError on a str with a non-ASCII character, and a
    # cookie or header is whatever the client sends.
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass(frozen=True)
class WebSession:
    token_id: int
    epoch: int
    nonce: str

    def csrf(self, secret: bytes) -> str:
        return _mac(secret, f"csrf:{self.nonce}")


def issue(secret: bytes, token_id: int, epoch: int, *, at: float | None = None) -> str:
    body = f"{token_id}.{epoch}.{int(at if at is not None else time.time())}.{secrets.token_hex(16)}"
    return f"{body}.{_mac(secret, body)}"


def read(secret: bytes, cookie: str | None, *, at: float | None = None) -> WebSession | None:
    """The session in a cookie, or None when it is missing, tampered with or expired. Whether its token still
    stands, and has not signed out since, is for the caller to check against the store."""
    if not cookie:
        return None
    parts = cookie.split(".")
    if len(parts) != 5 or not all(part.isdigit() for part in parts[:3]):
        return None  # a cookie of the older format (no epoch) too: its holder signs in again
    body = ".".join(parts[:4])
    if not _same(_mac(secret, body), parts[4]):
        return None
    if (at if at is not None else time.time()) - int(parts[2]) > MAX_AGE:
        return None
    return WebSession(int(parts[0]), int(parts[1]), parts[3])


def csrf_ok(secret: bytes, session: WebSession, given: str | None) -> bool:
    return bool(given) and _same(session.csrf(secret), given or "")
