"""The overview's read model: every endpoint with its capture status, each monitoring type's schedule
and last execution, running work, open alerts and a sparkline of the main metric.

It reads the store in a fixed number of queries whatever the number of endpoints: endpoints, schedules,
the last execution of every schedule (one aggregate over the ``(schedule_id, scheduled_time)`` key),
the running executions per endpoint, and the sparkline points of the shown page only (a window query).
Filtering and sorting happen on those rows; the page is cut from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.reports.charts import sparkline_points
from modelwatch.service.models import Endpoint, Execution, Metric, Schedule
from modelwatch.service.schemas import ExecutionStatus, MonitoringType
from modelwatch.ui.alerts_slot import AlertView, open_alerts

__all__ = [
    "HEALTH",
    "MAIN_METRICS",
    "SORTS",
    "CaptureStatus",
    "EndpointRow",
    "Overview",
    "ScheduleCell",
    "load_overview",
    "schedule_cells",
]

SPARK_POINTS = 24
MAIN_METRICS: dict[str, tuple[str, ...]] = {
    MonitoringType.MODEL_QUALITY.value: ("auc", "accuracy", "weighted_f1", "rmse", "mae", "r2"),
    MonitoringType.MODEL_BIAS.value: ("bias_metric_DPPL", "bias_metric_DI", "bias_metric_CI"),
}
"""The metric a type's sparkline shows: the first of these that the schedule emits. Types without an
entry (and schedules that emit none of them) show their executions' violation counts."""

Health = Literal["failed", "violations", "running", "ok", "unmonitored"]
HEALTH: tuple[Health, ...] = ("failed", "violations", "running", "ok", "unmonitored")
SORTS = ("name", "health", "last_run", "violations")
_OPEN = (ExecutionStatus.PENDING.value, ExecutionStatus.IN_PROGRESS.value, ExecutionStatus.STOPPING.value)


@dataclass(frozen=True)
class CaptureStatus:
    enabled: bool
    sampling: float | None
    destination: str

    @property
    def label(self) -> str:
        if not self.enabled:
            return "off"
        return "on" if self.sampling is None else f"on ({self.sampling:g}%)"


def capture_status(config: dict[str, Any] | None, capture_uri: str) -> CaptureStatus:
    config = config or {}
    enabled = config.get("EnableCapture", True) is not False
    sampling = config.get("InitialSamplingPercentage")
    return CaptureStatus(enabled, float(sampling) if isinstance(sampling, int | float) else None, capture_uri)


@dataclass
class ScheduleCell:
    """One schedule as the overview and endpoint pages show it."""

    id: int
    name: str
    monitoring_type: str
    status: str
    expression: str
    endpoint_name: str | None
    last_id: int | None = None
    last_status: str | None = None
    last_time: datetime | None = None
    last_violations: int | None = None
    spark: str = ""
    spark_label: str = ""
    spark_last: float | None = None


@dataclass
class EndpointRow:
    name: str
    status: str
    capture: CaptureStatus
    schedules: list[ScheduleCell] = field(default_factory=list)
    running: int = 0
    alerts: list[AlertView] = field(default_factory=list)

    def by_type(self, monitoring_type: str) -> list[ScheduleCell]:
        return [s for s in self.schedules if s.monitoring_type == monitoring_type]

    @property
    def last_time(self) -> datetime | None:
        times = [s.last_time for s in self.schedules if s.last_time is not None]
        return max(times) if times else None

    @property
    def violations(self) -> int:
        return sum(s.last_violations or 0 for s in self.schedules)

    @property
    def health(self) -> Health:
        if not self.schedules:
            return "unmonitored"
        statuses = {s.last_status for s in self.schedules} | {
            "Failed" for s in self.schedules if s.status == "Failed"
        }
        if "Failed" in statuses:
            return "failed"
        if "CompletedWithViolations" in statuses or self.alerts:
            return "violations"
        if self.running or statuses & set(_OPEN):
            return "running"
        return "ok"


@dataclass(frozen=True)
class Overview:
    rows: list[EndpointRow]
    total: int
    matching: int
    page: int
    pages: int
    per_page: int
    batch_schedules: list[ScheduleCell]
    running: int
    alerts: list[AlertView] | None  # None: the alerts service is not installed
    types: tuple[str, ...] = tuple(t.value for t in MonitoringType)


_SCHEDULE_COLUMNS = (
    Schedule.id,
    Schedule.name,
    Schedule.monitoring_type,
    Schedule.status,
    Schedule.schedule_expression,
    Schedule.endpoint_name,
)


