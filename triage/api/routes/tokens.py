"""Tokens (admins only): list, create (the plain token is returned once), revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from triage.api.deps import Admin, StoreDep
from triage.api.public_jobs import TokenCreatedPublic, TokenListPublic, TokenPublic
from triage.api.schemas import TokenCreate, errors
from triage.service.tokens import new_token, revoke_token, tokens_listed

router = APIRouter(tags=["tokens"])


@router.get("/tokens", response_model=TokenListPublic)
def list_(store: StoreDep, who: Admin) -> dict[str, Any]:
    return {"items": tokens_listed(store)}


@router.post("/tokens", status_code=201, response_model=TokenCreatedPublic, responses=errors(400, 413, 422, 503))
def create(body: TokenCreate, store: StoreDep, who: Admin) -> dict[str, Any]:
    """Create a token; `token` is shown only in this reply and stored only as its hash."""
    return new_token(store, body.name, body.role)


@router.delete("/tokens/{token_id}", response_model=TokenPublic, responses=errors(422, 503))
def delete(token_id: Annotated[int, Path(ge=0, le=2**53)], store: StoreDep, who: Admin) -> dict[str, Any]:
    """Revoke a token: it stops working at once (history keeps its name)."""
    return revoke_token(store, token_id)
