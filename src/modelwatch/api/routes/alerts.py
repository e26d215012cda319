"""Alerting routes: monitoring alerts (SageMaker's per-schedule alert), metric alarms, notification
channels, the alert history, and period statistics of a metric series (docs/alerts.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Response

from modelwatch.api.errors import responses
from modelwatch.api.models import UtcDateTime
from modelwatch.service import alarms, alerts, channels, notifications
from modelwatch.service.alert_schemas import (
    AlarmState,
    ChannelSpec,
    ChannelView,
    EventKind,
    HistoryView,
    MetricAlarmSpec,
    MetricAlarmUpdate,
    MetricAlarmView,
    MetricStatistics,
    MonitoringAlertUpdate,
    MonitoringAlertView,
    Source,
)
from modelwatch.service.schemas import NAME_PATTERN, Page
from modelwatch.web.deps import MaxResults, NameFilter, NameInPath, NextToken, SessionDep

__all__ = ["MetricStatistics", "router"]

router = APIRouter(tags=["alerts"])

AlertName = Annotated[
    str, Path(min_length=1, max_length=63, pattern=NAME_PATTERN, description="The alert's name.")
]
MetricNameQuery = Annotated[
    str, Query(min_length=1, max_length=255, pattern=r"^[^\x00]+$", description="The metric's name.")
]
StatusQuery = Annotated[
    str | None,
    Query(
        pattern=r"^(InAlert|OK|ALARM|INSUFFICIENT_DATA)$",
        description="Only lines of this status: InAlert, OK (alerts); ALARM, OK, INSUFFICIENT_DATA (alarms).",
    ),
]
NamePrefix = Annotated[
    str | None, Query(max_length=63, pattern=r"^[a-zA-Z0-9-]*$", description="Only names that start so.")
]


# -- monitoring alerts ----------------------------------------------------------------------------


@router.get("/schedules/{name}/alerts", responses=responses(404, 422))
def list_monitoring_alerts(
    name: NameInPath, session: SessionDep, max_results: MaxResults = 10, next_token: NextToken = None
) -> Page[MonitoringAlertView]:
    """The schedule's monitoring alerts (SageMaker's ListMonitoringAlerts; one per schedule)."""
    return alerts.list_alerts(session, name, max_results=max_results, next_token=next_token)


@router.get("/schedules/{name}/alerts/{alert}", responses=responses(404, 422))
def describe_monitoring_alert(name: NameInPath, alert: AlertName, session: SessionDep) -> MonitoringAlertView:
    return alerts.describe_alert(session, name, alert)


@router.patch("/schedules/{name}/alerts/{alert}", responses=responses(400, 403, 404, 413, 422))
def update_monitoring_alert(
    name: NameInPath, alert: AlertName, update: MonitoringAlertUpdate, session: SessionDep
) -> MonitoringAlertView:
    """Change the alert's rule, channels or reminders (SageMaker's UpdateMonitoringAlert); the alert is
    evaluated again at once."""
    return alerts.update_alert(session, name, alert, update)


@router.get("/alert-history", responses=responses(422))
def list_alert_history(
    session: SessionDep,
    source: Source | None = None,
    schedule_name: NameFilter = None,
    name: NameFilter = None,
    status: StatusQuery = None,
    event: EventKind | None = None,
    created_after: UtcDateTime | None = None,
    created_before: UtcDateTime | None = None,
    sort_by: Literal["CreationTime", "Status"] = "CreationTime",
    sort_order: Literal["Ascending", "Descending"] = "Descending",
    max_results: MaxResults = 100,
    next_token: NextToken = None,
) -> Page[HistoryView]:
    """State changes, reminders and notification attempts of alerts and alarms (SageMaker's
    ListMonitoringAlertHistory, which shows the state changes of monitoring alerts)."""
    return notifications.list_history(
        session,
        source=source,
        schedule_name=schedule_name,
        name=name,
        status=status,
        event=event,
        created_after=created_after,
        created_before=created_before,
        sort_by=sort_by,
        sort_order=sort_order,
        max_results=max_results,
        next_token=next_token,
    )


# -- metric alarms --------------------------------------------------------------------------------


@router.post("/alarms", status_code=201, responses=responses(400, 403, 409, 413, 422))
def create_alarm(spec: MetricAlarmSpec, session: SessionDep) -> MetricAlarmView:
    """Create a metric alarm; it is evaluated at once."""
    return alarms.create_alarm(session, spec)


@router.get("/alarms", responses=responses(422))
def list_alarms(
    session: SessionDep,
    schedule_name: NameFilter = None,
    endpoint_name: NameFilter = None,
    state: AlarmState | None = None,
    name_prefix: NamePrefix = None,
    max_results: MaxResults = 100,
    next_token: NextToken = None,
) -> Page[MetricAlarmView]:
    """Metric alarms by name."""
    return alarms.list_alarms(
        session,
        schedule_name=schedule_name,
        endpoint_name=endpoint_name,
        state=state,
        name_prefix=name_prefix,
        max_results=max_results,
        next_token=next_token,
    )


@router.get("/alarms/{name}", responses=responses(404, 422))
def describe_alarm(name: NameInPath, session: SessionDep) -> MetricAlarmView:
    return alarms.describe_alarm(session, name)


@router.patch("/alarms/{name}", responses=responses(400, 403, 404, 413, 422))
def update_alarm(name: NameInPath, update: MetricAlarmUpdate, session: SessionDep) -> MetricAlarmView:
    """Change a metric alarm; it is evaluated again at once."""
    return alarms.update_alarm(session, name, update)


@router.delete("/alarms/{name}", status_code=204, response_class=Response, responses=responses(403, 404, 422))
def delete_alarm(name: NameInPath, session: SessionDep) -> None:
    """Delete a metric alarm; its history is kept."""
    alarms.delete_alarm(session, name)


@router.get("/metric-statistics", responses=responses(422))
def metric_statistics(
    session: SessionDep,
    metric_name: MetricNameQuery,
    start: UtcDateTime,
    end: UtcDateTime,
    schedule_name: NameFilter = None,
    endpoint_name: NameFilter = None,
    period: Annotated[int, Query(ge=60, le=86_400, description="Seconds per datapoint.")] = 3600,
) -> MetricStatistics:
    """Statistics of a metric series per period in ``[start, end)`` (what alarms evaluate; CloudWatch's
    GetMetricStatistics). Give ``schedule_name``, ``endpoint_name`` or both."""
    return MetricStatistics(
        datapoints=alarms.metric_statistics(
            session,
            metric_name,
            schedule_name=schedule_name,
            endpoint_name=endpoint_name,
            start=start,
            end=end,
            period_seconds=period,
        )
    )


# -- notification channels ------------------------------------------------------------------------

ChannelBody = Annotated[ChannelSpec, Body(description="A webhook, slack or email channel (by `kind`).")]


@router.post("/notification-channels", status_code=201, responses=responses(400, 403, 409, 413, 422))
def create_channel(spec: ChannelBody, session: SessionDep) -> ChannelView:
    """Add a notification channel."""
    return channels.create_channel(session, spec)


@router.get("/notification-channels", responses=responses(422))
def list_channels(
    session: SessionDep, max_results: MaxResults = 100, next_token: NextToken = None
) -> Page[ChannelView]:
    """Notification channels by name; each secret that is set shows as *** (docs/alerts.md#secrets)."""
    return channels.list_channels(session, max_results=max_results, next_token=next_token)


@router.get("/notification-channels/{name}", responses=responses(404, 422))
def describe_channel(name: NameInPath, session: SessionDep) -> ChannelView:
    return channels.describe_channel(session, name)


@router.put("/notification-channels/{name}", responses=responses(400, 403, 404, 413, 422))
def replace_channel(name: NameInPath, spec: ChannelBody, session: SessionDep) -> ChannelView:
    """Replace a channel's settings; a secret sent as *** (or an HMAC key or password left out) keeps the
    stored one (same kind), so a view can be sent back as it is."""
    return channels.replace_channel(session, name, spec)


@router.delete(
    "/notification-channels/{name}",
    status_code=204,
    response_class=Response,
    responses=responses(403, 404, 409, 422),
)
def delete_channel(name: NameInPath, session: SessionDep) -> None:
    """Delete a channel; 409 while alerts or alarms send to it."""
    in_use = alerts.alerts_using_channel(session, name) + alarms.alarms_using_channel(session, name)
    channels.delete_channel(session, name, in_use=in_use)
