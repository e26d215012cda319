"""The metadata store's tables (SQLAlchemy 2). The Alembic migrations under ``migrations/`` create them;
a test checks that the two agree.

The database holds metadata and metric time series, never the only copy of a result: results live as
files under each execution's ``output_uri``.

Exactly one execution per (schedule, scheduled time) is enforced by the unique key
``uq_execution_slot``; schedulers insert slots with "insert, ignore if present", so a restarted or
second scheduler can never duplicate a slot.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AccessKey",
    "Base",
    "BaselineJob",
    "Endpoint",
    "Execution",
    "JobDefinitionRow",
    "Metric",
    "SageMakerRequest",
    "Schedule",
    "Tag",
    "Token",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC (the same on SQLite and PostgreSQL), read back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


class Endpoint(Base):
    __tablename__ = "endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(63), unique=True)
    variants: Mapped[list[str]]
    data_capture_config: Mapped[dict[str, Any] | None]
    capture_uri: Mapped[str] = mapped_column(sa.String(1024))
    status: Mapped[str] = mapped_column(sa.String(32), default="InService")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BaselineJob(Base):
    __tablename__ = "baseline_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(63), unique=True)
    monitoring_type: Mapped[str] = mapped_column(sa.String(32))
    dataset_uri: Mapped[str] = mapped_column(sa.String(1024))
    dataset_format: Mapped[dict[str, Any] | None]
    # problem type and attributes (ModelQuality), analysis config (ModelBias, ModelExplainability)
    parameters: Mapped[dict[str, Any] | None]
    output_uri: Mapped[str] = mapped_column(sa.String(1024))
    status: Mapped[str] = mapped_column(sa.String(32))
    failure_reason: Mapped[str | None] = mapped_column(sa.String(1024))
    statistics_uri: Mapped[str | None] = mapped_column(sa.String(1024))
    constraints_uri: Mapped[str | None] = mapped_column(sa.String(1024))
    log_uri: Mapped[str | None] = mapped_column(sa.String(1024))
    claimed_by: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class JobDefinitionRow(Base):
    """A named monitoring job definition that schedules can share (SageMaker's ``*JobDefinition``)."""

    __tablename__ = "job_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(63), unique=True)
    monitoring_type: Mapped[str] = mapped_column(sa.String(32))
    endpoint_name: Mapped[str | None] = mapped_column(sa.String(63), index=True)
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(63), unique=True)
    monitoring_type: Mapped[str] = mapped_column(sa.String(32))
    schedule_expression: Mapped[str] = mapped_column(sa.String(256))
    data_analysis_start_time: Mapped[str | None] = mapped_column(sa.String(15))
    data_analysis_end_time: Mapped[str | None] = mapped_column(sa.String(15))
    definition: Mapped[dict[str, Any]]
    # the shared job definition the schedule was created from (its definition is copied into the schedule)
    job_definition_name: Mapped[str | None] = mapped_column(sa.String(63), index=True)
    endpoint_name: Mapped[str | None] = mapped_column(sa.String(63), index=True)
    status: Mapped[str] = mapped_column(sa.String(32))
    failure_reason: Mapped[str | None] = mapped_column(sa.String(1024))
    # the scheduler has created the executions of every slot up to and including this time
    planned_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    executions: Mapped[list[Execution]] = relationship(back_populates="schedule", passive_deletes=True)


