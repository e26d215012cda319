"""Processing jobs: modelwatch's baselining jobs and monitoring executions seen as one kind of job, as
SageMaker shows them (every baseline and every monitoring execution is a processing job there).

A baselining job is a processing job under its own name; an execution is one under a name that the
caller chooses from its id (the SageMaker API uses ``monitoring-execution-{id}``), given here as
``execution_prefix``. Statuses are SageMaker's processing-job statuses::

    execution Pending, InProgress            → InProgress
    execution Completed, CompletedWithViolations → Completed (the exit message tells them apart)
    Failed, Stopping, Stopped                → as they are

:func:`list_processing_jobs` lists both kinds in one query (a ``UNION ALL``), filtered, sorted and paged
in the database; :func:`stop_processing_job` stops either kind. A baselining job made by
``CreateProcessingJob`` runs for at most its request's ``StoppingCondition.MaxRuntimeInSeconds``
(:func:`baseline_max_runtime`, read by the runner).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ConflictError
from modelwatch.service.baselines import delete_baseline_job, get_baseline_job, stop_baseline_job
from modelwatch.service.executions import get_execution, stop_execution
from modelwatch.service.models import BaselineJob, Execution
from modelwatch.service.sagemaker_requests import get_request
from modelwatch.service.schemas import ExecutionStatus, JobStatus

__all__ = [
    "JobKind",
    "ProcessingJobFilter",
    "ProcessingJobStatus",
    "ProcessingJobSummary",
    "SortBy",
    "SortOrder",
    "baseline_max_runtime",
    "delete_processing_job",
    "list_processing_jobs",
    "processing_status",
    "stop_processing_job",
]

KIND = "processing job"

SortBy = Literal["Name", "CreationTime", "Status"]
SortOrder = Literal["Ascending", "Descending"]


class ProcessingJobStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


class JobKind(StrEnum):
    BASELINE = "baseline"
    EXECUTION = "execution"


_EXECUTION_STATUS = {
    ExecutionStatus.PENDING: ProcessingJobStatus.IN_PROGRESS,
    ExecutionStatus.IN_PROGRESS: ProcessingJobStatus.IN_PROGRESS,
    ExecutionStatus.COMPLETED: ProcessingJobStatus.COMPLETED,
    ExecutionStatus.COMPLETED_WITH_VIOLATIONS: ProcessingJobStatus.COMPLETED,
    ExecutionStatus.FAILED: ProcessingJobStatus.FAILED,
    ExecutionStatus.STOPPING: ProcessingJobStatus.STOPPING,
    ExecutionStatus.STOPPED: ProcessingJobStatus.STOPPED,
}


def processing_status(status: ExecutionStatus | JobStatus) -> ProcessingJobStatus:
    """The processing-job status of an execution's or a baselining job's status."""
    if isinstance(status, ExecutionStatus):
        return _EXECUTION_STATUS[status]
    return ProcessingJobStatus(status.value)


@dataclass(frozen=True)
class ProcessingJobSummary:
    """One line of :func:`list_processing_jobs`."""

    name: str
    kind: JobKind
    status: ProcessingJobStatus
    created_at: datetime
    modified_at: datetime
    ended_at: datetime | None
    failure_reason: str | None
    exit_message: str | None


@dataclass(frozen=True)
class ProcessingJobFilter:
    """What :func:`list_processing_jobs` keeps (each criterion when given)."""

    name_contains: str | None = None
    name_prefix: str | None = None
    status: ProcessingJobStatus | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None


def _union(execution_prefix: str) -> Any:
    """Both kinds of job as rows of (name, kind, status, created, modified, ended, reason, message)."""
    finished = (ExecutionStatus.COMPLETED.value, ExecutionStatus.COMPLETED_WITH_VIOLATIONS.value)
    waiting = (ExecutionStatus.PENDING.value, ExecutionStatus.IN_PROGRESS.value)
    executions = sa.select(
        (sa.literal(execution_prefix) + sa.cast(Execution.id, sa.String)).label("name"),
        sa.literal(JobKind.EXECUTION.value).label("kind"),
        sa.case(
            (Execution.status.in_(waiting), ProcessingJobStatus.IN_PROGRESS.value),
            (Execution.status.in_(finished), ProcessingJobStatus.COMPLETED.value),
            else_=Execution.status,
        ).label("status"),
        Execution.created_at.label("created_at"),
        Execution.updated_at.label("modified_at"),
        Execution.ended_at.label("ended_at"),
        Execution.failure_reason.label("failure_reason"),
        Execution.exit_message.label("exit_message"),
        Execution.id.label("id"),
    )
    baselines = sa.select(
        BaselineJob.name.label("name"),
        sa.literal(JobKind.BASELINE.value).label("kind"),
        BaselineJob.status.label("status"),
        BaselineJob.created_at.label("created_at"),
        sa.func.coalesce(BaselineJob.ended_at, BaselineJob.started_at, BaselineJob.created_at).label(
            "modified_at"
        ),
        BaselineJob.ended_at.label("ended_at"),
        BaselineJob.failure_reason.label("failure_reason"),
        sa.literal(None, sa.String).label("exit_message"),
        BaselineJob.id.label("id"),
    )
    return sa.union_all(executions, baselines).subquery("processing_jobs")


def list_processing_jobs(
    session: Session,
    *,
    execution_prefix: str,
    where: ProcessingJobFilter | None = None,
    sort_by: SortBy = "CreationTime",
    sort_order: SortOrder = "Descending",
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[ProcessingJobSummary], bool]:
    """One page of the processing jobs (baselining jobs and executions together), and whether more follow.

    Executions are named ``{execution_prefix}{id}``. Ties of the sort key are broken by name.
    """
    where = where or ProcessingJobFilter()
    jobs = _union(execution_prefix)
    query = sa.select(jobs)
    if where.name_contains:
        query = query.where(jobs.c.name.contains(where.name_contains, autoescape=True))
    if where.name_prefix:
        query = query.where(jobs.c.name.startswith(where.name_prefix, autoescape=True))
    if where.status is not None:
        query = query.where(jobs.c.status == where.status.value)
    for column, after, before in (
        (jobs.c.created_at, where.created_after, where.created_before),
        (jobs.c.modified_at, where.modified_after, where.modified_before),
    ):
        if after is not None:
            query = query.where(column > after)
        if before is not None:
            query = query.where(column < before)
    key = {"Name": jobs.c.name, "CreationTime": jobs.c.created_at, "Status": jobs.c.status}[sort_by]
    direction = sa.asc if sort_order == "Ascending" else sa.desc
    query = query.order_by(direction(key), direction(jobs.c.name)).offset(offset).limit(limit + 1)
    rows = session.execute(query).all()
    summaries = [
        ProcessingJobSummary(
            name=row.name,
            kind=JobKind(row.kind),
            status=ProcessingJobStatus(row.status),
            created_at=_aware(row.created_at),
            modified_at=_aware(row.modified_at),
            ended_at=_aware(row.ended_at) if row.ended_at is not None else None,
            failure_reason=row.failure_reason,
            exit_message=row.exit_message,
        )
        for row in rows[:limit]
    ]
    return summaries, len(rows) > limit


def _aware(moment: datetime) -> datetime:
    """A timestamp read through the union (which bypasses the column type) as aware UTC."""
    if isinstance(moment, str):  # SQLite hands back text for a column of a union
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stop_processing_job(session: Session, *, execution_id: int | None, name: str) -> ProcessingJobStatus:
    """Stop a running execution (``execution_id``) or baselining job (``name``); returns its new status.

    Raises:
        NotFoundError: there is no such job.
        ConflictError: the job has already ended.
    """
    if execution_id is not None:
        execution = get_execution(session, execution_id)
        if ExecutionStatus(execution.status).finished:
            raise ConflictError(f"{KIND} {name!r} has already ended ({execution.status})")
        return processing_status(ExecutionStatus(stop_execution(session, execution_id).status))
    job = get_baseline_job(session, name)
    if job.status not in (JobStatus.IN_PROGRESS.value, JobStatus.STOPPING.value):
        raise ConflictError(f"{KIND} {name!r} has already ended ({job.status})")
    return processing_status(JobStatus(stop_baseline_job(session, name).status))


def baseline_max_runtime(session: Session, name: str) -> int | None:
    """The ``StoppingCondition.MaxRuntimeInSeconds`` of the ``CreateProcessingJob`` request that made
    baselining job ``name``; None when it gave none (or the job was not made through SageMaker's API)."""
    request = get_request(session, "processing-job", name) or {}
    stopping = request.get("StoppingCondition")
    seconds = stopping.get("MaxRuntimeInSeconds") if isinstance(stopping, dict) else None
    return seconds if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds > 0 else None


def delete_processing_job(session: Session, *, execution_id: int | None, name: str) -> None:
    """Delete an ended baselining job (``name``). An execution (``execution_id``) is not deleted this
    way: it belongs to its schedule's history.

    Raises:
        NotFoundError: there is no such job.
        ConflictError: the job has not ended, or it is an execution.
    """
    if execution_id is not None:
        get_execution(session, execution_id)
        raise ConflictError(f"{KIND} {name!r} is a monitoring execution, kept in its schedule's history")
    delete_baseline_job(session, name)
