"""The endpoint page: capture, schedules (with the create form), executions with paging."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from modelwatch.errors import ConflictError, NotFoundError, ValidationError
from modelwatch.service import endpoints, schedules
from modelwatch.service.baselines import list_baseline_jobs
from modelwatch.service.executions import list_executions
from modelwatch.service.models import utcnow
from modelwatch.service.schemas import ExecutionStatus, JobStatus, MonitoringType
from modelwatch.ui.alerts_slot import open_alerts
from modelwatch.ui.auth import Viewer, require_viewer
from modelwatch.ui.errors import PageError, PageRoute
from modelwatch.ui.forms import FormErrors, schedule_spec
from modelwatch.ui.overview import capture_status, schedule_cells
from modelwatch.ui.pages import render_page
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.ui.routes.common import checked_form, name_param, redirect, run_sync
from modelwatch.web.deps import transaction

__all__ = ["baseline_choices", "executions_page", "router"]

router = APIRouter(route_class=PageRoute)

PAGE_SIZE = 25
NEW_SCHEDULE = {
    "monitoring_type": MonitoringType.DATA_QUALITY.value,
    "schedule_expression": "cron(0 * ? * * *)",
}


def baseline_choices(session: Session) -> dict[str, tuple[str | None, str | None]]:
    """Completed baselining jobs by name: (statistics URI, constraints URI), newest first."""
    jobs = list_baseline_jobs(session, status=JobStatus.COMPLETED, max_results=100).items
    return {job.name: (job.statistics_uri, job.constraints_uri) for job in jobs}


def executions_page(request: Request, session: Session, **filters: Any) -> dict[str, Any]:
    """One page of executions for a table: ``status`` and ``next_token`` come from the query."""
    params = request.query_params
    status = params.get("status")
    token = params.get("next_token")
    try:
        found = list_executions(
            session,
            status=ExecutionStatus(status) if status in {s.value for s in ExecutionStatus} else None,
            sort_by="ScheduledTime",
            sort_order="Descending",
            max_results=PAGE_SIZE,
            next_token=token if token and len(token) <= 256 else None,
            **filters,
        )
    except ValidationError:
        raise PageError(404, "Not found", "That page of executions does not exist.") from None
    return {
        "items": found.items,
        "next_token": found.next_token,
        "status": status or "",
        "first": not token,
        "running": any(not e.status.finished for e in found.items),
    }


def _notice(code: str) -> str | None:
    return f"Schedule {code.removeprefix('deleted:')} deleted." if code.startswith("deleted:") else None


def _page(
    request: Request,
    viewer: Viewer,
    name: str,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    with transaction(request, write=False) as session:
        endpoint = endpoints.describe_endpoint(session, name)
        cells = schedule_cells(session, endpoint_name=name)
        executions = executions_page(request, session, endpoint_name=name)
        baselines = baseline_choices(session)
        alerts = open_alerts(session)
    context = {
        "endpoint": endpoint,
        "capture": capture_status(endpoint.data_capture_config, endpoint.capture_uri),
        "schedules": cells,
        "executions": executions,
        "baselines": baselines,
        "alerts": None if alerts is None else [a for a in alerts if a.endpoint_name == name],
        "form": {**NEW_SCHEDULE, **(form or {})},
        "errors": errors or FormErrors(),
        "types": [t.value for t in MonitoringType],
        "notice": _notice(request.query_params.get("notice") or ""),
        "now": utcnow(),
    }
    refresh = 5 if executions["running"] and executions["first"] and status == 200 else None
    return render_page(request, "endpoint.html", context, viewer=viewer, status=status, refresh=refresh)


@router.get(UI_PREFIX + "/endpoints/{name}")
def endpoint_page(name: str, request: Request) -> Response:
    name = name_param(name, "endpoint")
    viewer = require_viewer(request)
    return _page(request, viewer, name)


def _create(request: Request, name: str, form: dict[str, str]) -> Response:
    viewer = require_viewer(request, change=True)
    with transaction(request, write=False) as session:
        endpoints.get_endpoint(session, name)
        jobs = baseline_choices(session)
    spec, errors = schedule_spec(form, name, jobs)
    if spec is not None:
        try:
            with transaction(request) as session:
                schedules.create_schedule(session, spec)
        except ValidationError as error:
            errors.add_service(error)
        except ConflictError as error:
            errors.add("name", str(error))
        except NotFoundError as error:
            errors.general.append(str(error))
        else:
            return redirect(f"/schedules/{spec.name}", notice="created")
    return _page(request, viewer, name, form=form, errors=errors, status=422)


@router.post(UI_PREFIX + "/endpoints/{name}/schedules")
async def create_schedule(name: str, request: Request) -> Response:
    name = name_param(name, "endpoint")
    form = await checked_form(request)
    return await run_sync(_create, request, name, form)
