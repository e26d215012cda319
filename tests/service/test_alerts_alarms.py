"""Metric alarms with CloudWatch semantics, on SQLite and PostgreSQL: period statistics against a pandas
oracle, the comparisons at the threshold, state transitions OK / ALARM / INSUFFICIENT_DATA, missing-data
treatments, which transitions are notified, reminders, and the scheduler's once-per-period pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from modelwatch.errors import ConflictError, NotFoundError, ValidationError
from modelwatch.service import alarms, alerting, endpoints, executions, schedules
from modelwatch.service.alarms import (
    AlarmState,
    Comparison,
    MetricAlarmSpec,
    MetricAlarmUpdate,
    Statistic,
    TreatMissingData,
)
from modelwatch.service.channels import Delivery, Message, WebhookChannelSpec, create_channel
from modelwatch.service.db import Database
from modelwatch.service.metrics import record_metrics
from modelwatch.service.models import Execution
from modelwatch.service.notifications import EventKind, Source, deliver_due, list_history
from modelwatch.service.schemas import EndpointSpec, ExecutionStatus, ScheduleSpec

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # a period boundary for every period that divides a day
HOUR = timedelta(hours=1)


@pytest.fixture
def setup(db: Database) -> Database:
    """Endpoint ``churn`` with schedules ``a`` and ``b``; a webhook channel ``hook`` (never reached)."""
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="churn"))
        for name in ("a", "b"):
            spec = {
                "name": name,
                "schedule_expression": "cron(0 * ? * * *)",
                "definition": {"endpoint_input": {"endpoint_name": "churn"}},
            }
            schedules.create_schedule(session, ScheduleSpec.model_validate(spec), now=T0 - timedelta(days=2))
        create_channel(session, WebhookChannelSpec(name="hook", url="http://127.0.0.1:9/hook"))
    return db


def _points(db: Database, schedule: str, at: datetime, values: dict[str, float]) -> int:
    """An execution of ``schedule`` whose window starts at ``at``, emitting ``values`` stamped at ``at``
    and ending (so its alarms are evaluated) one hour and five minutes later."""
    with db.session() as session:
        view = schedules.run_now(session, schedule, window_start=at, window_end=at + HOUR, now=at + HOUR)
        row = session.get(Execution, view.id)
        assert row is not None
        record_metrics(session, row, [(name, at, value) for name, value in values.items()])
        executions.finish_execution(
            session, view.id, ExecutionStatus.COMPLETED, now=at + HOUR + timedelta(minutes=5)
        )
    return view.id


def _alarm(db: Database, now: datetime, **fields: object) -> alarms.MetricAlarmView:
    spec = {
        "name": "drift",
        "metric_name": "feature_baseline_drift_age",
        "schedule_name": "a",
        "comparison": "GreaterThanThreshold",
        "threshold": 0.3,
        **fields,
    }
    with db.session() as session:
        return alarms.create_alarm(session, MetricAlarmSpec.model_validate(spec), now=now)


def _state(db: Database, name: str = "drift") -> AlarmState:
    with db.session(write=False) as session:
        return alarms.describe_alarm(session, name).state


def test_period_statistics_match_pandas(setup: Database) -> None:
    rng = np.random.default_rng(7)
    times = T0 + pd.to_timedelta(rng.integers(0, 6 * 3600, size=40), unit="s")
    values = rng.normal(size=40)
    with setup.session() as session:
        for i, (moment, value) in enumerate(zip(times, values, strict=True)):
            view = schedules.run_now(
                session,
                "a" if i % 2 else "b",
                window_start=T0,
                window_end=T0 + HOUR,
                now=T0 + timedelta(seconds=i),
            )
            row = session.get(Execution, view.id)
            assert row is not None
            record_metrics(session, row, [("m", moment.to_pydatetime(), float(value)), ("other", T0, 99.0)])
    frame = pd.DataFrame(
        {"time": times, "value": values, "schedule": ["b" if i % 2 == 0 else "a" for i in range(40)]}
    )
    start, end = T0 + timedelta(minutes=30), T0 + timedelta(hours=5)
    for schedule, period in ((None, 3600), ("a", 1800), ("b", 5400)):
        with setup.session(write=False) as session:
            got = alarms.metric_statistics(
                session,
                "m",
                schedule_name=schedule,
                endpoint_name="churn",
                start=start,
                end=end,
                period_seconds=period,
            )
        first = pd.Timestamp(start).floor(f"{period}s")  # epoch-aligned, as CloudWatch
        kept = frame[(frame.time >= first) & (frame.time < pd.Timestamp(end))]
        if schedule:
            kept = kept[kept.schedule == schedule]
        expected = kept.groupby(kept.time.dt.floor(f"{period}s"))["value"].agg(
            ["count", "sum", "min", "max", "mean"]
        )
        assert [p.timestamp for p in got] == [t.to_pydatetime() for t in expected.index]
        assert [p.sample_count for p in got] == expected["count"].tolist()
        for column, attribute in (
            ("sum", "sum"),
            ("min", "minimum"),
            ("max", "maximum"),
            ("mean", "average"),
        ):
            np.testing.assert_allclose([getattr(p, attribute) for p in got], expected[column], rtol=1e-12)
    with setup.session(write=False) as session:
        with pytest.raises(ValidationError) as error:
            alarms.metric_statistics(
                session, "m", schedule_name="a", start=T0, end=T0 + timedelta(days=70), period_seconds=60
            )
        assert error.value.field == "period_seconds"
        with pytest.raises(ValidationError):
            alarms.metric_statistics(session, "m", start=T0, end=T0 + HOUR, period_seconds=60)


@pytest.mark.parametrize(
    ("comparison", "breaching"),
    [
        (Comparison.GREATER_THAN, [False, False, True]),
        (Comparison.GREATER_THAN_OR_EQUAL, [False, True, True]),
        (Comparison.LESS_THAN, [True, False, False]),
        (Comparison.LESS_THAN_OR_EQUAL, [True, True, False]),
    ],
)
def test_comparisons_at_the_threshold(comparison: Comparison, breaching: list[bool]) -> None:
    values = np.array([0.2, 0.3, 0.4, np.nan])
    assert comparison.breaches(values, 0.3).tolist() == [*breaching, False]


def test_alarm_transitions_with_insufficient_data(setup: Database) -> None:
    db = setup
    view = _alarm(
        db, T0, evaluation_periods=3, datapoints_to_alarm=2, reminder_seconds=7200, channels=["hook"]
    )
    assert view.state == AlarmState.INSUFFICIENT_DATA and view.state_reason is not None
    assert view.state_reason.startswith("no datapoints in the last 3 period(s) of 3600 s")

    _points(db, "a", T0, {"feature_baseline_drift_age": 0.5, "feature_baseline_drift_income": 0.9})
    assert _state(db) == AlarmState.OK  # one breaching datapoint of the two needed
    _points(db, "a", T0 + HOUR, {"feature_baseline_drift_age": 0.1})
    assert _state(db) == AlarmState.OK
    _points(db, "b", T0 + 2 * HOUR, {"feature_baseline_drift_age": 0.9})  # another schedule: not this series
    assert _state(db) == AlarmState.OK
    execution = _points(db, "a", T0 + 2 * HOUR, {"feature_baseline_drift_age": 0.31})
    assert _state(db) == AlarmState.ALARM  # 0.5 and 0.31 of the last three periods
    with db.session(write=False) as session:
        reason = alarms.describe_alarm(session, "drift").state_reason or ""
    assert reason.startswith("2 of 3 datapoint(s) GreaterThanThreshold 0.3 (DatapointsToAlarm 2)")
    assert "0.5 (2026-03-01T00:00Z), 0.1 (2026-03-01T01:00Z), 0.31 (2026-03-01T02:00Z)" in reason

    _points(db, "a", T0 + 3 * HOUR, {"feature_baseline_drift_age": 0.2})  # 0.1, 0.31, 0.2
    assert _state(db) == AlarmState.OK
    _points(db, "a", T0 + 4 * HOUR, {"feature_baseline_drift_age": 0.8})  # 0.31, 0.2, 0.8
    assert _state(db) == AlarmState.ALARM

    # data stops: the scheduler's pass notices once per period; 0.2, 0.8, - → OK; three empty → no data
    for hours, expected in ((6, AlarmState.OK), (7, AlarmState.OK), (8, AlarmState.INSUFFICIENT_DATA)):
        alerting.on_tick(db, T0 + hours * HOUR + timedelta(minutes=1), deliver=False)
        assert _state(db) == expected, hours

    with db.session(write=False) as session:
        changes = list_history(
            session, source=Source.METRIC_ALARM, event=EventKind.STATE_CHANGE, sort_order="Ascending"
        )
    assert [(c.previous_status, c.status) for c in changes.items] == [
        ("INSUFFICIENT_DATA", "OK"),
        ("OK", "ALARM"),
        ("ALARM", "OK"),
        ("OK", "ALARM"),
        ("ALARM", "OK"),
        ("OK", "INSUFFICIENT_DATA"),
    ]
    assert changes.items[1].execution_id == execution

    sent: list[Message] = []

    def record(_spec: object, message: Message) -> Delivery:
        sent.append(message)
        return Delivery(True, False, "recorded")

    assert deliver_due(db, now=T0 + 9 * HOUR, sender=record).delivered == 4
    assert [(m.event, m.previous_state, m.state) for m in sent] == [  # entering and leaving ALARM only
        ("StateChange", "OK", "ALARM"),
        ("StateChange", "ALARM", "OK"),
        ("StateChange", "OK", "ALARM"),
        ("StateChange", "ALARM", "OK"),
    ]
    assert all((m.source, m.name, m.schedule_name) == ("MetricAlarm", "drift", "a") for m in sent)


def test_reminders_while_in_alarm(setup: Database) -> None:
    db = setup
    _points(db, "a", T0, {"feature_baseline_drift_age": 0.9})
    _alarm(
        db, T0 + HOUR + timedelta(minutes=5), reminder_seconds=3600, channels=["hook"], period_seconds=3600
    )
    assert _state(db) == AlarmState.ALARM  # created on existing data: evaluated at once
    sent: list[Message] = []

    def record(_spec: object, message: Message) -> Delivery:
        sent.append(message)
        return Delivery(True, False, "recorded")

    with db.session() as session:
        assert alarms.remind_alarms(session, T0 + 2 * HOUR) == 0
        assert alarms.remind_alarms(session, T0 + 2 * HOUR + timedelta(minutes=5)) == 1
        assert alarms.remind_alarms(session, T0 + 2 * HOUR + timedelta(minutes=30)) == 0
    deliver_due(db, now=T0 + 3 * HOUR, sender=record)
    assert [(m.event, m.state) for m in sent] == [("StateChange", "ALARM"), ("Reminder", "ALARM")]


@pytest.mark.parametrize(
    ("treatment", "expected"),
    [
        (TreatMissingData.MISSING, AlarmState.INSUFFICIENT_DATA),
        (TreatMissingData.NOT_BREACHING, AlarmState.OK),
        (TreatMissingData.BREACHING, AlarmState.ALARM),
        (TreatMissingData.IGNORE, AlarmState.OK),
    ],
)
def test_treat_missing_data(setup: Database, treatment: TreatMissingData, expected: AlarmState) -> None:
    db = setup
    _points(db, "a", T0, {"feature_baseline_drift_age": 0.1})
    _alarm(
        db,
        T0 + HOUR + timedelta(minutes=5),
        evaluation_periods=2,
        datapoints_to_alarm=1,
        treat_missing_data=treatment,
    )
    assert _state(db) == (AlarmState.ALARM if treatment == TreatMissingData.BREACHING else AlarmState.OK)
    alerting.on_tick(db, T0 + 3 * HOUR + timedelta(minutes=1), deliver=False)  # two empty periods
    assert _state(db) == expected


def test_endpoint_alarm_aggregates_schedules_and_due_only_pass(setup: Database) -> None:
    db = setup
    view = _alarm(db, T0, schedule_name=None, endpoint_name="churn", statistic="Maximum", metric_name="rmse")
    assert view.datapoints_to_alarm == 1 and view.evaluation_periods == 1
    _points(db, "a", T0, {"rmse": 0.1})
    assert _state(db) == AlarmState.OK
    _points(db, "b", T0 + HOUR, {"rmse": 0.4})
    assert _state(db) == AlarmState.ALARM
    with db.session(write=False) as session:
        evaluated = alarms.describe_alarm(session, "drift").evaluated_at
    alerting.on_tick(db, T0 + 2 * HOUR + timedelta(minutes=30), deliver=False)  # same period: skipped
    with db.session(write=False) as session:
        assert alarms.describe_alarm(session, "drift").evaluated_at == evaluated
    alerting.on_tick(db, T0 + 3 * HOUR + timedelta(minutes=1), deliver=False)
    assert _state(db) == AlarmState.INSUFFICIENT_DATA
    with db.session(write=False) as session:
        assert alarms.list_alarms(session, state=AlarmState.INSUFFICIENT_DATA).items[0].name == "drift"
        assert alarms.list_alarms(session, endpoint_name="x").items == []


def test_alarm_crud_and_rules(setup: Database) -> None:
    db = setup
    _alarm(db, T0, statistic=Statistic.SAMPLE_COUNT.value)
    with db.session() as session, pytest.raises(ConflictError, match="metric alarm 'drift' already exists"):
        alarms.create_alarm(
            session,
            MetricAlarmSpec(
                name="drift", metric_name="m", schedule_name="a", comparison="LessThanThreshold", threshold=1
            ),
        )
    for bad in (
        {"evaluation_periods": 2, "datapoints_to_alarm": 3},
        {"schedule_name": None},
        {"period_seconds": 86_400, "evaluation_periods": 32},
    ):
        with pytest.raises(ValueError):
            MetricAlarmSpec.model_validate(
                {
                    "name": "x",
                    "metric_name": "m",
                    "schedule_name": "a",
                    "comparison": "LessThanThreshold",
                    "threshold": 1,
                    **bad,
                }
            )
    with db.session() as session:
        updated = alarms.update_alarm(
            session,
            "drift",
            MetricAlarmUpdate(evaluation_periods=3, threshold=2.5, reminder_seconds=600),
            now=T0,
        )
        assert (updated.evaluation_periods, updated.datapoints_to_alarm, updated.threshold) == (3, 1, 2.5)
        updated = alarms.update_alarm(session, "drift", MetricAlarmUpdate(reminder_seconds=None), now=T0)
        assert updated.reminder_seconds is None and updated.threshold == 2.5
        with pytest.raises(ValidationError) as error:
            alarms.update_alarm(session, "drift", MetricAlarmUpdate(datapoints_to_alarm=4), now=T0)
        assert error.value.field == "datapoints_to_alarm"
        with pytest.raises(ValidationError) as error:
            alarms.update_alarm(session, "drift", MetricAlarmUpdate(threshold=None), now=T0)
        assert error.value.field == "threshold"
    with db.session() as session:
        alarms.delete_alarm(session, "drift")
    with db.session() as session, pytest.raises(NotFoundError, match="metric alarm 'drift' does not exist"):
        alarms.describe_alarm(session, "drift")