class Execution(Base):
    __tablename__ = "executions"
    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "scheduled_time", name="uq_execution_slot"),
        sa.Index("ix_executions_status_scheduled", "status", "scheduled_time"),
        sa.Index("ix_executions_schedule_scheduled", "schedule_name", "scheduled_time"),
        sa.Index("ix_executions_created", "created_at", "id"),
        sa.Index("ix_executions_scheduled", "scheduled_time", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # kept after its schedule is deleted (SageMaker keeps the execution history)
    schedule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schedules.id", ondelete="SET NULL"))
    schedule_name: Mapped[str] = mapped_column(sa.String(63))
    endpoint_name: Mapped[str | None] = mapped_column(sa.String(63), index=True)
    monitoring_type: Mapped[str] = mapped_column(sa.String(32))
    scheduled_time: Mapped[datetime]
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    definition: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(sa.String(32))
    failure_reason: Mapped[str | None] = mapped_column(sa.String(1024))
    exit_message: Mapped[str | None] = mapped_column(sa.String(1024))
    output_uri: Mapped[str] = mapped_column(sa.String(1024))
    log_uri: Mapped[str | None] = mapped_column(sa.String(1024))
    claimed_by: Mapped[str | None] = mapped_column(sa.String(128))
    stop_requested: Mapped[bool] = mapped_column(default=False)
    violation_count: Mapped[int | None]
    record_count: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    schedule: Mapped[Schedule | None] = relationship(back_populates="executions")


class Metric(Base):
    """One point of a metric time series, emitted by an execution (``cloudwatch_metrics.jsonl``)."""

    __tablename__ = "metrics"
    __table_args__ = (sa.Index("ix_metrics_series", "schedule_name", "name", "timestamp"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    execution_id: Mapped[int] = mapped_column(sa.ForeignKey("executions.id", ondelete="CASCADE"), index=True)
    schedule_name: Mapped[str] = mapped_column(sa.String(63))
    endpoint_name: Mapped[str | None] = mapped_column(sa.String(63))
    name: Mapped[str] = mapped_column(sa.String(255))
    timestamp: Mapped[datetime]
    value: Mapped[float] = mapped_column(sa.Float)


class Token(Base):
    """An API bearer token. Only a SHA-256 digest of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(63), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(16))
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AccessKey(Base):
    """An access key of the SageMaker API (SigV4). SigV4 needs the secret itself, so it is stored sealed
    (``service.secrets``), unlike the API tokens' digests."""

    __tablename__ = "access_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(63), unique=True)
    access_key_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    secret: Mapped[str] = mapped_column(sa.Text)
    scope: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class Tag(Base):
    """A tag (SageMaker's ``Tags``) of a resource, by resource type (``monitoring-schedule``) and name."""

    __tablename__ = "tags"
    __table_args__ = (sa.UniqueConstraint("resource_type", "resource_name", "key", name="uq_tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_type: Mapped[str] = mapped_column(sa.String(64))
    resource_name: Mapped[str] = mapped_column(sa.String(63))
    key: Mapped[str] = mapped_column(sa.String(128))
    value: Mapped[str] = mapped_column(sa.String(256))


class SageMakerRequest(Base):
    """The SageMaker API request that created a resource (``CreateDataQualityJobDefinition``,
    ``CreateMonitoringSchedule``, ``CreateProcessingJob``, ...), kept so that Describe answers with what
    Create sent: the fields modelwatch does not use (``RoleArn``, ``ClusterConfig``, ``LocalPath``) too."""

    __tablename__ = "sagemaker_requests"
    __table_args__ = (sa.UniqueConstraint("resource_type", "resource_name", name="uq_sagemaker_request"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_type: Mapped[str] = mapped_column(sa.String(64))
    resource_name: Mapped[str] = mapped_column(sa.String(63))
    request: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- alerts, alarms and notifications (docs/alerts.md) ---------------------------------------------


class NotificationChannel(Base):
    """Where notifications go: a webhook, a Slack-compatible incoming webhook, or email over SMTP.

    ``config`` holds the kind's settings (URL, headers, SMTP host, recipients, retry policy); ``secret``
    the one value that views never show (the webhook's HMAC key, the Slack URL, the SMTP password).
    """

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(63), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    config: Mapped[dict[str, Any]]
    secret: Mapped[str | None] = mapped_column(sa.String(1024))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MonitoringAlert(Base):
    """A schedule's monitoring alert (SageMaker's ``MonitoringAlertSummary``): ``InAlert`` while at least
    ``datapoints_to_alert`` of the last ``evaluation_period`` executions found violations. Deleted with
    its schedule; its history is kept."""

    __tablename__ = "monitoring_alerts"
    __table_args__ = (sa.UniqueConstraint("schedule_id", "name", name="uq_monitoring_alert"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("schedules.id", ondelete="CASCADE"))
    schedule_name: Mapped[str] = mapped_column(sa.String(63), index=True)
    name: Mapped[str] = mapped_column(sa.String(63))
    datapoints_to_alert: Mapped[int]
    evaluation_period: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16))
    channels: Mapped[list[str]]
    reminder_seconds: Mapped[int | None]
    dashboard_indicator: Mapped[bool] = mapped_column(default=True)
    status_changed_at: Mapped[datetime | None]
    last_notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MetricAlarm(Base):
    """A CloudWatch-style alarm on a stored metric series: ``OK``, ``ALARM`` or ``INSUFFICIENT_DATA``."""

    __tablename__ = "metric_alarms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(63), unique=True)
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    metric_name: Mapped[str] = mapped_column(sa.String(255))
    schedule_name: Mapped[str | None] = mapped_column(sa.String(63), index=True)
    endpoint_name: Mapped[str | None] = mapped_column(sa.String(63), index=True)
    statistic: Mapped[str] = mapped_column(sa.String(16))
    period_seconds: Mapped[int]
    evaluation_periods: Mapped[int]
    datapoints_to_alarm: Mapped[int]
    comparison: Mapped[str] = mapped_column(sa.String(40))
    threshold: Mapped[float] = mapped_column(sa.Float)
    treat_missing_data: Mapped[str] = mapped_column(sa.String(16))
    channels: Mapped[list[str]]
    reminder_seconds: Mapped[int | None]
    actions_enabled: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(sa.String(20))
    state_reason: Mapped[str | None] = mapped_column(sa.String(1024))
    state_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    evaluated_at: Mapped[datetime | None]
    last_notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertEvent(Base):
    """One line of the alert history: a state change, a reminder, or one notification attempt and its
    outcome, of a monitoring alert or a metric alarm. Kept when the alert, alarm or schedule is deleted."""

    __tablename__ = "alert_history"
    __table_args__ = (
        sa.Index("ix_alert_history_created", "created_at", "id"),
        sa.Index("ix_alert_history_source", "source", "name", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(63))
    schedule_name: Mapped[str | None] = mapped_column(sa.String(63), index=True)
    endpoint_name: Mapped[str | None] = mapped_column(sa.String(63))
    event: Mapped[str] = mapped_column(sa.String(24))
    status: Mapped[str] = mapped_column(sa.String(20))
    previous_status: Mapped[str | None] = mapped_column(sa.String(20))
    reason: Mapped[str | None] = mapped_column(sa.String(1024))
    execution_id: Mapped[int | None]
    channel_name: Mapped[str | None] = mapped_column(sa.String(63))
    attempt: Mapped[int | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    error: Mapped[str | None] = mapped_column(sa.String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """The outbox: one message of one history event to one channel, sent off the job path with retries."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_history.id", ondelete="CASCADE"), index=True)
    channel_name: Mapped[str] = mapped_column(sa.String(63))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


__all__ += ["AlertEvent", "MetricAlarm", "MonitoringAlert", "Notification", "NotificationChannel"]
