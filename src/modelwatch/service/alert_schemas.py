"""The request and answer models of alerting: monitoring alerts, metric alarms, notification channels and
the alert history (docs/alerts.md).

A leaf module (pydantic only, like :mod:`modelwatch.service.schemas`): the service modules
(:mod:`~modelwatch.service.alarms`, :mod:`~modelwatch.service.alerts`,
:mod:`~modelwatch.service.channels`, :mod:`~modelwatch.service.notifications`), the API routes, the
HTTP client and the CLI all import these models from here, so a client never loads the store
(SQLAlchemy) or the numeric kernels (numpy) to speak to the server.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from modelwatch.service.schemas import NAME_PATTERN

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "DEFAULT_ALERT_NAME",
    "DEFAULT_DATAPOINTS_TO_ALERT",
    "DEFAULT_EVALUATION_PERIOD",
    "MAX_SPAN",
    "AlarmState",
    "AlertStatus",
    "ChannelKind",
    "ChannelSpec",
    "ChannelView",
    "Comparison",
    "Datapoint",
    "EmailChannelSpec",
    "EventKind",
    "HistoryView",
    "Message",
    "MetricAlarmSpec",
    "MetricAlarmUpdate",
    "MetricAlarmView",
    "MetricStatistics",
    "MonitoringAlertUpdate",
    "MonitoringAlertView",
    "NotificationStatus",
    "OpenAlert",
    "Outcome",
    "SlackChannelSpec",
    "SmtpSecurity",
    "Source",
    "Statistic",
    "TreatMissingData",
    "WebhookChannelSpec",
]

MAX_SPAN = timedelta(days=31)
"""Longest evaluation range of an alarm (evaluation_periods × period_seconds)."""

Name = Annotated[str, Field(min_length=1, max_length=63, pattern=NAME_PATTERN)]
MetricName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00]+$")]
ChannelName = Annotated[str, Field(min_length=1, max_length=63, pattern=NAME_PATTERN)]
Period = Annotated[int, Field(ge=60, le=86_400, description="Seconds per datapoint (60 to 86400).")]
Reminder = Annotated[int, Field(ge=60, le=30 * 86_400, description="Seconds between reminders.")]
Threshold = Annotated[float, Field(allow_inf_nan=False)]


class AlarmState(StrEnum):
    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class Comparison(StrEnum):
    GREATER_THAN = "GreaterThanThreshold"
    GREATER_THAN_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    LESS_THAN = "LessThanThreshold"
    LESS_THAN_OR_EQUAL = "LessThanOrEqualToThreshold"

    def breaches(self, values: np.ndarray, threshold: float) -> np.ndarray:
        """Element-wise: does each value cross ``threshold`` (NaN never does)? Works on any array that
        compares element-wise; this module imports no numpy, so a client can use these models."""
        if self is Comparison.GREATER_THAN:
            return values > threshold
        if self is Comparison.GREATER_THAN_OR_EQUAL:
            return values >= threshold
        if self is Comparison.LESS_THAN:
            return values < threshold
        return values <= threshold


class Statistic(StrEnum):
    AVERAGE = "Average"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"
    SUM = "Sum"
    SAMPLE_COUNT = "SampleCount"


class TreatMissingData(StrEnum):
    MISSING = "missing"
    IGNORE = "ignore"
    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricAlarmSpec(_Model):
    """A new alarm. Give ``schedule_name``, ``endpoint_name`` or both; ``datapoints_to_alarm`` defaults
    to ``evaluation_periods`` (CloudWatch's default)."""

    name: Name
    description: str | None = Field(default=None, max_length=1024)
    metric_name: MetricName
    schedule_name: Name | None = None
    endpoint_name: Name | None = None
    statistic: Statistic = Statistic.AVERAGE
    period_seconds: Period = 3600
    evaluation_periods: int = Field(default=1, ge=1, le=100)
    datapoints_to_alarm: int | None = Field(default=None, ge=1, le=100)
    comparison: Comparison
    threshold: Threshold
    treat_missing_data: TreatMissingData = TreatMissingData.MISSING
    channels: list[ChannelName] = Field(default_factory=list, max_length=10)
    reminder_seconds: Reminder | None = None
    actions_enabled: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> MetricAlarmSpec:
        if self.schedule_name is None and self.endpoint_name is None:
            raise ValueError("give schedule_name, endpoint_name or both")
        if (self.datapoints_to_alarm or 0) > self.evaluation_periods:
            raise ValueError("datapoints_to_alarm must not exceed evaluation_periods")
        if timedelta(seconds=self.period_seconds * self.evaluation_periods) > MAX_SPAN:
            raise ValueError(f"evaluation_periods × period_seconds must not exceed {MAX_SPAN.days} days")
        return self


class MetricAlarmUpdate(_Model):
    """A change to an alarm: the fields given change, the others stay (``reminder_seconds: null`` turns
    reminders off, ``description: null`` removes it)."""

    description: str | None = Field(default=None, max_length=1024)
    metric_name: MetricName | None = None
    statistic: Statistic | None = None
    period_seconds: Period | None = None
    evaluation_periods: int | None = Field(default=None, ge=1, le=100)
    datapoints_to_alarm: int | None = Field(default=None, ge=1, le=100)
    comparison: Comparison | None = None
    threshold: Threshold | None = None
    treat_missing_data: TreatMissingData | None = None
    channels: list[ChannelName] | None = Field(default=None, max_length=10)
    reminder_seconds: Reminder | None = None
    actions_enabled: bool | None = None


class MetricAlarmView(_Model):
    name: str
    description: str | None
    metric_name: str
    schedule_name: str | None
    endpoint_name: str | None
    statistic: Statistic
    period_seconds: int
    evaluation_periods: int
    datapoints_to_alarm: int
    comparison: Comparison
    threshold: float
    treat_missing_data: TreatMissingData
    channels: list[str]
    reminder_seconds: int | None
    actions_enabled: bool
    state: AlarmState
    state_reason: str | None
    state_updated_at: datetime
    evaluated_at: datetime | None
    last_notified_at: datetime | None
    created_at: datetime
    updated_at: datetime


class Datapoint(_Model):
    """The statistics of one period (CloudWatch's ``Datapoint``); ``timestamp`` is the period's start."""

    timestamp: datetime
    sample_count: int
    sum: float
    minimum: float
    maximum: float
    average: float

    def value(self, statistic: Statistic) -> float:
        return {
            Statistic.AVERAGE: self.average,
            Statistic.MINIMUM: self.minimum,
            Statistic.MAXIMUM: self.maximum,
            Statistic.SUM: self.sum,
            Statistic.SAMPLE_COUNT: float(self.sample_count),
        }[statistic]


# The answer of ``GET /metric-statistics`` (no docstring: it would become the OpenAPI description).
class MetricStatistics(BaseModel):
    datapoints: list[Datapoint]


# -- monitoring alerts ----------------------------------------------------------------------------

DEFAULT_ALERT_NAME = "monitoring-alert"
"""The name of each schedule's alert (SageMaker's own default name is not documented)."""
DEFAULT_DATAPOINTS_TO_ALERT = 1
DEFAULT_EVALUATION_PERIOD = 1
"""By default one execution with violations raises the alert, and the next one without clears it."""


class AlertStatus(StrEnum):
    IN_ALERT = "InAlert"
    OK = "OK"


class MonitoringAlertUpdate(BaseModel):
    """``UpdateMonitoringAlert``: the fields given change, the others stay. ``reminder_seconds: null``
    turns reminders off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    datapoints_to_alert: int | None = Field(default=None, ge=1, le=100)
    evaluation_period: int | None = Field(default=None, ge=1, le=100)
    channels: list[ChannelName] | None = Field(default=None, max_length=10)
    reminder_seconds: Reminder | None = None
    dashboard_indicator: bool | None = None


class MonitoringAlertView(BaseModel):
    model_config = ConfigDict(frozen=True)

    schedule_name: str
    name: str
    alert_status: AlertStatus
    datapoints_to_alert: int
    evaluation_period: int
    channels: list[str]
    reminder_seconds: int | None
    dashboard_indicator: bool
    status_changed_at: datetime | None
    last_notified_at: datetime | None
    created_at: datetime
    updated_at: datetime


# -- the alert history ----------------------------------------------------------------------------


class Source(StrEnum):
    MONITORING_ALERT = "MonitoringAlert"
    METRIC_ALARM = "MetricAlarm"


class EventKind(StrEnum):
    STATE_CHANGE = "StateChange"
    REMINDER = "Reminder"
    NOTIFICATION_ATTEMPT = "NotificationAttempt"


class Outcome(StrEnum):
    DELIVERED = "Delivered"
    RETRYING = "Retrying"
    FAILED = "Failed"


class NotificationStatus(StrEnum):
    PENDING = "Pending"
    SENDING = "Sending"
    DELIVERED = "Delivered"
    FAILED = "Failed"


class HistoryView(BaseModel):
    """One line of the alert history."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    source: Source
    name: str
    schedule_name: str | None
    endpoint_name: str | None
    event: EventKind
    status: str
    previous_status: str | None
    reason: str | None
    execution_id: int | None
    channel_name: str | None
    attempt: int | None
    outcome: Outcome | None
    error: str | None
    created_at: datetime


class OpenAlert(BaseModel):
    """An alert that is firing, or (in a metric's history) one that changed state."""

    model_config = ConfigDict(frozen=True)

    source: Source
    name: str
    endpoint_name: str | None
    schedule_name: str | None
    metric_name: str | None
    state: str
    reason: str | None
    since: datetime | None


# -- notification channels ------------------------------------------------------------------------


def _check_url(url: str) -> str:
    """An http(s) URL with a host (and a valid port, if any), in printable ASCII."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as error:
        raise ValueError(f"not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return url


HttpUrl = Annotated[
    str,
    Field(
        min_length=8, max_length=1024, pattern=r"^https?://[\x21-\x7e]+$", description="http(s) URL (ASCII)."
    ),
    AfterValidator(_check_url),
]
_ADDRESS = r"^[^\s@<>,\x00-\x1f\x7f]+@[^\s@<>,\x00-\x1f\x7f]+$"
Text = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]


class ChannelKind(StrEnum):
    WEBHOOK = "webhook"
    SLACK = "slack"
    EMAIL = "email"


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


class _ChannelCommon(_Model):
    name: Name
    enabled: bool = True
    max_attempts: int = Field(default=5, ge=1, le=10, description="Attempts per message, the first included.")
    retry_seconds: float = Field(
        default=30.0, ge=0.01, le=3600, description="Wait before the first retry; doubled after each."
    )
    timeout_seconds: float = Field(default=5.0, ge=0.1, le=30, description="Bound of one attempt.")


class WebhookChannelSpec(_ChannelCommon):
    """A JSON POST of each message to ``url``, signed with ``secret`` when given."""

    kind: Literal["webhook"] = "webhook"
    url: HttpUrl
    headers: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")], Text] = Field(
        default_factory=dict, max_length=20, description="Extra request headers."
    )
    secret: str | None = Field(
        default=None, min_length=1, max_length=1024, description="HMAC-SHA256 key of the signature header."
    )


class SlackChannelSpec(_ChannelCommon):
    """A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat, ...): ``{"text": ...}``."""

    kind: Literal["slack"] = "slack"
    url: HttpUrl = Field(description="The incoming webhook URL (a secret: views show its host only).")


class EmailChannelSpec(_ChannelCommon):
    """Email over SMTP to ``recipients``."""

    kind: Literal["email"] = "email"
    host: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.:\[\]-]+$")]
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Default 25, 587 (starttls), 465 (ssl)."
    )
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: Text | None = None
    password: str | None = Field(default=None, min_length=1, max_length=1024)
    sender: Annotated[str, Field(min_length=3, max_length=255, pattern=_ADDRESS)]
    recipients: list[Annotated[str, Field(min_length=3, max_length=255, pattern=_ADDRESS)]] = Field(
        min_length=1, max_length=50
    )
    subject_prefix: str = Field(default="[modelwatch]", max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")

    @property
    def resolved_port(self) -> int:
        default = {SmtpSecurity.NONE: 25, SmtpSecurity.STARTTLS: 587, SmtpSecurity.SSL: 465}[self.security]
        return self.port or default


ChannelSpec = Annotated[WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec, Field(discriminator="kind")]
"""What a channel is: one of the three kinds, told apart by ``kind``."""


class ChannelView(_Model):
    name: str
    kind: ChannelKind
    enabled: bool
    config: dict[str, Any] = Field(
        description="The kind's settings; each secret that is set shows as *** (docs/alerts.md#secrets)."
    )
    has_secret: bool = Field(
        description="Whether any secret is set (HMAC key, header value, URL credentials, Slack URL, password)"
    )
    created_at: datetime
    updated_at: datetime


class Message(_Model):
    """What every channel sends: one state change or reminder of a monitoring alert or metric alarm."""

    source: Literal["MonitoringAlert", "MetricAlarm"]
    event: Literal["StateChange", "Reminder"]
    name: str = Field(description="The alert's or alarm's name.")
    schedule_name: str | None = None
    endpoint_name: str | None = None
    state: str = Field(description="InAlert | OK (alerts); ALARM | OK | INSUFFICIENT_DATA (alarms).")
    previous_state: str | None = None
    reason: str | None = None
    execution_id: int | None = None
    time: datetime = Field(description="When the state changed, or when the reminder was due.")
    notification_id: int | None = Field(default=None, description="Unique per message and channel.")
