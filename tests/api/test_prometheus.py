"""``GET /metrics``: the Prometheus exposition parses with prometheus-client's own parser and holds the
latest value of each metric series with its labels, execution counts, the scheduler's lag, alert and
alarm states and capture counters; it needs a token like the API; apps never share state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from modelwatch.api import create_app
from modelwatch.api.prometheus import (
    CaptureSources,
    StoreCollector,
    register_capture_writer,
    split_feature,
    unregister_capture_writer,
)
from modelwatch.capture.config import DataCaptureConfig
from modelwatch.capture.writer import CaptureWriter
from modelwatch.service import alarms, executions, schedules, tokens
from modelwatch.service.db import Database, open_database
from modelwatch.service.metrics import record_metrics
from modelwatch.service.models import Execution
from modelwatch.service.schemas import ExecutionStatus

pytestmark = pytest.mark.anyio

PAST = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _execution(
    db: Database, schedule: str, at: datetime, status: ExecutionStatus | None, points: dict[str, float]
) -> None:
    with db.session() as session:
        view = schedules.run_now(session, schedule, window_start=at - HOUR, window_end=at, now=at)
        row = session.get(Execution, view.id)
        assert row is not None
        record_metrics(session, row, [(name, at - HOUR, value) for name, value in points.items()])
        if status is not None:
            executions.finish_execution(session, view.id, status, now=at)


@pytest.fixture
def seeded(db: Database, schedule: str) -> Database:
    """Three executions of ``hourly`` (endpoint ``churn``): an old and a new one with metrics, and one
    still Pending since two hours ago; a metric alarm in ALARM."""
    _execution(
        db, schedule, PAST, ExecutionStatus.COMPLETED, {"feature_baseline_drift_age": 0.2, "accuracy": 0.91}
    )
    _execution(
        db,
        schedule,
        PAST + HOUR,
        ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
        {"feature_baseline_drift_age": 0.45, "feature_data_income": 3.5},
    )
    _execution(db, schedule, datetime.now(UTC) - 2 * HOUR, None, {})
    spec = {"name": "drift", "metric_name": "feature_baseline_drift_age", "schedule_name": schedule}
    spec |= {"comparison": "GreaterThanThreshold", "threshold": 0.3}
    with db.session() as session:
        alarms.create_alarm(
            session, alarms.MetricAlarmSpec.model_validate(spec), now=PAST + HOUR + timedelta(minutes=5)
        )
    return db


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[CaptureWriter]:
    """A real capture writer of churn/AllTraffic, registered for export while the test runs."""
    capture = CaptureWriter(DataCaptureConfig(destination_uri=str(tmp_path / "capture")), endpoint="churn")
    register_capture_writer(capture)
    yield capture
    unregister_capture_writer(capture)


def _samples(text: str) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def _value(samples: dict[str, list[Sample]], name: str, **labels: str) -> float:
    (match,) = [s.value for s in samples[name] if all(s.labels.get(k) == v for k, v in labels.items())]
    return match


async def test_metrics_exposition_holds_the_latest_values_with_labels(
    client: httpx.AsyncClient, seeded: Database, writer: CaptureWriter
) -> None:
    writer.counters.add("captured", 7)
    writer.counters.add("dropped", 2)
    answer = await client.get("http://testserver/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _samples(answer.text)

    metric = "modelwatch_monitoring_metric"
    common = {"endpoint": "churn", "schedule": "hourly", "monitoring_type": "DataQuality"}
    assert (
        _value(samples, metric, **common, metric="feature_baseline_drift", feature="age") == 0.45
    )  # the newest
    assert _value(samples, metric, **common, metric="feature_data", feature="income") == 3.5
    assert _value(samples, metric, **common, metric="accuracy", feature="") == 0.91  # only in the older one
    assert len(samples[metric]) == 3
    stamp = _value(samples, f"{metric}_timestamp_seconds", metric="feature_baseline_drift", feature="age")
    assert stamp == PAST.timestamp()  # the window start of the newest execution

    counts = {s.labels["status"]: s.value for s in samples["modelwatch_executions"]}
    assert counts == {"Completed": 1.0, "CompletedWithViolations": 1.0, "Pending": 1.0}
    lag = samples["modelwatch_scheduler_lag_seconds"][0].value
    assert 2 * 3600 <= lag < 3 * 3600
    assert (
        _value(samples, "modelwatch_monitoring_alert_in_alert", schedule="hourly", alert="monitoring-alert")
        == 1.0
    )
    states = {
        s.labels["state"]: s.value
        for s in samples["modelwatch_metric_alarm_state"]
        if s.labels["alarm"] == "drift"
    }
    assert states == {"OK": 0.0, "ALARM": 1.0, "INSUFFICIENT_DATA": 0.0}
    assert _value(samples, "modelwatch_capture_captured_total", endpoint="churn", variant="AllTraffic") == 7.0
    assert _value(samples, "modelwatch_capture_dropped_total", endpoint="churn", variant="AllTraffic") == 2.0


async def test_metrics_needs_a_token_once_tokens_exist(client: httpx.AsyncClient, db: Database) -> None:
    assert (await client.get("http://testserver/metrics")).status_code == 200
    with db.session() as session:
        _, read = tokens.create_token(session, "prometheus", "read")
    refused = await client.get("http://testserver/metrics")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    allowed = await client.get("http://testserver/metrics", headers={"Authorization": f"Bearer {read}"})
    assert allowed.status_code == 200 and "modelwatch_scheduler_lag_seconds 0.0" in allowed.text


def test_collectors_share_no_state(seeded: Database, tmp_path: Path) -> None:
    before = {
        family.name for family in prometheus_client.REGISTRY.collect()
    }  # the global registry is left alone
    other = open_database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        now = PAST + 3 * HOUR
        mine = _samples(
            prometheus_client.generate_latest(
                StoreCollector(seeded, sources=CaptureSources(), now=now)
            ).decode()
        )
        theirs = _samples(
            prometheus_client.generate_latest(
                StoreCollector(other, sources=CaptureSources(), now=now)
            ).decode()
        )
    finally:
        other.dispose()
    assert len(mine["modelwatch_monitoring_metric"]) == 3
    assert "modelwatch_monitoring_metric" not in theirs and "modelwatch_executions" not in theirs
    assert theirs["modelwatch_scheduler_lag_seconds"][0].value == 0.0
    assert not any(name.startswith("modelwatch_capture") for name in mine)  # a fresh, empty writer registry
    assert {family.name for family in prometheus_client.REGISTRY.collect()} == before
    assert not any(name.startswith("modelwatch") for name in before)


def test_split_feature() -> None:
    assert split_feature("feature_baseline_drift_age") == ("feature_baseline_drift", "age")
    assert split_feature("feature_non_null_x_y") == ("feature_non_null", "x_y")
    assert split_feature("feature_null_z") == ("feature_null", "z")
    assert split_feature("feature_data_") == ("feature_data_", "")
    assert split_feature("rmse") == ("rmse", "")


def test_metrics_is_left_out_of_the_openapi_document() -> None:
    paths = create_app().openapi()["paths"]
    assert "/metrics" not in paths and "/api/v1/metric-statistics" in paths


async def test_a_running_capture_writer_is_exported_until_it_closes(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    running = CaptureWriter(DataCaptureConfig(destination_uri=str(tmp_path / "c")), endpoint="fraud-live")
    running.start()
    try:
        running.counters.add("captured", 3)  # no register_capture_writer call: starting registers it
        samples = _samples((await client.get("http://testserver/metrics")).text)
        assert _value(samples, "modelwatch_capture_captured_total", endpoint="fraud-live") == 3.0
    finally:
        running.close()
    samples = _samples((await client.get("http://testserver/metrics")).text)
    assert not any(s.labels.get("endpoint") == "fraud-live" for ss in samples.values() for s in ss)
