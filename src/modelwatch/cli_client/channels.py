"""``modelwatch channels``: notification channels (webhook, slack, email), over the REST API
(docs/alerts.md).

::

    modelwatch channels create --file webhook.json | list | describe NAME | delete NAME

The same ``--url``, ``--token`` and ``--json`` options and exit codes as the other client commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    AllOption,
    JsonOption,
    MaxResultsOption,
    NextTokenOption,
    TokenOption,
    UrlOption,
)
from modelwatch.service.alert_schemas import (
    ChannelSpec,
)

__all__ = ["channels_app"]

channels_app = typer.Typer(help="Notification channels: webhook, slack, email.", no_args_is_help=True)

CHANNEL_COLUMNS = [("name", "name"), ("kind", "kind"), ("enabled", "enabled"), ("secret", "has_secret")]


_CHANNEL: TypeAdapter[Any] = TypeAdapter(ChannelSpec)


@channels_app.command("create")
def channels_create(
    file: Annotated[Path, typer.Option("--file", "-f", help="The channel as JSON (see docs/alerts.md).")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace the channel of that name.")] = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create (or with --replace, replace) a notification channel from a JSON file, e.g.
    {"name": "ops", "kind": "webhook", "url": "https://hooks.example.com/mw", "secret": "..."}.

    Example: modelwatch channels create --file ops-webhook.json
    """
    try:
        text = file.read_text()
    except OSError as error:
        raise c.usage(f"cannot read {file}: {error.strerror}", "--file") from None
    try:
        spec = _CHANNEL.validate_json(text)
    except ValueError as error:
        raise c.usage(f"{file}: {error}", "--file") from None
    with c.api(url, token) as api:
        view = api.replace_channel(spec.name, spec) if replace else api.create_channel(spec)
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(f"channel {view.name} ({view.kind.value}) {'replaced' if replace else 'created'}")


@channels_app.command("list")
def channels_list(
    max_results: MaxResultsOption = None,
    next_token: NextTokenOption = None,
    every: AllOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List notification channels (secrets are never shown: a secret that is set shows as ***).

    Example: modelwatch channels list
    """
    with c.api(url, token) as api:
        c.listing(
            api.list_channels,
            {},
            (max_results, next_token, every),
            title="notification channels",
            columns=CHANNEL_COLUMNS,
            as_json=as_json,
        )


@channels_app.command("describe")
def channels_describe(
    name: Annotated[str, typer.Argument(help="Channel name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a notification channel (a secret that is set shows as ***, never its value).

    Example: modelwatch channels describe ops
    """
    with c.api(url, token) as api:
        view = api.describe_channel(name)
    c.show(f"channel {view.name}", view, as_json)


@channels_app.command("delete")
def channels_delete(
    name: Annotated[str, typer.Argument(help="Channel name.")],
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Delete a notification channel; refused while alerts or alarms send to it.

    Example: modelwatch channels delete ops
    """
    with c.api(url, token) as api:
        api.delete_channel(name)
    c.say(f"channel {name} deleted")
