"""``ListMonitoringAlerts``, ``UpdateMonitoringAlert`` and ``ListMonitoringAlertHistory`` over
:mod:`modelwatch.service.alerts` (every schedule has one alert, ``MonitoringAlertName`` as SageMaker
names it) and the alert history of :mod:`modelwatch.service.notifications`."""

from __future__ import annotations

from typing import Any, Literal

from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.listing import next_token, page_token, sort_key, sort_order, time_filter
from modelwatch.sagemaker_api.reader import Reader
from modelwatch.sagemaker_api.registry import Context, operation
from modelwatch.sagemaker_api.service_errors import Members, service_errors
from modelwatch.service.alert_schemas import AlertStatus, EventKind, MonitoringAlertUpdate, Source
from modelwatch.service.alerts import list_alerts, sagemaker_summary, update_alert
from modelwatch.service.notifications import list_history
from modelwatch.service.schedules import get_schedule

__all__: list[str] = []

_SORT_KEYS: tuple[Literal["CreationTime", "Status"], ...] = ("CreationTime", "Status")
_STATUSES = tuple(status.value for status in AlertStatus)


def _members() -> Members:
    members = Members(default="MonitoringScheduleName")
    members.add("datapoints_to_alert", "DatapointsToAlert")
    members.add("evaluation_period", "EvaluationPeriod")
    members.add("max_results", "MaxResults")
    members.add("next_token", "NextToken")
    return members


def _schedule_name(request: Reader, *, required: bool = True) -> str:
    return request.text("MonitoringScheduleName", required=required, min_length=1, max_length=63)


def _summary(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        **summary,
        "CreationTime": wire.epoch(summary["CreationTime"]),
        "LastModifiedTime": wire.epoch(summary["LastModifiedTime"]),
    }


@operation("ListMonitoringAlerts", read=True)
def list_monitoring_alerts(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    request = Reader(body)
    name = _schedule_name(request)
    size = wire.max_results(body)
    token = page_token(body)
    with ctx.transaction(write=False) as session, service_errors(_members()):
        page = list_alerts(session, name, max_results=size, next_token=token)
    summaries = [_summary(sagemaker_summary(view)) for view in page.items]
    return next_token({"MonitoringAlertSummaries": summaries}, page.next_token)


@operation("UpdateMonitoringAlert")
def update_monitoring_alert(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    request = Reader(body)
    name = _schedule_name(request)
    alert = request.text("MonitoringAlertName", required=True, min_length=1, max_length=63)
    datapoints = request.required("DatapointsToAlert", int)
    period = request.required("EvaluationPeriod", int)
    with ctx.transaction() as session, service_errors(_members()):
        update = MonitoringAlertUpdate(datapoints_to_alert=datapoints, evaluation_period=period)
        update_alert(session, name, alert, update)
    return {"MonitoringScheduleArn": ctx.arn("monitoring-schedule", name), "MonitoringAlertName": alert}


@operation("ListMonitoringAlertHistory", read=True)
def list_monitoring_alert_history(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    request = Reader(body)
    name = _schedule_name(request, required=False) or None
    alert = request.optional("MonitoringAlertName", str)
    status = request.enum("StatusEquals", _STATUSES)
    size = wire.max_results(body)
    token = page_token(body)
    created_after, created_before = time_filter(body, "CreationTime")
    with ctx.transaction(write=False) as session, service_errors(_members()):
        if name is not None:
            get_schedule(session, name)  # a missing schedule is ResourceNotFound
        page = list_history(
            session,
            source=Source.MONITORING_ALERT,
            event=EventKind.STATE_CHANGE,
            schedule_name=name,
            name=alert,
            status=status,
            created_after=created_after,
            created_before=created_before,
            sort_by=sort_key(body, _SORT_KEYS, "CreationTime"),
            sort_order=sort_order(body),
            max_results=size,
            next_token=token,
        )
    history = [
        {
            "MonitoringScheduleName": event.schedule_name,
            "MonitoringAlertName": event.name,
            "CreationTime": wire.epoch(event.created_at),
            "AlertStatus": event.status,
        }
        for event in page.items
    ]
    return next_token({"MonitoringAlertHistory": history}, page.next_token)
