"""The metric page of a schedule: each chosen metric over time, with its threshold lines (from the
baseline constraints) and the alerts on it.

Query: ``metric`` (repeatable; default: the first drift metrics, else the first names), ``days``
(the time range, 1–365, default 30).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response

from modelwatch.errors import NotFoundError
from modelwatch.reports.charts import time_series_figure
from modelwatch.reports.files import read_json_file
from modelwatch.reports.thresholds import Thresholds
from modelwatch.service import schedules
from modelwatch.service.metrics import list_metric_names, query_metric
from modelwatch.service.models import Execution, utcnow
from modelwatch.ui.alerts_slot import alert_history
from modelwatch.ui.auth import require_viewer
from modelwatch.ui.errors import PageRoute
from modelwatch.ui.pages import render_page
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.ui.routes.common import int_param, name_param
from modelwatch.web.deps import transaction

__all__ = ["router"]

router = APIRouter(route_class=PageRoute)

DEFAULT_SHOWN = 6
MAX_SHOWN = 24


def _default(names: list[str]) -> list[str]:
    drift = [n for n in names if n.startswith("feature_baseline_drift_")]
    return (drift or names)[:DEFAULT_SHOWN]


@router.get(UI_PREFIX + "/schedules/{name}/metrics")
def metrics_page(name: str, request: Request) -> Response:
    name = name_param(name, "monitoring schedule")
    viewer = require_viewer(request)
    days = int_param(request.query_params.get("days"), 30, 1, 365)
    now = utcnow()
    start = now - timedelta(days=days)
    with transaction(request, write=False) as session:
        try:
            view = schedules.describe_schedule(session, name)
            constraints_uri = view.definition.baseline_constraints_uri
        except NotFoundError:
            view, constraints_uri = None, None
            if (
                session.scalar(sa.select(Execution.id).where(Execution.schedule_name == name).limit(1))
                is None
            ):
                raise
        names = list_metric_names(session, name)
        asked = [m for m in request.query_params.getlist("metric") if m in names][:MAX_SHOWN]
        shown = asked or _default(names)
        series = {metric: query_metric(session, name, metric, start=start, limit=1000) for metric in shown}
        alerts = {metric: alert_history(session, schedule_name=name, metric_name=metric) for metric in shown}
    problems: list[str] = []
    thresholds = Thresholds(read_json_file(constraints_uri, problems))
    charts = []
    for metric, points in series.items():
        marks = [
            (a.since, a.message or a.state or "alert") for a in alerts[metric] or [] if a.since is not None
        ]
        lines = thresholds.lines(metric)
        charts.append(
            {
                "name": metric,
                "count": len(points),
                "last": points[-1].value if points else None,
                "thresholds": lines,
                "alerts": len(marks),
                "figure": time_series_figure(
                    [p.timestamp for p in points],
                    [p.value for p in points],
                    name=metric,
                    thresholds=lines,
                    alerts=marks,
                )
                if points
                else None,
            }
        )
    return render_page(
        request,
        "metrics.html",
        {
            "schedule_name": name,
            "schedule": view,
            "names": names,
            "shown": shown,
            "charts": charts,
            "days": days,
            "problems": problems,
            "alerts_installed": any(a is not None for a in alerts.values()),
        },
        viewer=viewer,
    )
