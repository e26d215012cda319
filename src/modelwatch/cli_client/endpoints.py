"""``modelwatch endpoints``: see :mod:`modelwatch.cli_client`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    AllOption,
    JsonOption,
    MaxResultsOption,
    NextTokenOption,
    TokenOption,
    UrlOption,
)
from modelwatch.service.schemas import (
    EndpointSpec,
)

__all__ = ["endpoints_app"]

endpoints_app = typer.Typer(help="Register, list and delete monitored endpoints.", no_args_is_help=True)


ENDPOINT_COLUMNS = [
    ("name", "name"),
    ("variants", "variants"),
    ("status", "status"),
    ("capture", "capture_uri"),
    ("created", "created_at"),
]


@endpoints_app.command("create")
def endpoints_create(
    name: Annotated[str, typer.Option("--name", help="Endpoint name (1–63 letters, digits, hyphens).")],
    variants: Annotated[
        list[str] | None, typer.Option("--variant", help="A variant, repeatable (default: AllTraffic).")
    ] = None,
    sampling: Annotated[
        float | None, typer.Option("--sampling", min=0, max=100, help="Percentage of requests captured.")
    ] = None,
    capture_uri: Annotated[
        str | None, typer.Option("--capture-uri", help="Capture destination (default: {storage}/capture).")
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register an endpoint whose captured traffic is monitored.

    Example: modelwatch endpoints create --name churn --variant AllTraffic --sampling 50
    """
    config: dict[str, Any] | None = None
    if sampling is not None or capture_uri is not None:
        config = {"EnableCapture": True, "InitialSamplingPercentage": 100.0 if sampling is None else sampling}
        if capture_uri is not None:
            config["DestinationS3Uri"] = c.absolute(capture_uri)
    data: dict[str, Any] = {"name": name, "data_capture_config": config}
    if variants:
        data["variants"] = variants
    spec = c.validated(EndpointSpec, data)
    with c.api(url, token) as api:
        view = api.create_endpoint(spec)
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(f"endpoint {view.name} created; capture -> {view.capture_uri}")


@endpoints_app.command("list")
def endpoints_list(
    name_contains: Annotated[
        str | None, typer.Option("--name-contains", help="Only names containing this.")
    ] = None,
    max_results: MaxResultsOption = None,
    next_token: NextTokenOption = None,
    every: AllOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List endpoints by name.

    Example: modelwatch endpoints list --name-contains churn
    """
    with c.api(url, token) as api:
        c.listing(
            api.list_endpoints,
            {"name_contains": name_contains},
            (max_results, next_token, every),
            title="endpoints",
            columns=ENDPOINT_COLUMNS,
            as_json=as_json,
        )


@endpoints_app.command("describe")
def endpoints_describe(
    name: Annotated[str, typer.Argument(help="Endpoint name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an endpoint: variants, capture config and destination.

    Example: modelwatch endpoints describe churn
    """
    with c.api(url, token) as api:
        view = api.describe_endpoint(name)
    c.show(f"endpoint {name}", view, as_json)


@endpoints_app.command("delete")
def endpoints_delete(
    name: Annotated[str, typer.Argument(help="Endpoint name.")],
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Delete an endpoint (its captured files stay). Its schedules must be deleted first.

    Example: modelwatch endpoints delete churn
    """
    with c.api(url, token) as api:
        api.delete_endpoint(name)
    c.say(f"endpoint {name} deleted")
