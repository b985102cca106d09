"""`triage tokens create|list|revoke`: API and web sign-in tokens."""

from __future__ import annotations

import click

from triage import runtime
from triage.api.tokens import ROLES, create_token, list_tokens, revoke, token_dict
from triage.cli import cli
from triage.cli.output import emit_json, table
from triage.config import Settings


@cli.group()
def tokens() -> None:
    """Create, list and revoke access tokens."""


@tokens.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="admin: call-outs and tokens; curator: read and decide; submitter: upload, see own.")
@click.option("--name", required=True, help="Who or what uses the token (recorded on decisions).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def create(settings: Settings, role: str, name: str, as_json: bool) -> None:
    """Create a token and print it once; only its hash is stored."""
    store = runtime.open_store(settings)
    with store.db.session() as session:
        row, plain = create_token(session, name, role)
        data = {**token_dict(row), "token": plain}
    if as_json:
        emit_json(data)
    else:
        click.echo(plain)
        click.echo(f"token {data['id']} for {name} ({role}); it is shown only now, keep it safe", err=True)


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def list_(settings: Settings, as_json: bool) -> None:
    """List tokens (never the tokens themselves)."""
    store = runtime.open_store(settings)
    with store.db.session() as session:
        rows = [token_dict(t) for t in list_tokens(session)]
    if as_json:
        emit_json({"tokens": rows})
    else:
        table([[str(r["id"]), r["name"], r["role"], "revoked" if r["revoked"] else "active"] for r in rows],
              ["ID", "NAME", "ROLE", "STATE"])


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
def revoke_(settings: Settings, token_id: int) -> None:
    """Revoke a token by its id; it stops working at once."""
    store = runtime.open_store(settings)
    with store.db.session() as session:
        revoke(session, token_id)
    click.echo(f"revoked token {token_id}")