def _with_last_execution(query: sa.Select[Any]) -> sa.Select[Any]:
    """``query`` over schedules, with each schedule's latest execution (by scheduled time) joined: one
    index seek per schedule on the ``(schedule_id, scheduled_time)`` key, whatever the history's size."""
    latest = (
        sa.select(Execution.id)
        .where(Execution.schedule_id == Schedule.id)
        .order_by(Execution.scheduled_time.desc())
        .limit(1)
        .correlate(Schedule)
        .scalar_subquery()
    )
    return query.add_columns(
        Execution.id.label("last_id"),
        Execution.status.label("last_status"),
        Execution.scheduled_time.label("last_time"),
        Execution.violation_count.label("last_violations"),
    ).outerjoin(Execution, Execution.id == latest)


def _cells(session: Session, query: sa.Select[*tuple[Any, ...]]) -> list[ScheduleCell]:
    return [
        ScheduleCell(
            id=r.id,
            name=r.name,
            monitoring_type=r.monitoring_type,
            status=r.status,
            expression=r.schedule_expression,
            endpoint_name=r.endpoint_name,
            last_id=r.last_id,
            last_status=r.last_status,
            last_time=r.last_time,
            last_violations=r.last_violations,
        )
        for r in session.execute(_with_last_execution(query))
    ]


def schedule_cells(session: Session, *, endpoint_name: str | None) -> list[ScheduleCell]:
    """The schedules of one endpoint with their last execution and sparkline, by name."""
    query = (
        sa.select(*_SCHEDULE_COLUMNS).where(Schedule.endpoint_name == endpoint_name).order_by(Schedule.name)
    )
    cells = _cells(session, query)
    _sparklines(session, cells)
    return cells


def _violation_series(session: Session, ids: Sequence[int]) -> dict[int, list[float | None]]:
    """The violation counts of each schedule's last :data:`SPARK_POINTS` executions, oldest first.

    Each schedule's cut-off time (its N-th latest slot, or its first) is found by an index seek, then
    the executions from it on are read by an index range: no scan of the history."""
    nth = (
        sa.select(Execution.scheduled_time)
        .where(Execution.schedule_id == Schedule.id)
        .order_by(Execution.scheduled_time.desc())
        .offset(SPARK_POINTS - 1)
        .limit(1)
        .correlate(Schedule)
        .scalar_subquery()
    )
    first = (
        sa.select(sa.func.min(Execution.scheduled_time))
        .where(Execution.schedule_id == Schedule.id)
        .correlate(Schedule)
        .scalar_subquery()
    )
    cuts = (
        sa.select(Schedule.id.label("sid"), sa.func.coalesce(nth, first).label("cut"))
        .where(Schedule.id.in_(list(ids)))
        .cte("cuts")
        .prefix_with("MATERIALIZED")
    )
    rows = session.execute(
        sa.select(Execution.schedule_id, Execution.violation_count)
        .join(cuts, (Execution.schedule_id == cuts.c.sid) & (Execution.scheduled_time >= cuts.c.cut))
        .order_by(Execution.schedule_id, Execution.scheduled_time)
    )
    series: dict[int, list[float | None]] = {}
    for schedule_id, count in rows:
        if schedule_id is not None:  # an execution's schedule_id is set: the join above requires it
            series.setdefault(schedule_id, []).append(float(count) if count is not None else None)
    return series


def _metric_series(session: Session, cells: Sequence[ScheduleCell]) -> dict[tuple[str, str], list[float]]:
    """The last :data:`SPARK_POINTS` values of each candidate main metric of each schedule, oldest first
    (the same cut-off scheme over the ``(schedule_name, name, timestamp)`` index)."""
    parts = [
        sa.select(Schedule.name.label("schedule_name"), sa.literal(metric, sa.String).label("metric")).where(
            Schedule.id.in_([c.id for c in cells if c.monitoring_type == kind])
        )
        for kind, metrics in MAIN_METRICS.items()
        if any(c.monitoring_type == kind for c in cells)
        for metric in metrics
    ]
    if not parts:
        return {}
    wanted = sa.union_all(*parts).subquery("wanted")
    nth = (
        sa.select(Metric.timestamp)
        .where(Metric.schedule_name == wanted.c.schedule_name, Metric.name == wanted.c.metric)
        .order_by(Metric.timestamp.desc())
        .offset(SPARK_POINTS - 1)
        .limit(1)
        .correlate(wanted)
        .scalar_subquery()
    )
    first = (
        sa.select(sa.func.min(Metric.timestamp))
        .where(Metric.schedule_name == wanted.c.schedule_name, Metric.name == wanted.c.metric)
        .correlate(wanted)
        .scalar_subquery()
    )
    cuts = (
        sa.select(wanted.c.schedule_name, wanted.c.metric, sa.func.coalesce(nth, first).label("cut"))
        .cte("metric_cuts")
        .prefix_with("MATERIALIZED")
    )
    rows = session.execute(
        sa.select(Metric.schedule_name, Metric.name, Metric.value)
        .join(
            cuts,
            (Metric.schedule_name == cuts.c.schedule_name)
            & (Metric.name == cuts.c.metric)
            & (Metric.timestamp >= cuts.c.cut),
        )
        .order_by(Metric.schedule_name, Metric.name, Metric.timestamp)
    )
    series: dict[tuple[str, str], list[float]] = {}
    for schedule_name, name, value in rows:
        series.setdefault((schedule_name, name), []).append(value)
    return series


