"""The schedule page (details, edit form, run-now form, executions) and its actions: edit, start,
stop, delete, run now. Every action calls the same service function as the REST API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from modelwatch.errors import ConflictError, ValidationError
from modelwatch.service import schedules
from modelwatch.service.models import utcnow
from modelwatch.service.schemas import ScheduleView
from modelwatch.ui.auth import Viewer, require_viewer
from modelwatch.ui.errors import PageError, PageRoute
from modelwatch.ui.forms import FormErrors, form_from_schedule, parse_window, schedule_update
from modelwatch.ui.overview import schedule_cells
from modelwatch.ui.pages import render_page
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.ui.routes.common import checked_form, name_param, redirect, run_sync, start_soon
from modelwatch.ui.routes.endpoint import baseline_choices, executions_page
from modelwatch.web.deps import transaction

__all__ = ["router"]

router = APIRouter(route_class=PageRoute)

_NOTICES = {
    "created": "Schedule created.",
    "updated": "Schedule updated.",
    "started": "Schedule started.",
    "stopped": "Schedule stopped; pending executions were stopped.",
    "run": "Execution created; it starts within seconds.",
}


def _page(
    request: Request,
    viewer: Viewer,
    name: str,
    *,
    edit: dict[str, str] | None = None,
    edit_errors: FormErrors | None = None,
    run: dict[str, str] | None = None,
    run_errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    with transaction(request, write=False) as session:
        view: ScheduleView = schedules.describe_schedule(session, name)
        cell = next(
            (c for c in schedule_cells(session, endpoint_name=view.endpoint_name) if c.name == name), None
        )
        executions = executions_page(request, session, schedule_name=name)
        baselines = baseline_choices(session)
    now = utcnow().replace(second=0, microsecond=0)
    context = {
        "schedule": view,
        "cell": cell,
        "executions": executions,
        "baselines": baselines,
        "form": edit or form_from_schedule(view),
        "errors": edit_errors or FormErrors(),
        "run": run
        or {
            "window_start": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "window_end": now.strftime("%Y-%m-%dT%H:%M"),
        },
        "run_errors": run_errors or FormErrors(),
        "notice": _NOTICES.get(request.query_params.get("notice") or ""),
        "now": utcnow(),
    }
    refresh = 5 if executions["running"] and executions["first"] and status == 200 else None
    return render_page(request, "schedule.html", context, viewer=viewer, status=status, refresh=refresh)


@router.get(UI_PREFIX + "/schedules/{name}")
def schedule_page(name: str, request: Request) -> Response:
    name = name_param(name, "monitoring schedule")
    return _page(request, require_viewer(request), name)


def _edit(request: Request, name: str, form: dict[str, str]) -> Response:
    viewer = require_viewer(request, change=True)
    with transaction(request, write=False) as session:
        view = schedules.describe_schedule(session, name)
        jobs = baseline_choices(session)
    update, errors = schedule_update(form, view.definition, jobs)
    if update is not None:
        try:
            with transaction(request) as session:
                schedules.update_schedule(session, name, update)
        except ValidationError as error:
            errors.add_service(error)
        else:
            return redirect(f"/schedules/{name}", notice="updated")
    return _page(
        request, viewer, name, edit={**form_from_schedule(view), **form}, edit_errors=errors, status=422
    )


@router.post(UI_PREFIX + "/schedules/{name}/edit")
async def edit_schedule(name: str, request: Request) -> Response:
    name = name_param(name, "monitoring schedule")
    form = await checked_form(request)
    return await run_sync(_edit, request, name, form)


def _action(request: Request, name: str, action: str) -> Response:
    with transaction(request) as session:
        if action == "start":
            view = schedules.start_schedule(session, name)
        elif action == "stop":
            view = schedules.stop_schedule(session, name)
        else:
            view = schedules.describe_schedule(session, name)
            schedules.delete_schedule(session, name)
    if action == "delete":
        target = f"/endpoints/{view.endpoint_name}" if view.endpoint_name else "/"
        return redirect(target, notice=f"deleted:{name}")
    return redirect(f"/schedules/{name}", notice="started" if action == "start" else "stopped")


@router.post(UI_PREFIX + "/schedules/{name}/{action}")
async def schedule_action(name: str, action: str, request: Request) -> Response:
    name = name_param(name, "monitoring schedule")
    if action not in ("start", "stop", "delete", "run"):
        raise PageError(404, "Not found", f"There is no action {action!r}.")
    form = await checked_form(request)
    if action == "run":
        return await run_sync(_run, request, name, form)
    return await run_sync(_action, request, name, action)


def _run(request: Request, name: str, form: dict[str, str]) -> Response:
    viewer = require_viewer(request, change=True)
    errors = FormErrors()
    window = parse_window(form, errors)
    if window is not None:
        try:
            with transaction(request) as session:
                execution = schedules.run_now(session, name, window_start=window[0], window_end=window[1])
        except ValidationError as error:
            errors.add_service(error)
        except ConflictError as error:
            errors.general.append(str(error))
        else:
            return start_soon(request, redirect(f"/schedules/{name}", notice="run"), execution.id)
    return _page(request, viewer, name, run=form, run_errors=errors, status=422)
