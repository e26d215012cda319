"""``GET /metrics``: the Prometheus exposition of what the store knows, read at each scrape.

::

    modelwatch_monitoring_metric{endpoint, schedule, monitoring_type, metric, feature}   latest value
    modelwatch_monitoring_metric_timestamp_seconds{same labels}                          its time
    modelwatch_executions{endpoint, schedule, monitoring_type, status}                   count
    modelwatch_scheduler_lag_seconds                 age of the oldest due Pending execution (0: none)
    modelwatch_monitoring_alert_in_alert{endpoint, schedule, alert}                      1 InAlert, 0 OK
    modelwatch_metric_alarm_state{alarm, state}                                          1 for its state
    modelwatch_capture_<counter>_total{endpoint, variant}   the counters of in-process capture writers

A per-feature metric (``feature_baseline_drift_age``) is exported as ``metric="feature_baseline_drift"``,
``feature="age"``; other metrics have ``feature=""``. The latest value of a series is its point with
the newest timestamp.

:class:`StoreCollector` is a custom collector that queries the database when collected; nothing is kept
in prometheus-client's global registry, so apps (and tests) never share state. Capture writers that run
in this process (an embedded middleware or proxy) register themselves when they start
(:func:`~modelwatch.capture.counters.register_capture_writer`, held weakly: a writer that is gone drops out).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from sqlalchemy.orm import Session

from modelwatch.capture.counters import (
    CaptureSources,
    capture_sources,
    register_capture_writer,
    unregister_capture_writer,
)
from modelwatch.service.db import Database
from modelwatch.service.models import (
    Execution,
    MetricAlarm,
    MonitoringAlert,
    Schedule,
    utcnow,
)
from modelwatch.service.models import (
    Metric as MetricRow,
)
from modelwatch.service.schemas import ExecutionStatus
from modelwatch.web.deps import database

__all__ = [
    "FEATURE_PREFIXES",
    "CaptureSources",
    "StoreCollector",
    "capture_sources",
    "register_capture_writer",
    "router",
    "split_feature",
    "unregister_capture_writer",
]

FEATURE_PREFIXES = (
    "feature_baseline_drift_",
    "feature_non_null_",
    "feature_null_",
    "feature_completeness_",
    "feature_estimated_unique_values_",
    "feature_fractional_counts_",
    "feature_integral_counts_",
    "feature_string_counts_",
    "feature_boolean_counts_",
    "feature_unknown_counts_",
    "feature_data_",
)
"""Prefixes of SageMaker's per-feature metric names (spec 4.3), longest match first."""


def split_feature(name: str) -> tuple[str, str]:
    """``(metric, feature)`` of a metric name: ``feature_baseline_drift_age`` → (``feature_baseline_drift``,
    ``age``); a name without a per-feature prefix → (name, "")."""
    for prefix in FEATURE_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return prefix[:-1], name[len(prefix) :]
    return name, ""


# -- capture writers ------------------------------------------------------------------------------


# -- the collector --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Series:
    endpoint: str
    schedule: str
    monitoring_type: str
    metric: str
    feature: str


def _latest_metrics(session: Session) -> dict[_Series, tuple[float, datetime]]:
    newest = (
        sa.select(MetricRow.schedule_name, MetricRow.name, sa.func.max(MetricRow.timestamp).label("newest"))
        .group_by(MetricRow.schedule_name, MetricRow.name)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            MetricRow.schedule_name,
            MetricRow.endpoint_name,
            MetricRow.name,
            MetricRow.timestamp,
            MetricRow.value,
            Execution.monitoring_type,
        )
        .join(
            newest,
            sa.and_(
                MetricRow.schedule_name == newest.c.schedule_name,
                MetricRow.name == newest.c.name,
                MetricRow.timestamp == newest.c.newest,
            ),
        )
        .join(Execution, Execution.id == MetricRow.execution_id)
        .order_by(MetricRow.id)  # of two points at the same time, the one stored last wins
    ).all()
    latest: dict[_Series, tuple[float, datetime]] = {}
    for schedule, endpoint, name, timestamp, value, monitoring_type in rows:
        metric, feature = split_feature(name)
        latest[_Series(endpoint or "", schedule, monitoring_type, metric, feature)] = (value, timestamp)
    return latest


def _labels(values: dict[str, str]) -> tuple[list[str], list[str]]:
    return list(values), list(values.values())


