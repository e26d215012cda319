"""``modelwatch alarms``: metric alarms (CloudWatch-style) on the stored metric series, over the REST API
(docs/alerts.md).

::

    modelwatch alarms create --name drift --metric feature_baseline_drift_age --schedule S \\
        --comparison GreaterThanThreshold --threshold 0.3 [--period 1h] [--evaluation-periods 3]
    modelwatch alarms list | describe NAME | update NAME ... | delete NAME

The same ``--url``, ``--token`` and ``--json`` options and exit codes as the other client commands.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    AllOption,
    ChannelOption,
    JsonOption,
    MaxResultsOption,
    NextTokenOption,
    NoReminderOption,
    ReminderOption,
    TokenOption,
    UrlOption,
)
from modelwatch.service.alert_schemas import (
    AlarmState,
    Comparison,
    MetricAlarmSpec,
    MetricAlarmUpdate,
    Statistic,
    TreatMissingData,
)

__all__ = ["alarms_app"]

alarms_app = typer.Typer(
    help="Metric alarms (CloudWatch-style) on the stored metric series.", no_args_is_help=True
)

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
        "period_seconds": c.seconds(period, "--period"),
        "evaluation_periods": evaluation_periods,
        "datapoints_to_alarm": datapoints,
        "comparison": comparison.value,
        "threshold": threshold,
        "treat_missing_data": treat_missing.value,
        "channels": channels or [],
        "reminder_seconds": c.seconds(reminder, "--reminder"),
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
            "period_seconds": c.seconds(period, "--period"),
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
        data["reminder_seconds"] = None if no_reminder else c.seconds(reminder, "--reminder")
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
