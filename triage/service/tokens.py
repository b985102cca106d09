"""API tokens: created once (the plain token is shown only then), stored as sha256, checked per request.

The functions taking a Session serve the CLI and callers that already hold one; the API uses the ones taking the
store, which open their own."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage.errors import BadRequest, Degraded, NotFound
from triage.store.rows import check_length
from triage.store.schema import ApiToken, utcnow
from triage.store.store import Store

ROLES = ("admin", "curator", "submitter")
PREFIX = "tri_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's row id, its name (recorded on decisions) and its role."""

    token_id: int
    name: str
    role: str
    last_used_at: datetime | None = field(default=None, compare=False)

    @property
    def is_submitter(self) -> bool:
        return self.role == "submitter"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, role: str) -> tuple[ApiToken, str]:
    """A new token for `name` with `role`. Returns the row and the plain token (never stored)."""
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if not name.strip():
        raise BadRequest("a token needs a name (who or what uses it)")
    check_length(ApiToken, "name", name.strip(), "the name")
    plain = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name.strip(), role=role, token_hash=digest(plain), revoked=False)
    session.add(row)
    session.flush()
    return row, plain


TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is news to a person, not a log: one write a minute per token


def authenticate(session: Session, token: str) -> Principal | None:
    """The principal for a plain token, or None when it is unknown or revoked. Reads only: a request must not
    fail because the database cannot be written (see `touch`)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.revoked:
        return None
    return Principal(row.id, row.name, row.role, row.last_used_at)


def caller(store: Store, token: str) -> Principal | None:
    """The principal for a plain bearer token (see `authenticate`)."""
    with store.db.session() as session:
        return authenticate(session, token)


def sign_in(store: Store, token: str) -> tuple[Principal | None, int]:
    """The principal for a plain token and the epoch a web session signed in with it now carries."""
    with store.db.session() as session:
        who = authenticate(session, token)
        return who, session_epoch(session, who.token_id) if who is not None else 0


def touch(store: Store, who: Principal) -> None:
    """Record that a token was used, at most once a minute; where the database cannot be written now, skip it."""
    now = utcnow()
    if who.last_used_at is not None and now - who.last_used_at < TOUCH_EVERY:
        return
    try:
        with store.db.session() as session:
            session.execute(update(ApiToken).where(ApiToken.id == who.token_id).values(last_used_at=now))
    except Degraded:
        pass  # reads and sign-in keep working; /api/health says why writes do not


# Signing out ends a token's web sessions through a counter on its row, which each session's cookie carries from
# sign-in (triage/api/session.py). A table of ended sessions would end only the one browser's, but needs a look-up
# per request and rows to clean up after; this costs nothing beyond the token row that every request reads anyway.
# A counter, not a "sessions issued before T are void" time: cookies carry whole seconds, so a sign-in in the
# same second as a sign-out could not be told from the sessions it ended, and several servers' clocks may differ.
# The price: signing out ends the token's sessions in every browser (said on the sign-out button and in README).


def session_epoch(session: Session, token_id: int) -> int:
    """The epoch a web session signed in now carries."""
    row = session.get(ApiToken, token_id)
    return row.session_epoch if row is not None else 0


def session_principal(session: Session, token_id: int, epoch: int) -> Principal | None:
    """The principal of a web session, or None when its token was revoked or signed out since it began."""
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked or row.session_epoch != epoch:
        return None
    return Principal(row.id, row.name, row.role)


def web_caller(store: Store, token_id: int, epoch: int) -> Principal | None:
    """The principal of a web session (see `session_principal`)."""
    with store.db.session() as session:
        return session_principal(session, token_id, epoch)


def sign_out(store: Store, token_id: int) -> None:
    """End every web session of this token (see `end_sessions`)."""
    with store.db.session() as session:
        end_sessions(session, token_id)


def end_sessions(session: Session, token_id: int) -> None:
    """Sign out: every web session of this token ends, in every browser."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id)
                    .values(session_epoch=ApiToken.session_epoch + 1))


def revoke(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    row.revoked = True
    return row


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def token_dict(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "role": row.role, "revoked": row.revoked,
            "created_at": row.created_at, "last_used_at": row.last_used_at}


def tokens_listed(store: Store) -> list[dict[str, Any]]:
    """Every token as the API lists it (never its hash)."""
    with store.db.session() as session:
        return [token_dict(t) for t in list_tokens(session)]


def new_token(store: Store, name: str, role: str) -> dict[str, Any]:
    """A new token as the API shows it, with the plain `token` (shown only this once)."""
    with store.db.session() as session:
        row, plain = create_token(session, name, role)
        return {**token_dict(row), "token": plain}


def revoke_token(store: Store, token_id: int) -> dict[str, Any]:
    """Revoke a token; it stops working at once."""
    with store.db.session() as session:
        return token_dict(revoke(session, token_id))