class StoreCollector:
    """Reads the store when collected (see the module docstring)."""

    def __init__(
        self, db: Database, *, sources: CaptureSources | None = None, now: datetime | None = None
    ) -> None:
        self.db = db
        self.sources = sources if sources is not None else capture_sources
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now or utcnow()
        with self.db.session(write=False) as session:
            latest = _latest_metrics(session)
            executions = session.execute(
                sa.select(
                    Execution.endpoint_name,
                    Execution.schedule_name,
                    Execution.monitoring_type,
                    Execution.status,
                    sa.func.count(),
                ).group_by(
                    Execution.endpoint_name,
                    Execution.schedule_name,
                    Execution.monitoring_type,
                    Execution.status,
                )
            ).all()
            oldest_due = session.scalar(
                sa.select(sa.func.min(Execution.scheduled_time)).where(
                    Execution.status == ExecutionStatus.PENDING.value, Execution.scheduled_time <= now
                )
            )
            monitoring_alerts = session.execute(
                sa.select(
                    Schedule.endpoint_name,
                    MonitoringAlert.schedule_name,
                    MonitoringAlert.name,
                    MonitoringAlert.status,
                )
                .join(Schedule, Schedule.id == MonitoringAlert.schedule_id)
                .order_by(MonitoringAlert.schedule_name)
            ).all()
            metric_alarms = session.execute(
                sa.select(MetricAlarm.name, MetricAlarm.state).order_by(MetricAlarm.name)
            ).all()

        names = ["endpoint", "schedule", "monitoring_type", "metric", "feature"]
        values = GaugeMetricFamily(
            "modelwatch_monitoring_metric", "Latest value of each monitoring metric series.", labels=names
        )
        times = GaugeMetricFamily(
            "modelwatch_monitoring_metric_timestamp_seconds",
            "Time (Unix seconds) of the latest point of each monitoring metric series.",
            labels=names,
        )
        for series, (value, timestamp) in sorted(
            latest.items(), key=lambda item: tuple(vars(item[0]).values())
        ):
            labels = [series.endpoint, series.schedule, series.monitoring_type, series.metric, series.feature]
            values.add_metric(labels, value)
            times.add_metric(labels, timestamp.timestamp())
        yield values
        yield times

        counts = GaugeMetricFamily(
            "modelwatch_executions",
            "Monitoring executions by status.",
            labels=["endpoint", "schedule", "monitoring_type", "status"],
        )
        for endpoint, schedule, monitoring_type, status, count in sorted(
            executions, key=lambda r: tuple(map(str, r))
        ):
            counts.add_metric([endpoint or "", schedule, monitoring_type, status], count)
        yield counts

        lag = max((now - oldest_due).total_seconds(), 0.0) if oldest_due is not None else 0.0
        yield GaugeMetricFamily(
            "modelwatch_scheduler_lag_seconds",
            "Age of the oldest Pending execution whose time has come (0 when none waits).",
            value=lag,
        )

        in_alert = GaugeMetricFamily(
            "modelwatch_monitoring_alert_in_alert",
            "1 while the schedule's monitoring alert is InAlert, else 0.",
            labels=["endpoint", "schedule", "alert"],
        )
        for endpoint, schedule, alert, status in monitoring_alerts:
            in_alert.add_metric([endpoint or "", schedule, alert], 1.0 if status == "InAlert" else 0.0)
        yield in_alert

        alarm_state = GaugeMetricFamily(
            "modelwatch_metric_alarm_state",
            "1 for the metric alarm's current state.",
            labels=["alarm", "state"],
        )
        for alarm, state in metric_alarms:
            for candidate in ("OK", "ALARM", "INSUFFICIENT_DATA"):
                alarm_state.add_metric([alarm, candidate], 1.0 if state == candidate else 0.0)
        yield alarm_state

        yield from self._capture()

    def _capture(self) -> Iterator[Metric]:
        totals = self.sources.snapshot()
        families: dict[str, CounterMetricFamily] = {}
        for (endpoint, variant), counts in sorted(totals.items()):
            for name, value in counts.items():
                family = families.get(name)
                if family is None:
                    family = families[name] = CounterMetricFamily(
                        f"modelwatch_capture_{name}",
                        f"Capture writer counter {name} (see modelwatch.capture.counters).",
                        labels=["endpoint", "variant"],
                    )
                family.add_metric([endpoint, variant], value)
        yield from families.values()


router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    """The Prometheus text exposition (version 0.0.4) of the store, read now."""
    body = generate_latest(StoreCollector(database(request)))
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)
