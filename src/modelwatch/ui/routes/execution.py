"""The execution page (status, results, charts, log), its files, its report.html, stopping it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from modelwatch.io.storage import join_uri
from modelwatch.reports.files import read_file_bytes, read_text_tail
from modelwatch.reports.report import REPORT_FILE, REPORT_HEADERS
from modelwatch.reports.results import load_results
from modelwatch.service import executions
from modelwatch.service.models import utcnow
from modelwatch.service.schemas import ExecutionView
from modelwatch.ui.auth import require_viewer
from modelwatch.ui.errors import PageError, PageRoute
from modelwatch.ui.pages import render_page
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.ui.routes.common import checked_form, execution_id, redirect, run_sync
from modelwatch.web.deps import transaction
from modelwatch.web.files import EXECUTION_FILES, LOG_FILE, existing_files, file_response

__all__ = ["FILES", "router"]

router = APIRouter(route_class=PageRoute)

FILES = (*EXECUTION_FILES, "analysis.json")


def _row(request: Request, ident: int) -> tuple[ExecutionView, dict[str, str | None]]:
    with transaction(request, write=False) as session:
        row = executions.get_execution(session, ident)
        view = ExecutionView.model_validate(row, from_attributes=True)
        definition = dict(row.definition or {})
    return view, {
        "baseline_statistics_uri": definition.get("baseline_statistics_uri"),
        "constraints_uri": definition.get("baseline_constraints_uri"),
    }


@router.get(UI_PREFIX + "/executions/{ident}")
def execution_page(ident: str, request: Request) -> Response:
    number = execution_id(ident)
    viewer = require_viewer(request)
    view, baseline = _row(request, number)
    results = load_results(view.output_uri, **baseline)
    problems = list(results.problems)
    log = read_text_tail(view.log_uri, problems) if view.log_uri else None
    report = None
    if view.status.finished and existing_files(view.output_uri, (REPORT_FILE,)):
        report = f"{UI_PREFIX}/executions/{number}/report"
    return render_page(
        request,
        "execution.html",
        {
            "execution": view,
            "results": results,
            "problems": problems,
            "log": log,
            "report": report,
            "baseline": baseline,
            "now": utcnow(),
            "files": [name for name in results.found],
            "notice": "Stop requested." if request.query_params.get("notice") == "stopped" else None,
        },
        viewer=viewer,
        refresh=None if view.status.finished else 5,
    )


@router.get(UI_PREFIX + "/executions/{ident}/files/{file}")
def execution_file(ident: str, file: str, request: Request) -> Response:
    number = execution_id(ident)
    require_viewer(request)
    view, _ = _row(request, number)
    uri = view.log_uri if file == LOG_FILE and view.log_uri else join_uri(view.output_uri, file)
    response = file_response(f"monitoring execution {number}", file, FILES, uri)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@router.get(UI_PREFIX + "/executions/{ident}/report")
def execution_report(ident: str, request: Request) -> Response:
    """The execution's report.html, served in a sandbox (its scripts run without this site's origin)."""
    number = execution_id(ident)
    require_viewer(request)
    view, _ = _row(request, number)
    problems: list[str] = []
    body = read_file_bytes(join_uri(view.output_uri, REPORT_FILE), problems)
    if body is None:
        raise PageError(404, "No report", f"Execution {number} has no {REPORT_FILE}. {' '.join(problems)}")
    return Response(body, media_type="text/html; charset=utf-8", headers=REPORT_HEADERS)


def _stop(request: Request, number: int) -> Response:
    with transaction(request) as session:
        executions.stop_execution(session, number)
    return redirect(f"/executions/{number}", notice="stopped")


@router.post(UI_PREFIX + "/executions/{ident}/stop")
async def stop_execution(ident: str, request: Request) -> Response:
    number = execution_id(ident)
    await checked_form(request)
    return await run_sync(_stop, request, number)
