"""``modelwatch alerts``: monitoring alerts, their history and metric statistics, over the REST API
(docs/alerts.md).

::

    modelwatch alerts list SCHEDULE                       the schedule's monitoring alert
    modelwatch alerts update SCHEDULE --datapoints 2 --evaluation-period 3 --channel ops --reminder 4h
    modelwatch alerts history [--schedule S] [--event StateChange] [--last 1d]
    modelwatch alerts statistics METRIC --schedule S --last 1d --period 1h

The same ``--url``, ``--token`` and ``--json`` options and exit codes as the other client commands.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    AllOption,
    ChannelOption,
    EndOption,
    JsonOption,
    LastOption,
    MaxResultsOption,
    NextTokenOption,
    NoReminderOption,
    ReminderOption,
    StartOption,
    TokenOption,
    UrlOption,
)
from modelwatch.service.alert_schemas import (
    DEFAULT_ALERT_NAME,
    EventKind,
    MonitoringAlertUpdate,
    Source,
)

__all__ = ["alerts_app"]

alerts_app = typer.Typer(
    help="Monitoring alerts, their history and the statistics of metric series.",
    no_args_is_help=True,
)

ALERT_COLUMNS = [
    ("schedule", "schedule_name"),
    ("name", "name"),
    ("status", "alert_status"),
    ("datapoints", "datapoints_to_alert"),
    ("of", "evaluation_period"),
    ("channels", "channels"),
    ("reminder s", "reminder_seconds"),
    ("changed", "status_changed_at"),
]
HISTORY_COLUMNS = [
    ("time", "created_at"),
    ("source", "source"),
    ("name", "name"),
    ("schedule", "schedule_name"),
    ("event", "event"),
    ("status", "status"),
    ("was", "previous_status"),
    ("channel", "channel_name"),
    ("outcome", "outcome"),
    ("detail", "detail"),
]
STATISTICS_COLUMNS = [
    ("period", "timestamp"),
    ("count", "sample_count"),
    ("average", "average"),
    ("minimum", "minimum"),
    ("maximum", "maximum"),
    ("sum", "sum"),
]


class HistorySource(StrEnum):
    MONITORING_ALERT = Source.MONITORING_ALERT.value
    METRIC_ALARM = Source.METRIC_ALARM.value


@alerts_app.command("list")
def alerts_list(
    schedule: Annotated[str, typer.Argument(help="Schedule name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the monitoring alert of a schedule (SageMaker's ListMonitoringAlerts).

    Example: modelwatch alerts list hourly
    """
    with c.api(url, token) as api:
        page = api.list_alerts(schedule)
    rows = [c.as_data(item) for item in page.items]
    if as_json:
        c.echo_json({"items": rows, "next_token": page.next_token})
    else:
        c.print_table("monitoring alerts", rows, ALERT_COLUMNS)


@alerts_app.command("update")
def alerts_update(
    schedule: Annotated[str, typer.Argument(help="Schedule name.")],
    alert: Annotated[str, typer.Option("--alert", help="Alert name.")] = DEFAULT_ALERT_NAME,
    datapoints: Annotated[
        int | None,
        typer.Option("--datapoints", min=1, max=100, help="Executions with violations that alert."),
    ] = None,
    evaluation_period: Annotated[
        int | None,
        typer.Option("--evaluation-period", min=1, max=100, help="Of this many latest executions."),
    ] = None,
    channels: ChannelOption = None,
    no_channels: Annotated[bool, typer.Option("--no-channels", help="Notify nobody.")] = False,
    reminder: ReminderOption = None,
    no_reminder: NoReminderOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a schedule's monitoring alert (SageMaker's UpdateMonitoringAlert); it is evaluated at once.

    Example: modelwatch alerts update hourly --datapoints 2 --evaluation-period 3 --channel ops --reminder 4h
    """
    data: dict[str, Any] = {}
    if datapoints is not None:
        data["datapoints_to_alert"] = datapoints
    if evaluation_period is not None:
        data["evaluation_period"] = evaluation_period
    if channels or no_channels:
        data["channels"] = [] if no_channels else channels
    if reminder is not None or no_reminder:
        data["reminder_seconds"] = None if no_reminder else c.seconds(reminder, "--reminder")
    update = c.validated(MonitoringAlertUpdate, data)
    with c.api(url, token) as api:
        view = api.update_alert(schedule, update, alert=alert)
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(
            f"alert {view.name} of {view.schedule_name}: {view.alert_status.value} "
            f"({view.datapoints_to_alert} of {view.evaluation_period})"
        )


def _history_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "detail": row.get("error") or row.get("reason")}


@alerts_app.command("history")
def alerts_history(
    schedule: Annotated[str | None, typer.Option("--schedule", help="Only this schedule.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Only this alert or alarm.")] = None,
    source: Annotated[HistorySource | None, typer.Option("--source", help="Alerts or alarms.")] = None,
    event: Annotated[EventKind | None, typer.Option("--event", help="Only this kind of line.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="InAlert, OK, ALARM, INSUFFICIENT_DATA.")
    ] = None,
    start: StartOption = None,
    end: EndOption = None,
    last: LastOption = None,
    max_results: MaxResultsOption = None,
    next_token: NextTokenOption = None,
    every: AllOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """The alert history, newest first: state changes, reminders, notification attempts.

    Example: modelwatch alerts history --schedule hourly --event StateChange --last 7d
    """
    since, until = c.parse_window(start, end, last, None)
    filters = {
        "schedule_name": schedule,
        "name": name,
        "source": Source(source.value) if source else None,
        "event": event,
        "status": status,
        "created_after": since,
        "created_before": until,
    }
    with c.api(url, token) as api:
        c.listing(
            api.list_alert_history,
            filters,
            (max_results, next_token, every),
            title="alert history",
            columns=HISTORY_COLUMNS,
            as_json=as_json,
            shown=_history_row,
        )


@alerts_app.command("statistics")
def alerts_statistics(
    metric: Annotated[str, typer.Argument(help="Metric name.")],
    schedule: Annotated[str | None, typer.Option("--schedule", help="The schedule's series.")] = None,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Every schedule of this endpoint.")
    ] = None,
    period: Annotated[str, typer.Option("--period", help="Period of a datapoint: 1m to 1d.")] = "1h",
    start: StartOption = None,
    end: EndOption = None,
    last: LastOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Statistics of a metric per period (what alarms evaluate). Default window: the last day.

    Example: modelwatch alerts statistics feature_baseline_drift_age --schedule hourly --last 2d --period 6h
    """
    since, until = c.parse_window(start, end, last, "1d")
    assert since is not None and until is not None  # a default span always gives both ends
    seconds = c.seconds(period, "--period")
    with c.api(url, token) as api:
        points = api.metric_statistics(
            metric, start=since, end=until, schedule_name=schedule, endpoint_name=endpoint, period=seconds
        )
    rows = [c.as_data(point) for point in points]
    if as_json:
        c.echo_json({"datapoints": rows})
    else:
        c.print_table(f"{metric} per {period}", rows, STATISTICS_COLUMNS)
