"""``/schedules/{name}/metrics``: the metric time series that a schedule's executions emit.

The series outlive their schedule (as the executions do), so a deleted schedule's metrics can still be
read; a name that has neither a schedule nor executions is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from modelwatch.api.errors import responses
from modelwatch.api.models import MetricNames, MetricPoints, UtcDateTime
from modelwatch.errors import NotFoundError
from modelwatch.service import executions, metrics, schedules
from modelwatch.web.deps import NameInPath, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/schedules/{name}/metrics", tags=["metrics"])

MetricName = Annotated[
    str, Path(min_length=1, max_length=255, pattern=r"^[^\x00]+$", description="The metric's name.")
]
Limit = Annotated[
    int, Query(ge=1, le=metrics.MAX_POINTS, description="At most this many points (the newest).")
]


def _check_schedule(session: Session, name: str) -> None:
    try:
        schedules.get_schedule(session, name)
    except NotFoundError:
        if not executions.list_executions(session, schedule_name=name, max_results=1).items:
            raise


@router.get("", responses=responses(404, 422))
def metric_names(name: NameInPath, session: SessionDep) -> MetricNames:
    """The names of the metrics the schedule's executions have emitted, sorted."""
    names = metrics.list_metric_names(session, name)
    if not names:
        _check_schedule(session, name)
    return MetricNames(names=names)


@router.get("/{metric}", responses=responses(404, 422))
def metric_points(
    name: NameInPath,
    metric: MetricName,
    session: SessionDep,
    start: UtcDateTime | None = None,
    end: UtcDateTime | None = None,
    limit: Limit = 1000,
) -> MetricPoints:
    """The points of one metric in ``[start, end)``, oldest first."""
    points = metrics.query_metric(session, name, metric, start=start, end=end, limit=limit)
    if not points:
        _check_schedule(session, name)
    return MetricPoints(points=points)