def _sparklines(session: Session, cells: Sequence[ScheduleCell]) -> None:
    """Fill each cell's sparkline: its main metric (:data:`MAIN_METRICS`) or its violation counts."""
    if not cells:
        return
    found = _metric_series(session, cells)
    chosen = {
        c.id: next((n for n in MAIN_METRICS.get(c.monitoring_type, ()) if (c.name, n) in found), None)
        for c in cells
    }
    counted = _violation_series(session, [c.id for c in cells if chosen[c.id] is None])
    for cell in cells:
        metric = chosen[cell.id]
        values: Sequence[float | None] = found[(cell.name, metric)] if metric else counted.get(cell.id, [])
        cell.spark = sparkline_points(values)
        cell.spark_label = metric or "violations"
        known = [v for v in values if v is not None and math.isfinite(v)]
        cell.spark_last = known[-1] if known else None


def _sort_key(sort: str) -> Any:
    rank = {h: i for i, h in enumerate(HEALTH)}
    return {
        "name": lambda r: r.name,
        "health": lambda r: (rank[r.health], r.name),
        "last_run": lambda r: (r.last_time is None, -(r.last_time.timestamp() if r.last_time else 0), r.name),
        "violations": lambda r: (-r.violations, r.name),
    }[sort]


def load_overview(
    session: Session,
    *,
    name_contains: str | None = None,
    monitoring_type: str | None = None,
    health: str | None = None,
    sort: str = "name",
    descending: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> Overview:
    """One page of the overview, filtered and sorted (see the module docstring)."""
    endpoints_query = sa.select(
        Endpoint.name, Endpoint.status, Endpoint.data_capture_config, Endpoint.capture_uri
    ).order_by(Endpoint.name)
    rows = {
        e.name: EndpointRow(e.name, e.status, capture_status(e.data_capture_config, e.capture_uri))
        for e in session.execute(endpoints_query)
    }
    total = len(rows)
    batch: list[ScheduleCell] = []
    for cell in _cells(session, sa.select(*_SCHEDULE_COLUMNS).order_by(Schedule.name)):
        owner = rows.get(cell.endpoint_name) if cell.endpoint_name else None
        if owner is not None:
            owner.schedules.append(cell)
        elif cell.endpoint_name is None:
            batch.append(cell)
    running = 0
    for name, count in session.execute(
        sa.select(Execution.endpoint_name, sa.func.count())
        .where(Execution.status.in_(_OPEN))
        .group_by(Execution.endpoint_name)
    ):
        running += count
        if name in rows:
            rows[name].running = count
    alerts = open_alerts(session)
    for alert in alerts or []:
        if alert.endpoint_name in rows:
            rows[alert.endpoint_name].alerts.append(alert)
    shown = list(rows.values())
    if name_contains:
        needle = name_contains.lower()
        shown = [r for r in shown if needle in r.name.lower()]
    if monitoring_type:
        shown = [r for r in shown if r.by_type(monitoring_type)]
    if health:
        shown = [r for r in shown if r.health == health]
    shown.sort(key=_sort_key(sort), reverse=descending)
    pages = max(1, math.ceil(len(shown) / per_page))
    page = min(max(page, 1), pages)
    window = shown[(page - 1) * per_page : page * per_page]
    _sparklines(session, [c for r in window for c in r.schedules] + batch[:per_page])
    return Overview(
        rows=window,
        total=total,
        matching=len(shown),
        page=page,
        pages=pages,
        per_page=per_page,
        batch_schedules=batch,
        running=running,
        alerts=alerts,
    )
