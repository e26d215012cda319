"""``modelwatch access-keys``: see :mod:`modelwatch.cli_client`.

Access keys sign the SageMaker API's requests (SigV4; docs/security.md). Like ``modelwatch tokens``
the commands work on the metadata database directly (``--database-url``), where the server runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from modelwatch.service.access_keys import AccessKeyInfo

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import DatabaseOption, JsonOption, err
from modelwatch.cli_client.database import Scope, open_database, stamp

__all__ = ["access_keys_app"]

access_keys_app = typer.Typer(
    help="Access keys of the SageMaker API (SigV4; on the database, not over HTTP).", no_args_is_help=True
)


def _key_data(info: AccessKeyInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "access_key_id": info.access_key_id,
        "scope": info.scope.value,
        "created_at": stamp(info.created_at),
        "last_used_at": stamp(info.last_used_at),
    }


@access_keys_app.command("create")
def access_keys_create(
    name: Annotated[str, typer.Argument(help="Key name (1–63 letters, digits, hyphens).")],
    scope: Annotated[
        Scope,
        typer.Option("--scope", help="read: Describe, List and Get operations; admin: every operation."),
    ],
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an access key and print its AccessKeyId and SecretAccessKey; the secret is shown only now.

    Example: modelwatch access-keys create sdk --scope admin
    """
    from modelwatch.service.access_keys import create_access_key

    with open_database(database_url) as db, db.session() as session:
        info, secret = create_access_key(session, name, scope.value)
    if as_json:
        c.echo_json({**_key_data(info), "secret_access_key": secret})
        return
    err.print(
        f"access key {info.name} ({info.scope.value}) created; its secret is shown only now:", highlight=False
    )
    typer.echo(f"AccessKeyId: {info.access_key_id}")
    typer.echo(f"SecretAccessKey: {secret}")


@access_keys_app.command("list")
def access_keys_list(database_url: DatabaseOption = None, as_json: JsonOption = False) -> None:
    """List access keys (names, ids and scopes; never a secret).

    Example: modelwatch access-keys list
    """
    from modelwatch.service.access_keys import list_access_keys

    with open_database(database_url) as db, db.session() as session:
        rows = [_key_data(info) for info in list_access_keys(session)]
    if as_json:
        c.echo_json({"items": rows})
        return
    columns = [
        ("name", "name"),
        ("access key id", "access_key_id"),
        ("scope", "scope"),
        ("created", "created_at"),
        ("last used", "last_used_at"),
    ]
    c.print_table("access keys", rows, columns)


@access_keys_app.command("delete")
def access_keys_delete(
    name: Annotated[str, typer.Argument(help="Key name.")],
    database_url: DatabaseOption = None,
) -> None:
    """Delete an access key: requests signed with it are refused at once. With no key left (and no API
    token), the SageMaker API is open to this machine only.

    Example: modelwatch access-keys delete sdk
    """
    from modelwatch.service.access_keys import delete_access_key

    with open_database(database_url) as db, db.session() as session:
        info = delete_access_key(session, name)
    c.say(f"access key {info.name} ({info.access_key_id}) deleted")
