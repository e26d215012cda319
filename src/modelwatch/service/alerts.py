"""Monitoring alerts: SageMaker's per-schedule alert (``ListMonitoringAlerts``, ``UpdateMonitoringAlert``,
``ListMonitoringAlertHistory``).

Every schedule has one alert, :data:`DEFAULT_ALERT_NAME`. After each execution of the schedule ends, the
alert looks at the schedule's last ``evaluation_period`` executions that reached a verdict
(``Completed`` or ``CompletedWithViolations``): when at least ``datapoints_to_alert`` of them found
violations it is ``InAlert``, else ``OK`` — also while fewer than ``evaluation_period`` executions exist,
as SageMaker's Model Dashboard does. Failed and stopped executions say nothing about the model and are
skipped (they show in the execution metrics instead).

A change of status is written to the alert history and, when the alert has channels, notified once;
while the alert stays ``InAlert`` a reminder goes out every ``reminder_seconds`` (when set). The row of
an alert is created the first time it is evaluated or updated; until then it reads as the defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from modelwatch.errors import NotFoundError, ValidationError
from modelwatch.service.alert_schemas import (
    DEFAULT_ALERT_NAME,
    DEFAULT_DATAPOINTS_TO_ALERT,
    DEFAULT_EVALUATION_PERIOD,
    AlertStatus,
    EventKind,
    MonitoringAlertUpdate,
    MonitoringAlertView,
    OpenAlert,
    Source,
)
from modelwatch.service.lookup import by_name
from modelwatch.service.models import AlertEvent, Execution, MetricAlarm, MonitoringAlert, Schedule, utcnow
from modelwatch.service.notifications import record_event
from modelwatch.service.paging import MAX_RESULTS
from modelwatch.service.schemas import ExecutionStatus, Page

__all__ = [
    "DEFAULT_ALERT_NAME",
    "DEFAULT_DATAPOINTS_TO_ALERT",
    "DEFAULT_EVALUATION_PERIOD",
    "AlertStatus",
    "MonitoringAlertUpdate",
    "MonitoringAlertView",
    "OpenAlert",
    "alerts_using_channel",
    "describe_alert",
    "evaluate_schedule_alert",
    "list_alert_history",
    "list_alerts",
    "list_open_alerts",
    "remind_alerts",
    "sagemaker_summary",
    "update_alert",
]

KIND = "monitoring alert"
_VERDICTS = (ExecutionStatus.COMPLETED.value, ExecutionStatus.COMPLETED_WITH_VIOLATIONS.value)


def _view(row: MonitoringAlert) -> MonitoringAlertView:
    return MonitoringAlertView(
        schedule_name=row.schedule_name,
        name=row.name,
        alert_status=AlertStatus(row.status),
        datapoints_to_alert=row.datapoints_to_alert,
        evaluation_period=row.evaluation_period,
        channels=list(row.channels),
        reminder_seconds=row.reminder_seconds,
        dashboard_indicator=row.dashboard_indicator,
        status_changed_at=row.status_changed_at,
        last_notified_at=row.last_notified_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _default_view(schedule: Schedule) -> MonitoringAlertView:
    return MonitoringAlertView(
        schedule_name=schedule.name,
        name=DEFAULT_ALERT_NAME,
        alert_status=AlertStatus.OK,
        datapoints_to_alert=DEFAULT_DATAPOINTS_TO_ALERT,
        evaluation_period=DEFAULT_EVALUATION_PERIOD,
        channels=[],
        reminder_seconds=None,
        dashboard_indicator=True,
        status_changed_at=None,
        last_notified_at=None,
        created_at=schedule.created_at,
        updated_at=schedule.created_at,
    )


def sagemaker_summary(view: MonitoringAlertView) -> dict[str, Any]:
    """The alert as SageMaker's ``MonitoringAlertSummary`` (for the SageMaker-compatible API)."""
    return {
        "MonitoringAlertName": view.name,
        "CreationTime": view.created_at,
        "LastModifiedTime": view.updated_at,
        "AlertStatus": view.alert_status.value,
        "DatapointsToAlert": view.datapoints_to_alert,
        "EvaluationPeriod": view.evaluation_period,
        "Actions": {"ModelDashboardIndicator": {"Enabled": view.dashboard_indicator}},
    }


def _schedule(session: Session, name: str) -> Schedule:
    return by_name(session, Schedule, name, "monitoring schedule")


def _row(session: Session, schedule: Schedule, *, lock: bool) -> MonitoringAlert | None:
    query = sa.select(MonitoringAlert).where(
        MonitoringAlert.schedule_id == schedule.id, MonitoringAlert.name == DEFAULT_ALERT_NAME
    )
    return session.scalar(query.with_for_update() if lock else query)


