"""Progress: the executions and baselining jobs that are running or waiting, with their elapsed time,
and the latest baselining jobs. The page reloads itself while anything runs."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from modelwatch.service.baselines import list_baseline_jobs
from modelwatch.service.executions import list_executions
from modelwatch.service.models import utcnow
from modelwatch.service.schemas import ExecutionStatus, JobStatus
from modelwatch.ui.auth import require_viewer
from modelwatch.ui.errors import PageRoute
from modelwatch.ui.pages import render_page
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.web.deps import transaction

__all__ = ["router"]

router = APIRouter(route_class=PageRoute)

OPEN = (ExecutionStatus.IN_PROGRESS, ExecutionStatus.STOPPING, ExecutionStatus.PENDING)


@router.get(UI_PREFIX + "/jobs")
def jobs(request: Request) -> Response:
    viewer = require_viewer(request)
    with transaction(request, write=False) as session:
        running = [
            view
            for status in OPEN
            for view in list_executions(
                session, status=status, sort_by="ScheduledTime", sort_order="Ascending", max_results=100
            ).items
        ]
        baselines_running = list_baseline_jobs(session, status=JobStatus.IN_PROGRESS, max_results=100).items
        baselines_recent = list_baseline_jobs(session, max_results=20).items
    busy = bool(running or baselines_running)
    return render_page(
        request,
        "jobs.html",
        {
            "running": running,
            "baselines": baselines_running
            + [b for b in baselines_recent if b.name not in {r.name for r in baselines_running}],
            "now": utcnow(),
        },
        viewer=viewer,
        refresh=5 if busy else None,
    )
