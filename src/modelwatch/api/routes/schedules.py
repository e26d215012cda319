"""``/schedules``: monitoring schedules, and running one's job now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response

from modelwatch.api.errors import responses
from modelwatch.api.models import RunNowRequest
from modelwatch.api.starter import kick_execution
from modelwatch.service import schedules
from modelwatch.service.schedules import SortBy, SortOrder
from modelwatch.service.schemas import (
    ExecutionView,
    MonitoringType,
    Page,
    ScheduleSpec,
    ScheduleStatus,
    ScheduleUpdate,
    ScheduleView,
)
from modelwatch.web.deps import MaxResults, NameFilter, NameInPath, NextToken, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/schedules", tags=["schedules"])

NameContains = Annotated[
    str | None,
    Query(max_length=63, pattern=r"^[a-zA-Z0-9-]*$", description="Only names that contain this."),
]


@router.post("", status_code=201, responses=responses(400, 403, 404, 409, 413, 422, 507))
def create_schedule(spec: ScheduleSpec, session: SessionDep) -> ScheduleView:
    """Create a schedule; it is ``Scheduled`` at once (``NOW`` runs one execution at once).
    404 when the endpoint does not exist."""
    return schedules.create_schedule(session, spec)


@router.get("", responses=responses(422))
def list_schedules(
    session: SessionDep,
    endpoint_name: NameFilter = None,
    status: ScheduleStatus | None = None,
    monitoring_type: MonitoringType | None = None,
    name_contains: NameContains = None,
    sort_by: SortBy = "CreationTime",
    sort_order: SortOrder = "Descending",
    max_results: MaxResults = 10,
    next_token: NextToken = None,
) -> Page[ScheduleView]:
    """Schedules, filtered and sorted as SageMaker's ListMonitoringSchedules."""
    return schedules.list_schedules(
        session,
        endpoint_name=endpoint_name,
        status=status,
        monitoring_type=monitoring_type,
        name_contains=name_contains,
        sort_by=sort_by,
        sort_order=sort_order,
        max_results=max_results,
        next_token=next_token,
    )


@router.get("/{name}", responses=responses(404, 422))
def describe_schedule(name: NameInPath, session: SessionDep) -> ScheduleView:
    return schedules.describe_schedule(session, name)


@router.patch("/{name}", responses=responses(400, 403, 404, 413, 422, 507))
def update_schedule(name: NameInPath, update: ScheduleUpdate, session: SessionDep) -> ScheduleView:
    """Change the expression, the NOW window or the definition; later slots use the new values."""
    return schedules.update_schedule(session, name, update)


@router.post("/{name}/start", responses=responses(403, 404, 422))
def start_schedule(name: NameInPath, session: SessionDep) -> ScheduleView:
    """Resume a stopped schedule; slots missed while it was stopped are not run."""
    return schedules.start_schedule(session, name)


@router.post("/{name}/stop", responses=responses(403, 404, 422))
def stop_schedule(name: NameInPath, session: SessionDep) -> ScheduleView:
    """Stop planning executions; running ones finish, pending ones are stopped."""
    return schedules.stop_schedule(session, name)


@router.delete("/{name}", status_code=204, response_class=Response, responses=responses(403, 404, 422))
def delete_schedule(name: NameInPath, session: SessionDep) -> None:
    """Delete a schedule; its open executions are stopped, the history is kept."""
    schedules.delete_schedule(session, name)


@router.post("/{name}/executions", status_code=201, responses=responses(400, 403, 404, 409, 413, 422, 507))
def run_now(
    name: NameInPath,
    window: RunNowRequest,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> ExecutionView:
    """Run the schedule's job once, now, over ``[window_start, window_end)``."""
    view = schedules.run_now(session, name, window_start=window.window_start, window_end=window.window_end)
    kick_execution(request, background, view.id)
    return view
