"""Tokens (admins only): list, create (the plain token is returned once), revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from triage.api.deps import Admin, StoreDep
from triage.api.public_jobs import TokenCreatedPublic, TokenListPublic, TokenPublic
from triage.api.schemas import TokenCreate, errors
from triage.api.tokens import create_token, list_tokens, revoke, token_dict

router = APIRouter(tags=["tokens"])


@router.get("/tokens", response_model=TokenListPublic)
def list_(store: StoreDep, who: Admin) -> dict[str, Any]:
    with store.db.session() as session:
        return {"items": [token_dict(t) for t in list_tokens(session)]}


@router.post("/tokens", status_code=201, response_model=TokenCreatedPublic, responses=errors(400, 413, 422, 503))
def create(body: TokenCreate, store: StoreDep, who: Admin) -> dict[str, Any]:
    """Create a token; `token` is shown only in this reply and stored only as its hash."""
    with store.db.session() as session:
        row, plain = create_token(session, body.name, body.role)
        return {**token_dict(row), "token": plain}


@router.delete("/tokens/{token_id}", response_model=TokenPublic, responses=errors(422, 503))
def delete(token_id: Annotated[int, Path(ge=0, le=2**53)], store: StoreDep, who: Admin) -> dict[str, Any]:
    """Revoke a token: it stops working at once (history keeps its name)."""
    with store.db.session() as session:
        return token_dict(revoke(session, token_id))
