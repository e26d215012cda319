"""``modelwatch alerts|alarms|channels``: monitoring alerts, metric alarms, notification channels and
the alert history, over the REST API (docs/alerts.md).

::

    modelwatch alerts list SCHEDULE                       the schedule's monitoring alert
    modelwatch alerts update SCHEDULE --datapoints 2 --evaluation-period 3 --channel ops --reminder 4h
    modelwatch alerts history [--schedule S] [--event StateChange] [--last 1d]
    modelwatch alerts statistics METRIC --schedule S --last 1d --period 1h
    modelwatch alarms create --name drift --metric feature_baseline_drift_age --schedule S \\
        --comparison GreaterThanThreshold --threshold 0.3 [--period 1h] [--evaluation-periods 3]
    modelwatch alarms list | describe NAME | update NAME ... | delete NAME
    modelwatch channels create --file webhook.json | list | describe NAME | delete NAME

The same ``--url``, ``--token`` and ``--json`` options and exit codes as the other client commands.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    AllOption,
    EndOption,
    JsonOption,
    LastOption,
    MaxResultsOption,
    NextTokenOption,
    StartOption,
    TokenOption,
    UrlOption,
)
from modelwatch.service.alert_schemas import (
    DEFAULT_ALERT_NAME,
    AlarmState,
    ChannelSpec,
    Comparison,
    EventKind,
    MetricAlarmSpec,
    MetricAlarmUpdate,
    MonitoringAlertUpdate,
    Source,
    Statistic,
    TreatMissingData,
)

__all__ = ["alarms_app", "alerts_app", "channels_app"]

alerts_app = typer.Typer(
    help="Monitoring alerts, metric alarms, notification channels and the alert history.",
    no_args_is_help=True,
)
alarms_app = typer.Typer(
    help="Metric alarms (CloudWatch-style) on the stored metric series.", no_args_is_help=True
)
channels_app = typer.Typer(help="Notification channels: webhook, slack, email.", no_args_is_help=True)

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
ALARM_COLUMNS = [
    ("name", "name"),
    ("state", "state"),
    ("metric", "metric_name"),
    ("schedule", "schedule_name"),
    ("endpoint", "endpoint_name"),
    ("rule", "rule"),
    ("channels", "channels"),
    ("since", "state_updated_at"),
]
CHANNEL_COLUMNS = [("name", "name"), ("kind", "kind"), ("enabled", "enabled"), ("secret", "has_secret")]
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

ChannelOption = Annotated[
    list[str] | None,
    typer.Option("--channel", help="A notification channel, repeatable.", show_default=False),
]
ReminderOption = Annotated[
    str | None, typer.Option("--reminder", help="Remind every so long while alerting: 30m, 4h, 1d.")
]
NoReminderOption = Annotated[bool, typer.Option("--no-reminder", help="Send no reminders.")]


class HistorySource(StrEnum):
    MONITORING_ALERT = Source.MONITORING_ALERT.value
    METRIC_ALARM = Source.METRIC_ALARM.value


def _seconds(text: str | None, option: str) -> int | None:
    return None if text is None else int(c.parse_duration(text, option).total_seconds())


# -- monitoring alerts ----------------------------------------------------------------------------


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
        data["reminder_seconds"] = None if no_reminder else _seconds(reminder, "--reminder")
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


# -- metric alarms --------------------------------------------------------------------------------


def _rule(row: dict[str, Any]) -> dict[str, Any]:
    rule = (
        f"{row['statistic']} {row['comparison']} {row['threshold']:g}, {row['datapoints_to_alarm']} of "
        f"{row['evaluation_periods']} × {row['period_seconds']}s"
    )
    return {**row, "rule": rule}


@alarms_app.command("create")
def alarms_create(
    name: Annotated[str, typer.Option("--name", help="Alarm name.")],
    metric: Annotated[str, typer.Option("--metric", help="Metric name, e.g. feature_baseline_drift_age.")],
    comparison: Annotated[
        Comparison, typer.Option("--comparison", help="How the datapoint meets the threshold.")
    ],
    threshold: Annotated[float, typer.Option("--threshold", help="The threshold.")],
    schedule: Annotated[str | None, typer.Option("--schedule", help="The schedule's series.")] = None,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Every schedule of this endpoint.")
    ] = None,
    statistic: Annotated[Statistic, typer.Option("--statistic", help="Per period.")] = Statistic.AVERAGE,
    period: Annotated[str, typer.Option("--period", help="Period of a datapoint: 1m to 1d.")] = "1h",
    evaluation_periods: Annotated[int, typer.Option("--evaluation-periods", min=1, max=100)] = 1,
    datapoints: Annotated[
        int | None, typer.Option("--datapoints", min=1, max=100, help="Breaching datapoints that alarm.")
    ] = None,
    treat_missing: Annotated[
        TreatMissingData, typer.Option("--treat-missing", help="Periods without data.")
    ] = TreatMissingData.MISSING,
    channels: ChannelOption = None,
    reminder: ReminderOption = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a metric alarm; it is evaluated at once.

    Example: modelwatch alarms create --name drift --metric feature_baseline_drift_age
    --schedule hourly --comparison GreaterThanThreshold --threshold 0.3 --evaluation-periods 3 --datapoints 2
    """
    data = {
        "name": name,
        "description": description,
        "metric_name": metric,
        "schedule_name": schedule,
        "endpoint_name": endpoint,
        "statistic": statistic.value,
        "period_seconds": _seconds(period, "--period"),
        "evaluation_periods": evaluation_periods,
        "datapoints_to_alarm": datapoints,
        "comparison": comparison.value,
        "threshold": threshold,
        "treat_missing_data": treat_missing.value,
        "channels": channels or [],
        "reminder_seconds": _seconds(reminder, "--reminder"),
    }
    spec = c.validated(MetricAlarmSpec, data)
    with c.api(url, token) as api:
        view = api.create_alarm(spec)
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(f"alarm {view.name} created: {view.state.value}")


