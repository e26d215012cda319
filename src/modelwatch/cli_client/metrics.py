"""``modelwatch metrics``: see :mod:`modelwatch.cli_client`."""

from __future__ import annotations

from typing import Annotated

import typer

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    JsonOption,
    LastOption,
    StartOption,
    TokenOption,
    UrlOption,
)

__all__ = ["metrics_app"]

metrics_app = typer.Typer(help="The CloudWatch-style metrics that executions emit.", no_args_is_help=True)


@metrics_app.command("list")
def metrics_list(
    schedule: Annotated[str, typer.Argument(help="Schedule name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the names of the metrics a schedule's executions have emitted.

    Example: modelwatch metrics list churn-hourly
    """
    with c.api(url, token) as api:
        names = api.metric_names(schedule)
    if as_json:
        c.echo_json({"names": names})
    else:
        for name in names:
            c.say(name)


@metrics_app.command("show")
def metrics_show(
    schedule: Annotated[str, typer.Argument(help="Schedule name.")],
    name: Annotated[str, typer.Argument(help="Metric name, e.g. feature_baseline_drift_age.")],
    start: StartOption = None,
    end: Annotated[str | None, typer.Option("--end", help="Only points before this time.")] = None,
    last: LastOption = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10_000, help="At most this many points.")
    ] = 1000,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the points of one metric, oldest first (the newest LIMIT of them).

    Example: modelwatch metrics show churn-hourly feature_baseline_drift_age --last 7d
    """
    since, until = c.parse_window(start, end, last, default_last=None)
    with c.api(url, token) as api:
        points = api.metric(schedule, name, start=since, end=until, limit=limit)
    rows = [c.as_data(point) for point in points]
    if as_json:
        c.echo_json({"points": rows})
    else:
        columns = [("time", "timestamp"), ("value", "value"), ("execution", "execution_id")]
        c.print_table(f"{schedule}: {name}", rows, columns)
