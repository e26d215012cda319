"""``modelwatch tokens``: see :mod:`modelwatch.cli_client`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from modelwatch.service.tokens import TokenInfo

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    DatabaseOption,
    JsonOption,
    err,
)
from modelwatch.cli_client.database import Scope, open_database, stamp

__all__ = ["tokens_app"]

tokens_app = typer.Typer(help="API tokens (on the database, not over HTTP).", no_args_is_help=True)


def _token_data(info: TokenInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "scope": info.scope.value,
        "created_at": stamp(info.created_at),
        "last_used_at": stamp(info.last_used_at),
        "revoked_at": stamp(info.revoked_at),
    }


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="Token name (1–63 letters, digits, hyphens).")],
    scope: Annotated[Scope, typer.Option("--scope", help="read: every GET; admin: everything.")],
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API token and print its secret, once: it is stored only as a digest.

    Example: export MODELWATCH_TOKEN=$(modelwatch tokens create ci --scope admin)
    """
    from modelwatch.service.tokens import create_token

    with open_database(database_url) as db, db.session() as session:
        info, secret = create_token(session, name, scope.value)
    if as_json:
        c.echo_json({**_token_data(info), "secret": secret})
        return
    err.print(
        f"token {info.name} ({info.scope.value}) created; its secret is shown only now:", highlight=False
    )
    typer.echo(secret)


@tokens_app.command("list")
def tokens_list(database_url: DatabaseOption = None, as_json: JsonOption = False) -> None:
    """List API tokens (names and scopes; secrets are never stored).

    Example: modelwatch tokens list
    """
    from modelwatch.service.tokens import list_tokens

    with open_database(database_url) as db, db.session() as session:
        rows = [_token_data(info) for info in list_tokens(session)]
    if as_json:
        c.echo_json({"items": rows})
        return
    columns = [
        ("name", "name"),
        ("scope", "scope"),
        ("created", "created_at"),
        ("last used", "last_used_at"),
        ("revoked", "revoked_at"),
    ]
    c.print_table("tokens", rows, columns)


@tokens_app.command("revoke")
def tokens_revoke(
    name: Annotated[str, typer.Argument(help="Token name.")],
    database_url: DatabaseOption = None,
) -> None:
    """Revoke an API token at once. With no active token left, the API is open (loopback only).

    Example: modelwatch tokens revoke ci
    """
    from modelwatch.service.tokens import revoke_token

    with open_database(database_url) as db, db.session() as session:
        info = revoke_token(session, name)
    c.say(f"token {info.name} revoked")