@alarms_app.command("list")
def alarms_list(
    schedule: Annotated[str | None, typer.Option("--schedule", help="Only this schedule's alarms.")] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Only this endpoint's alarms.")] = None,
    state: Annotated[AlarmState | None, typer.Option("--state", help="Only alarms in this state.")] = None,
    max_results: MaxResultsOption = None,
    next_token: NextTokenOption = None,
    every: AllOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List metric alarms by name.

    Example: modelwatch alarms list --state ALARM
    """
    filters = {"schedule_name": schedule, "endpoint_name": endpoint, "state": state}
    with c.api(url, token) as api:
        c.listing(
            api.list_alarms,
            filters,
            (max_results, next_token, every),
            title="metric alarms",
            columns=ALARM_COLUMNS,
            as_json=as_json,
            shown=_rule,
        )


@alarms_app.command("describe")
def alarms_describe(
    name: Annotated[str, typer.Argument(help="Alarm name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a metric alarm, its state and why.

    Example: modelwatch alarms describe drift
    """
    with c.api(url, token) as api:
        view = api.describe_alarm(name)
    c.show(f"alarm {view.name}", view, as_json)


@alarms_app.command("update")
def alarms_update(
    name: Annotated[str, typer.Argument(help="Alarm name.")],
    comparison: Annotated[Comparison | None, typer.Option("--comparison")] = None,
    threshold: Annotated[float | None, typer.Option("--threshold")] = None,
    statistic: Annotated[Statistic | None, typer.Option("--statistic")] = None,
    period: Annotated[str | None, typer.Option("--period", help="1m to 1d.")] = None,
    evaluation_periods: Annotated[int | None, typer.Option("--evaluation-periods", min=1, max=100)] = None,
    datapoints: Annotated[int | None, typer.Option("--datapoints", min=1, max=100)] = None,
    treat_missing: Annotated[TreatMissingData | None, typer.Option("--treat-missing")] = None,
    channels: ChannelOption = None,
    no_channels: Annotated[bool, typer.Option("--no-channels", help="Notify nobody.")] = False,
    reminder: ReminderOption = None,
    no_reminder: NoReminderOption = False,
    actions: Annotated[
        bool | None,
        typer.Option("--actions/--no-actions", help="Send notifications or not.", show_default=False),
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a metric alarm; it is evaluated again at once.

    Example: modelwatch alarms update drift --threshold 0.25 --reminder 1d
    """
    data: dict[str, Any] = {
        key: value
        for key, value in {
            "comparison": comparison.value if comparison else None,
            "threshold": threshold,
            "statistic": statistic.value if statistic else None,
            "period_seconds": _seconds(period, "--period"),
            "evaluation_periods": evaluation_periods,
            "datapoints_to_alarm": datapoints,
            "treat_missing_data": treat_missing.value if treat_missing else None,
            "actions_enabled": actions,
        }.items()
        if value is not None
    }
    if channels or no_channels:
        data["channels"] = [] if no_channels else channels
    if reminder is not None or no_reminder:
        data["reminder_seconds"] = None if no_reminder else _seconds(reminder, "--reminder")
    update = c.validated(MetricAlarmUpdate, data)
    with c.api(url, token) as api:
        view = api.update_alarm(name, update)
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(f"alarm {view.name} updated: {view.state.value}")


@alarms_app.command("delete")
def alarms_delete(
    name: Annotated[str, typer.Argument(help="Alarm name.")],
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Delete a metric alarm (its history is kept).

    Example: modelwatch alarms delete drift
    """
    with c.api(url, token) as api:
        api.delete_alarm(name)
    c.say(f"alarm {name} deleted")


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
    seconds = _seconds(period, "--period")
    with c.api(url, token) as api:
        points = api.metric_statistics(
            metric, start=since, end=until, schedule_name=schedule, endpoint_name=endpoint, period=seconds
        )
    rows = [c.as_data(point) for point in points]
    if as_json:
        c.echo_json({"datapoints": rows})
    else:
        c.print_table(f"{metric} per {period}", rows, STATISTICS_COLUMNS)


# -- notification channels ------------------------------------------------------------------------

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