def _ensure_row(session: Session, schedule: Schedule, now: datetime) -> MonitoringAlert:
    """The schedule's alert row, locked; created with the defaults when missing (insert-or-ignore, so two
    evaluations at once never clash)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(MonitoringAlert)
        .values(
            schedule_id=schedule.id,
            schedule_name=schedule.name,
            name=DEFAULT_ALERT_NAME,
            datapoints_to_alert=DEFAULT_DATAPOINTS_TO_ALERT,
            evaluation_period=DEFAULT_EVALUATION_PERIOD,
            status=AlertStatus.OK.value,
            channels=[],
            dashboard_indicator=True,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["schedule_id", "name"])
    )
    row = _row(session, schedule, lock=True)
    assert row is not None
    return row


def _check_alert_name(schedule: Schedule, alert_name: str) -> None:
    if alert_name != DEFAULT_ALERT_NAME:
        raise NotFoundError(KIND, f"{schedule.name}/{alert_name}")


def list_alerts(
    session: Session, schedule_name: str, *, max_results: int = 10, next_token: str | None = None
) -> Page[MonitoringAlertView]:
    """``ListMonitoringAlerts``: the schedule's alerts (one).

    Raises:
        NotFoundError: there is no schedule ``schedule_name``.
    """
    schedule = _schedule(session, schedule_name)
    row = _row(session, schedule, lock=False)
    if not 1 <= max_results <= MAX_RESULTS:
        raise ValidationError(f"must be from 1 to {MAX_RESULTS}; got {max_results}", field="max_results")
    if next_token:  # one alert per schedule: no listing ever hands out a token
        raise ValidationError("not a token returned by a previous page", field="next_token")
    return Page[MonitoringAlertView](items=[_view(row) if row is not None else _default_view(schedule)])


def describe_alert(session: Session, schedule_name: str, alert_name: str) -> MonitoringAlertView:
    schedule = _schedule(session, schedule_name)
    _check_alert_name(schedule, alert_name)
    row = _row(session, schedule, lock=False)
    return _view(row) if row is not None else _default_view(schedule)


def update_alert(
    session: Session,
    schedule_name: str,
    alert_name: str,
    update: MonitoringAlertUpdate,
    *,
    now: datetime | None = None,
) -> MonitoringAlertView:
    """``UpdateMonitoringAlert``: change the alert's rule, channels or reminders, then evaluate it at once
    with the new rule (a change of status is notified as usual).

    Raises:
        NotFoundError: no such schedule, or an alert name other than :data:`DEFAULT_ALERT_NAME`.
        ValidationError: ``datapoints_to_alert`` would exceed ``evaluation_period``.
    """
    moment = now or utcnow()
    schedule = _schedule(session, schedule_name)
    _check_alert_name(schedule, alert_name)
    row = _ensure_row(session, schedule, moment)
    datapoints = update.datapoints_to_alert or row.datapoints_to_alert
    period = update.evaluation_period or row.evaluation_period
    if datapoints > period:
        raise ValidationError(
            f"must not exceed evaluation_period ({period}); got {datapoints}", field="datapoints_to_alert"
        )
    row.datapoints_to_alert, row.evaluation_period = datapoints, period
    if update.channels is not None:
        row.channels = list(dict.fromkeys(update.channels))
    if "reminder_seconds" in update.model_fields_set:
        row.reminder_seconds = update.reminder_seconds
    if update.dashboard_indicator is not None:
        row.dashboard_indicator = update.dashboard_indicator
    row.updated_at = moment
    _evaluate(session, schedule, row, moment, None)
    session.flush()
    return _view(row)


def _verdicts(session: Session, schedule: Schedule, count: int) -> list[str]:
    return list(
        session.scalars(
            sa.select(Execution.status)
            .where(Execution.schedule_id == schedule.id, Execution.status.in_(_VERDICTS))
            .order_by(Execution.scheduled_time.desc(), Execution.id.desc())
            .limit(count)
        )
    )


def _evaluate(
    session: Session, schedule: Schedule, row: MonitoringAlert, now: datetime, execution_id: int | None
) -> AlertStatus:
    statuses = _verdicts(session, schedule, row.evaluation_period)
    breaching = sum(status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS.value for status in statuses)
    status = AlertStatus.IN_ALERT if breaching >= row.datapoints_to_alert else AlertStatus.OK
    if status.value == row.status:
        return status
    previous = row.status
    reason = (
        f"{breaching} of the last {len(statuses)} executions found violations "
        f"(DatapointsToAlert {row.datapoints_to_alert}, EvaluationPeriod {row.evaluation_period})"
    )
    record_event(
        session,
        source=Source.MONITORING_ALERT,
        name=row.name,
        schedule_name=schedule.name,
        endpoint_name=schedule.endpoint_name,
        event=EventKind.STATE_CHANGE,
        status=status.value,
        previous_status=previous,
        reason=reason,
        execution_id=execution_id,
        now=now,
        notify=row.channels,
    )
    row.status = status.value
    row.status_changed_at = now
    row.last_notified_at = now
    return status


def evaluate_schedule_alert(
    session: Session, schedule_id: int, *, now: datetime | None = None, execution_id: int | None = None
) -> AlertStatus | None:
    """Evaluate the alert of the schedule ``schedule_id`` after one of its executions ended; None when
    the schedule no longer exists. Runs in the caller's transaction (the state, its history line and its
    queued messages commit together)."""
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        return None
    moment = now or utcnow()
    return _evaluate(session, schedule, _ensure_row(session, schedule, moment), moment, execution_id)


def remind_alerts(session: Session, now: datetime | None = None) -> int:
    """Queue a reminder for every alert that has been ``InAlert`` for its reminder interval since its last
    notification; returns how many."""
    moment = now or utcnow()
    rows: Sequence[MonitoringAlert] = session.scalars(
        sa.select(MonitoringAlert)
        .where(
            MonitoringAlert.status == AlertStatus.IN_ALERT.value,
            MonitoringAlert.reminder_seconds.is_not(None),
        )
        .with_for_update()
    ).all()
    sent = 0
    for row in rows:
        assert row.reminder_seconds is not None
        since = row.last_notified_at or row.status_changed_at or row.updated_at
        if not row.channels or moment - since < timedelta(seconds=row.reminder_seconds):
            continue
        record_event(
            session,
            source=Source.MONITORING_ALERT,
            name=row.name,
            schedule_name=row.schedule_name,
            endpoint_name=session.scalar(
                sa.select(Schedule.endpoint_name).where(Schedule.id == row.schedule_id)
            ),
            event=EventKind.REMINDER,
            status=row.status,
            reason=f"InAlert since {(row.status_changed_at or since).isoformat().replace('+00:00', 'Z')}",
            now=moment,
            notify=row.channels,
        )
        row.last_notified_at = moment
        sent += 1
    return sent


def alerts_using_channel(session: Session, channel: str) -> list[str]:
    """``schedule/alert`` of the alerts that send to ``channel``."""
    rows = session.execute(
        sa.select(MonitoringAlert.schedule_name, MonitoringAlert.name, MonitoringAlert.channels)
    )
    return [f"{schedule}/{name}" for schedule, name, names in rows if channel in (names or [])]


# -- what the dashboard shows --------------------------------------------------------------------


def list_open_alerts(session: Session) -> list[OpenAlert]:
    """Every schedule alert ``InAlert`` and every metric alarm in ``ALARM``, newest first."""
    rows = session.execute(
        sa.select(MonitoringAlert, Schedule.endpoint_name)
        .join(Schedule, Schedule.name == MonitoringAlert.schedule_name)
        .where(MonitoringAlert.status == AlertStatus.IN_ALERT.value)
    ).all()
    found = [
        OpenAlert(
            source=Source.MONITORING_ALERT,
            name=alert.name,
            endpoint_name=endpoint,
            schedule_name=alert.schedule_name,
            metric_name=None,
            state=alert.status,
            reason=f"{alert.datapoints_to_alert} of the last {alert.evaluation_period} executions "
            "found violations",
            since=alert.status_changed_at,
        )
        for alert, endpoint in rows
    ]
    alarms = session.scalars(sa.select(MetricAlarm).where(MetricAlarm.state == "ALARM"))
    found += [
        OpenAlert(
            source=Source.METRIC_ALARM,
            name=alarm.name,
            endpoint_name=alarm.endpoint_name,
            schedule_name=alarm.schedule_name,
            metric_name=alarm.metric_name,
            state=alarm.state,
            reason=alarm.state_reason,
            since=alarm.state_updated_at,
        )
        for alarm in alarms
    ]
    return sorted(found, key=lambda a: a.since or datetime.min, reverse=True)


def list_alert_history(session: Session, *, schedule_name: str, metric_name: str) -> list[OpenAlert]:
    """The state changes of the alarms on ``metric_name`` of ``schedule_name``, oldest first."""
    select_names = sa.select(MetricAlarm.name).where(
        MetricAlarm.schedule_name == schedule_name, MetricAlarm.metric_name == metric_name
    )
    events = session.scalars(
        sa.select(AlertEvent)
        .where(
            AlertEvent.source == Source.METRIC_ALARM.value,
            AlertEvent.event == EventKind.STATE_CHANGE.value,
            AlertEvent.name.in_(select_names),
        )
        .order_by(AlertEvent.created_at, AlertEvent.id)
    )
    return [
        OpenAlert(
            source=Source.METRIC_ALARM,
            name=event.name,
            endpoint_name=event.endpoint_name,
            schedule_name=event.schedule_name,
            metric_name=metric_name,
            state=event.status,
            reason=event.reason,
            since=event.created_at,
        )
        for event in events
    ]
