"""``/executions``: monitoring executions, their result files, stopping one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from modelwatch.api.errors import responses
from modelwatch.api.models import ExecutionDetail, UtcDateTime
from modelwatch.io.storage import join_uri
from modelwatch.service import executions
from modelwatch.service.executions import SortBy, SortOrder
from modelwatch.service.schemas import ExecutionStatus, ExecutionView, MonitoringType, Page
from modelwatch.web.deps import ExecutionId, MaxResults, NameFilter, NextToken, SessionDep, transaction
from modelwatch.web.files import EXECUTION_FILES, LOG_FILE, existing_files, file_response, file_responses

__all__ = ["router"]

router = APIRouter(prefix="/executions", tags=["executions"])

RESULT_FILES = tuple(name for name in EXECUTION_FILES if name != LOG_FILE)

FileName = Annotated[
    str, Path(description="One of the served files.", json_schema_extra={"enum": list(EXECUTION_FILES)})
]


@router.get("", responses=responses(422))
def list_executions(
    session: SessionDep,
    schedule_name: NameFilter = None,
    endpoint_name: NameFilter = None,
    status: ExecutionStatus | None = None,
    monitoring_type: MonitoringType | None = None,
    scheduled_after: UtcDateTime | None = None,
    scheduled_before: UtcDateTime | None = None,
    sort_by: SortBy = "CreationTime",
    sort_order: SortOrder = "Descending",
    max_results: MaxResults = 10,
    next_token: NextToken = None,
) -> Page[ExecutionView]:
    """Executions, filtered and sorted as SageMaker's ListMonitoringExecutions."""
    return executions.list_executions(
        session,
        schedule_name=schedule_name,
        endpoint_name=endpoint_name,
        status=status,
        monitoring_type=monitoring_type,
        scheduled_after=scheduled_after,
        scheduled_before=scheduled_before,
        sort_by=sort_by,
        sort_order=sort_order,
        max_results=max_results,
        next_token=next_token,
    )


def _file_path(request: Request, execution_id: int, name: str) -> str:
    return request.app.url_path_for("execution_file", execution_id=str(execution_id), file=name)


@router.get("/{execution_id}", responses=responses(404, 422))
def describe_execution(execution_id: ExecutionId, request: Request) -> ExecutionDetail:
    """The execution, with the paths of its result files that exist and of its log."""
    with transaction(request) as session:
        view = executions.describe_execution(session, execution_id)
    files = {
        name: _file_path(request, execution_id, name)
        for name in existing_files(view.output_uri, RESULT_FILES)
    }
    log = _file_path(request, execution_id, LOG_FILE) if view.log_uri else None
    return ExecutionDetail(**view.model_dump(), files=files, log=log)


@router.get(
    "/{execution_id}/files/{file}",
    name="execution_file",
    response_class=Response,
    responses={**file_responses(EXECUTION_FILES), **responses(404, 422)},
)
def execution_file(execution_id: ExecutionId, file: FileName, request: Request) -> Response:
    """One result file of the execution, or its log."""
    with transaction(request) as session:
        row = executions.get_execution(session, execution_id)
        uri = row.log_uri if file == LOG_FILE and row.log_uri else join_uri(row.output_uri, file)
    return file_response(f"monitoring execution {execution_id}", file, EXECUTION_FILES, uri)


@router.post("/{execution_id}/stop", responses=responses(403, 404, 422))
def stop_execution(execution_id: ExecutionId, session: SessionDep) -> ExecutionView:
    """Stop the execution: a pending one at once, a running one within seconds."""
    return executions.stop_execution(session, execution_id)
