"""Metric alarms: CloudWatch's alarm semantics over the stored metric series.

An alarm watches one metric name of a schedule, of an endpoint (every schedule of it), or both. It is
evaluated over the last ``evaluation_periods`` complete periods of ``period_seconds`` (aligned to the
epoch, like CloudWatch's; the period in progress is not looked at). Each period's datapoint is the
``statistic`` of the points stamped inside it (an execution stamps its points with its window's start).

::

    all periods empty   → treat_missing_data: missing → INSUFFICIENT_DATA, ignore → state kept,
                          notBreaching → OK, breaching → ALARM
    otherwise           → breaching = periods whose datapoint compares true against the threshold
                          (+ the empty ones when treat_missing_data is breaching);
                          ALARM when breaching ≥ datapoints_to_alarm, else OK

Every change of state is written to the alert history. Entering ``ALARM`` and leaving it are notified
(when the alarm has channels and ``actions_enabled``); changes between ``OK`` and ``INSUFFICIENT_DATA``
are recorded but not sent. While in ``ALARM``, a reminder goes out every ``reminder_seconds`` when set.

Alarms are evaluated when created or changed, when an execution of their schedule or endpoint ends,
and by the scheduler once per period (so that an alarm notices when data stops coming).
:func:`metric_statistics` is the same aggregation as a query (CloudWatch's ``GetMetricStatistics``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ValidationError
from modelwatch.service.alert_schemas import (
    MAX_SPAN,
    AlarmState,
    Comparison,
    Datapoint,
    EventKind,
    MetricAlarmSpec,
    MetricAlarmUpdate,
    MetricAlarmView,
    Source,
    Statistic,
    TreatMissingData,
)
from modelwatch.service.lookup import by_name, ensure_new_name
from modelwatch.service.models import Metric, MetricAlarm, utcnow
from modelwatch.service.notifications import record_event
from modelwatch.service.paging import page
from modelwatch.service.schemas import Page

__all__ = [
    "MAX_DATAPOINTS",
    "AlarmState",
    "Comparison",
    "Datapoint",
    "MetricAlarmSpec",
    "MetricAlarmUpdate",
    "MetricAlarmView",
    "Statistic",
    "TreatMissingData",
    "alarms_using_channel",
    "create_alarm",
    "delete_alarm",
    "describe_alarm",
    "evaluate_alarms",
    "list_alarms",
    "metric_statistics",
    "remind_alarms",
    "update_alarm",
]

KIND = "metric alarm"
MAX_DATAPOINTS = 1440
"""Most periods one statistics query may span."""


def _view(row: MetricAlarm) -> MetricAlarmView:
    return MetricAlarmView.model_validate(row, from_attributes=True)


# -- statistics -----------------------------------------------------------------------------------


def _epoch(moment: datetime) -> float:
    return moment.astimezone(UTC).timestamp()


def metric_statistics(
    session: Session,
    metric_name: str,
    *,
    schedule_name: str | None = None,
    endpoint_name: str | None = None,
    start: datetime,
    end: datetime,
    period_seconds: int,
) -> list[Datapoint]:
    """The statistics of ``metric_name`` per period of ``period_seconds`` in ``[start, end)``, oldest
    first, periods without points left out. Periods are aligned to the epoch; ``start`` is rounded down
    to a period's start.

    Raises:
        ValidationError: neither a schedule nor an endpoint is given, ``end`` is not after ``start``, or
            the range spans more than :data:`MAX_DATAPOINTS` periods.
    """
    if schedule_name is None and endpoint_name is None:
        raise ValidationError("give schedule_name, endpoint_name or both", field="schedule_name")
    if period_seconds < 1:
        raise ValidationError(f"must be positive; got {period_seconds}", field="period_seconds")
    first = math.floor(_epoch(start) / period_seconds) * period_seconds
    stop = _epoch(end)
    if stop <= first:
        raise ValidationError("must be after start", field="end")
    if (stop - first) / period_seconds > MAX_DATAPOINTS:
        raise ValidationError(
            f"the range spans more than {MAX_DATAPOINTS} periods of {period_seconds} s",
            field="period_seconds",
        )
    try:
        since = datetime.fromtimestamp(first, UTC)
    except (OverflowError, ValueError, OSError):
        raise ValidationError("out of range once rounded down to a period's start", field="start") from None
    query = sa.select(Metric.timestamp, Metric.value).where(
        Metric.name == metric_name, Metric.timestamp >= since, Metric.timestamp < end
    )
    if schedule_name is not None:
        query = query.where(Metric.schedule_name == schedule_name)
    if endpoint_name is not None:
        query = query.where(Metric.endpoint_name == endpoint_name)
    rows = session.execute(query).all()
    if not rows:
        return []
    times = np.fromiter((_epoch(t) for t, _ in rows), dtype=np.float64, count=len(rows))
    values = np.fromiter((v for _, v in rows), dtype=np.float64, count=len(rows))
    buckets = ((times - first) // period_seconds).astype(np.int64)
    order = np.argsort(buckets, kind="stable")
    buckets, values = buckets[order], values[order]
    keys, starts, counts = np.unique(buckets, return_index=True, return_counts=True)
    sums = np.add.reduceat(values, starts)
    minima = np.minimum.reduceat(values, starts)
    maxima = np.maximum.reduceat(values, starts)
    return [
        Datapoint(
            timestamp=datetime.fromtimestamp(first + int(key) * period_seconds, UTC),
            sample_count=int(count),
            sum=float(total),
            minimum=float(low),
            maximum=float(high),
            average=float(total) / int(count),
        )
        for key, count, total, low, high in zip(keys, counts, sums, minima, maxima, strict=True)
    ]


# -- evaluation -----------------------------------------------------------------------------------


def _period_end(now: datetime, period_seconds: int) -> datetime:
    return datetime.fromtimestamp(math.floor(_epoch(now) / period_seconds) * period_seconds, UTC)


def _format(value: float) -> str:
    return f"{value:.6g}"


def _decide(row: MetricAlarm, points: Sequence[Datapoint], end: datetime) -> tuple[AlarmState, str]:
    """The state the alarm's periods ending at ``end`` call for, and why (CloudWatch-style reason)."""
    count = row.evaluation_periods
    statistic, comparison = Statistic(row.statistic), Comparison(row.comparison)
    missing_rule = TreatMissingData(row.treat_missing_data)
    values = np.array([p.value(statistic) for p in points], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        breaching = int(comparison.breaches(values, row.threshold).sum())
    absent = count - len(points)
    window = (
        f"the last {count} period(s) of {row.period_seconds} s up to {end.isoformat().replace('+00:00', 'Z')}"
    )
    if not len(points):
        if missing_rule == TreatMissingData.MISSING:
            return AlarmState.INSUFFICIENT_DATA, f"no datapoints in {window}"
        if missing_rule == TreatMissingData.IGNORE:
            return AlarmState(row.state), f"no datapoints in {window}; state kept (treat_missing_data ignore)"
    if missing_rule == TreatMissingData.BREACHING:
        breaching += absent
    shown = ", ".join(f"{_format(p.value(statistic))} ({p.timestamp:%Y-%m-%dT%H:%MZ})" for p in points[-5:])
    reason = (
        f"{breaching} of {count} datapoint(s) {comparison.value} {_format(row.threshold)} "
        f"(DatapointsToAlarm {row.datapoints_to_alarm}) in {window}"
        + (f"; {statistic.value}: {shown}" if shown else "")
        + (f"; {absent} period(s) without data ({missing_rule.value})" if absent else "")
    )
    return (AlarmState.ALARM if breaching >= row.datapoints_to_alarm else AlarmState.OK), reason


def _evaluate(session: Session, row: MetricAlarm, now: datetime, execution_id: int | None) -> AlarmState:
    end = _period_end(now, row.period_seconds)
    start = end - timedelta(seconds=row.period_seconds * row.evaluation_periods)
    points = metric_statistics(
        session,
        row.metric_name,
        schedule_name=row.schedule_name,
        endpoint_name=row.endpoint_name,
        start=start,
        end=end,
        period_seconds=row.period_seconds,
    )
    state, reason = _decide(row, points, end)
    first = row.evaluated_at is None
    row.evaluated_at = now
    if state.value == row.state:
        if first:  # the reason of the initial state, instead of "not evaluated yet"
            row.state_reason = reason[:1024]
        return state
    previous = row.state
    notify = row.actions_enabled and AlarmState.ALARM.value in (state.value, previous)
    record_event(
        session,
        source=Source.METRIC_ALARM,
        name=row.name,
        schedule_name=row.schedule_name,
        endpoint_name=row.endpoint_name,
        event=EventKind.STATE_CHANGE,
        status=state.value,
        previous_status=previous,
        reason=reason,
        execution_id=execution_id,
        now=now,
        notify=row.channels if notify else (),
    )
    row.state, row.state_reason, row.state_updated_at = state.value, reason[:1024], now
    if notify:
        row.last_notified_at = now
    return state


def _evaluated_this_period(row: MetricAlarm, now: datetime) -> bool:
    return row.evaluated_at is not None and _period_end(row.evaluated_at, row.period_seconds) == _period_end(
        now, row.period_seconds
    )


def evaluate_alarms(
    session: Session,
    *,
    now: datetime | None = None,
    schedule_name: str | None = None,
    endpoint_name: str | None = None,
    due_only: bool = False,
    execution_id: int | None = None,
) -> int:
    """Evaluate alarms; returns how many changed state. With ``schedule_name`` / ``endpoint_name``, only
    the alarms on that schedule or endpoint (after one of its executions ended); with ``due_only``, only
    those whose period has rolled over since they were last evaluated (the scheduler's periodic pass)."""
    moment = now or utcnow()
    query = sa.select(MetricAlarm).order_by(MetricAlarm.id)
    if schedule_name is not None or endpoint_name is not None:
        scope = []
        if schedule_name is not None:
            scope.append(MetricAlarm.schedule_name == schedule_name)
        if endpoint_name is not None:
            scope.append(
                sa.and_(MetricAlarm.endpoint_name == endpoint_name, MetricAlarm.schedule_name.is_(None))
            )
        query = query.where(sa.or_(*scope))
    changed = 0
    for row in session.scalars(query.with_for_update()).all():
        if due_only and _evaluated_this_period(row, moment):
            continue
        before = row.state
        if _evaluate(session, row, moment, execution_id).value != before:
            changed += 1
    return changed


def remind_alarms(session: Session, now: datetime | None = None) -> int:
    """Queue a reminder for every alarm in ``ALARM`` whose reminder interval has passed since its last
    notification; returns how many."""
    moment = now or utcnow()
    rows = session.scalars(
        sa.select(MetricAlarm)
        .where(MetricAlarm.state == AlarmState.ALARM.value, MetricAlarm.reminder_seconds.is_not(None))
        .with_for_update()
    ).all()
    sent = 0
    for row in rows:
        assert row.reminder_seconds is not None
        since = row.last_notified_at or row.state_updated_at
        if not (row.channels and row.actions_enabled) or moment - since < timedelta(
            seconds=row.reminder_seconds
        ):
            continue
        record_event(
            session,
            source=Source.METRIC_ALARM,
            name=row.name,
            schedule_name=row.schedule_name,
            endpoint_name=row.endpoint_name,
            event=EventKind.REMINDER,
            status=row.state,
            reason=row.state_reason,
            now=moment,
            notify=row.channels,
        )
        row.last_notified_at = moment
        sent += 1
    return sent


# -- the store ------------------------------------------------------------------------------------


def create_alarm(session: Session, spec: MetricAlarmSpec, *, now: datetime | None = None) -> MetricAlarmView:
    """Add an alarm (``INSUFFICIENT_DATA`` until evaluated) and evaluate it at once.

    Raises:
        ConflictError: an alarm of that name exists.
    """
    moment = now or utcnow()
    ensure_new_name(session, MetricAlarm, spec.name, KIND)
    data = spec.model_dump()
    data["datapoints_to_alarm"] = spec.datapoints_to_alarm or spec.evaluation_periods
    data["channels"] = list(dict.fromkeys(spec.channels))
    row = MetricAlarm(
        **data,
        state=AlarmState.INSUFFICIENT_DATA.value,
        state_reason="not evaluated yet",
        state_updated_at=moment,
        created_at=moment,
        updated_at=moment,
    )
    session.add(row)
    session.flush()
    _evaluate(session, row, moment, None)
    session.flush()
    return _view(row)


def describe_alarm(session: Session, name: str) -> MetricAlarmView:
    return _view(by_name(session, MetricAlarm, name, KIND))


def list_alarms(
    session: Session,
    *,
    schedule_name: str | None = None,
    endpoint_name: str | None = None,
    state: AlarmState | None = None,
    name_prefix: str | None = None,
    max_results: int = 100,
    next_token: str | None = None,
) -> Page[MetricAlarmView]:
    """Alarms by name (CloudWatch's ``DescribeAlarms`` filters)."""
    query = sa.select(MetricAlarm)
    if schedule_name is not None:
        query = query.where(MetricAlarm.schedule_name == schedule_name)
    if endpoint_name is not None:
        query = query.where(MetricAlarm.endpoint_name == endpoint_name)
    if state is not None:
        query = query.where(MetricAlarm.state == AlarmState(state).value)
    if name_prefix:
        query = query.where(MetricAlarm.name.startswith(name_prefix, autoescape=True))
    rows, token = page(session, query.order_by(MetricAlarm.name, MetricAlarm.id), max_results, next_token)
    return Page[MetricAlarmView](items=[_view(r) for r in rows], next_token=token)


def update_alarm(
    session: Session, name: str, update: MetricAlarmUpdate, *, now: datetime | None = None
) -> MetricAlarmView:
    """Change an alarm and evaluate it at once with its new rule.

    Raises:
        NotFoundError: there is no alarm ``name``.
        ValidationError: the result breaks a rule of :class:`MetricAlarmSpec` (the field is named).
    """
    moment = now or utcnow()
    row = by_name(session, MetricAlarm, name, KIND, for_update=True)
    given = update.model_dump(include=update.model_fields_set)
    nullable = {"description", "reminder_seconds"}
    for field, value in given.items():
        if value is None and field not in nullable:
            raise ValidationError("must not be null", field=field)
    current = _view(row).model_dump(include=set(MetricAlarmSpec.model_fields))
    merged = {**current, **given}
    if "evaluation_periods" in given and "datapoints_to_alarm" not in given:
        merged["datapoints_to_alarm"] = min(row.datapoints_to_alarm, merged["evaluation_periods"])
    if merged["datapoints_to_alarm"] > merged["evaluation_periods"]:
        raise ValidationError(
            f"must not exceed evaluation_periods ({merged['evaluation_periods']})",
            field="datapoints_to_alarm",
        )
    if timedelta(seconds=merged["period_seconds"] * merged["evaluation_periods"]) > MAX_SPAN:
        raise ValidationError(
            f"evaluation_periods × period_seconds must not exceed {MAX_SPAN.days} days",
            field="evaluation_periods",
        )
    for field, value in merged.items():
        if field != "name":
            setattr(row, field, list(dict.fromkeys(value)) if field == "channels" else value)
    row.updated_at = moment
    _evaluate(session, row, moment, None)
    session.flush()
    return _view(row)


def delete_alarm(session: Session, name: str) -> None:
    """Delete an alarm; its history is kept."""
    session.delete(by_name(session, MetricAlarm, name, KIND, for_update=True))


def alarms_using_channel(session: Session, channel: str) -> list[str]:
    """Names of the alarms that send to ``channel``."""
    rows = session.execute(sa.select(MetricAlarm.name, MetricAlarm.channels))
    return [name for name, names in rows if channel in (names or [])]
