"""``/baselining-jobs``: profile training data into statistics.json and constraints.json."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Request, Response

from modelwatch.api.errors import responses
from modelwatch.api.starter import kick_baseline
from modelwatch.io.storage import join_uri
from modelwatch.service import baselines
from modelwatch.service.schemas import BaselineJobSpec, BaselineJobView, JobStatus, Page
from modelwatch.web.deps import MaxResults, NameInPath, NextToken, SessionDep, transaction
from modelwatch.web.files import BASELINE_FILES, LOG_FILE, file_response, file_responses

__all__ = ["router"]

router = APIRouter(prefix="/baselining-jobs", tags=["baselining jobs"])

FileName = Annotated[
    str, Path(description="One of the served files.", json_schema_extra={"enum": list(BASELINE_FILES)})
]


@router.post("", status_code=201, responses=responses(400, 403, 409, 413, 422))
def start_baseline_job(
    spec: BaselineJobSpec, session: SessionDep, request: Request, background: BackgroundTasks
) -> BaselineJobView:
    """Record a baselining job (``InProgress``); the scheduler's runner starts it."""
    view = baselines.start_baseline_job(session, spec)
    kick_baseline(request, background, view.name)
    return view


@router.get("", responses=responses(422))
def list_baseline_jobs(
    session: SessionDep,
    status: JobStatus | None = None,
    max_results: MaxResults = 10,
    next_token: NextToken = None,
) -> Page[BaselineJobView]:
    """Baselining jobs, newest first."""
    return baselines.list_baseline_jobs(
        session, status=status, max_results=max_results, next_token=next_token
    )


@router.get("/{name}", responses=responses(404, 422))
def describe_baseline_job(name: NameInPath, session: SessionDep) -> BaselineJobView:
    return baselines.describe_baseline_job(session, name)


@router.get(
    "/{name}/files/{file}",
    response_class=Response,
    responses={**file_responses(BASELINE_FILES), **responses(404, 422)},
)
def baseline_job_file(name: NameInPath, file: FileName, request: Request) -> Response:
    """One of the job's files: statistics.json, constraints.json or execution.log."""
    with transaction(request) as session:
        row = baselines.get_baseline_job(session, name)
        uri = row.log_uri if file == LOG_FILE and row.log_uri else join_uri(row.output_uri, file)
    return file_response(f"baselining job {name!r}", file, BASELINE_FILES, uri)
