"""Metric time series: the points that executions emit (SageMaker's CloudWatch metrics, spec 4.3).

An execution writes ``cloudwatch_metrics.jsonl`` beside its results, one PutMetricData-shaped object per
line (``MetricName``, ``Timestamp``, ``Dimensions``, and ``Value`` or ``StatisticValues``); the runner
stores each point here. A point with ``StatisticValues`` is stored as its average (Sum / SampleCount).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import DataError, ValidationError
from modelwatch.service.models import Execution, Metric
from modelwatch.service.schemas import MetricPoint

__all__ = ["list_metric_names", "parse_metric_lines", "query_metric", "record_metrics"]

MAX_POINTS = 10_000


def _value(item: dict[str, Any]) -> float | None:
    if "Value" in item:
        return float(item["Value"])
    stats = item.get("StatisticValues")
    if isinstance(stats, dict) and stats.get("SampleCount"):
        return float(stats["Sum"]) / float(stats["SampleCount"])
    return None


def parse_metric_lines(lines: Iterable[str], *, file: str) -> list[tuple[str, datetime, float]]:
    """(name, timestamp, value) of each line of a ``cloudwatch_metrics.jsonl`` file; NaN values are left out.

    Raises:
        DataError: a line is not a metric object (file and line named).
    """
    points = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            name = str(item["MetricName"])
            timestamp = datetime.fromisoformat(str(item["Timestamp"]).replace("Z", "+00:00"))
            value = _value(item)
        except (ValueError, KeyError, TypeError) as error:
            raise DataError(f"not a metric: {error}", file=file, line=number) from None
        if value is not None and math.isfinite(value):
            points.append((name, timestamp, value))
    return points


def record_metrics(
    session: Session, execution: Execution, points: Sequence[tuple[str, datetime, float]]
) -> int:
    """Store an execution's metric points; returns how many."""
    if points:
        session.execute(
            sa.insert(Metric),
            [
                {
                    "execution_id": execution.id,
                    "schedule_name": execution.schedule_name,
                    "endpoint_name": execution.endpoint_name,
                    "name": name,
                    "timestamp": timestamp,
                    "value": value,
                }
                for name, timestamp, value in points
            ],
        )
    return len(points)


def query_metric(
    session: Session,
    schedule_name: str,
    name: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1_000,
) -> list[MetricPoint]:
    """The points of one metric of one schedule in ``[start, end)``, oldest first."""
    if not 1 <= limit <= MAX_POINTS:
        raise ValidationError(f"must be from 1 to {MAX_POINTS}; got {limit}", field="limit")
    query = sa.select(Metric).where(Metric.schedule_name == schedule_name, Metric.name == name)
    if start:
        query = query.where(Metric.timestamp >= start)
    if end:
        query = query.where(Metric.timestamp < end)
    rows = session.scalars(query.order_by(Metric.timestamp.desc(), Metric.id.desc()).limit(limit)).all()
    return [
        MetricPoint(
            name=r.name,
            timestamp=r.timestamp,
            value=r.value,
            schedule_name=r.schedule_name,
            endpoint_name=r.endpoint_name,
            execution_id=r.execution_id,
        )
        for r in reversed(rows)
    ]


def list_metric_names(session: Session, schedule_name: str) -> list[str]:
    """The names of the metrics a schedule's executions have emitted, sorted."""
    return list(
        session.scalars(
            sa.select(Metric.name)
            .where(Metric.schedule_name == schedule_name)
            .distinct()
            .order_by(Metric.name)
        )
    )
