"""``ListMonitoringExecutions`` over :mod:`modelwatch.service.executions`.

Every execution is also the processing job ``monitoring-execution-{id}`` (:func:`wire.execution_job_name`):
its summary's ``ProcessingJobArn`` is that job's ARN, which the SDK's ``list_executions()`` describes.
Statuses are modelwatch's, spelled as SageMaker spells them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.jobs.definitions import MonitoringType
from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.listing import next_token, page_token, sort_key, sort_order, time_filter
from modelwatch.sagemaker_api.reader import Reader
from modelwatch.sagemaker_api.registry import Context, operation
from modelwatch.sagemaker_api.service_errors import Members, service_errors
from modelwatch.service.executions import list_executions
from modelwatch.service.models import Schedule
from modelwatch.service.schemas import ExecutionStatus, ExecutionView

__all__ = ["execution_summaries", "processing_job_arn"]

_SORT_KEYS: tuple[Literal["CreationTime", "ScheduledTime", "Status"], ...] = (
    "CreationTime",
    "ScheduledTime",
    "Status",
)
_TYPES = tuple(kind.value for kind in MonitoringType)
_STATUSES = tuple(status.value for status in ExecutionStatus)


def processing_job_arn(ctx: Context, execution_id: int) -> str:
    return ctx.arn("processing-job", wire.execution_job_name(execution_id))


def execution_summaries(
    session: Session, ctx: Context, views: Sequence[ExecutionView]
) -> list[dict[str, Any]]:
    """SageMaker's ``MonitoringExecutionSummary`` of each execution (one query for the definition names)."""
    names = {view.schedule_name for view in views}
    rows = session.execute(
        sa.select(Schedule.name, Schedule.job_definition_name).where(Schedule.name.in_(names))
    )
    definitions = {name: definition for name, definition in rows}
    summaries = []
    for view in views:
        modified = max(moment for moment in (view.created_at, view.started_at, view.ended_at) if moment)
        summary: dict[str, Any] = {
            "MonitoringScheduleName": view.schedule_name,
            "ScheduledTime": wire.epoch(view.scheduled_time),
            "CreationTime": wire.epoch(view.created_at),
            "LastModifiedTime": wire.epoch(modified),
            "MonitoringExecutionStatus": view.status.value,
            "ProcessingJobArn": processing_job_arn(ctx, view.id),
            "MonitoringType": view.monitoring_type.value,
        }
        if view.endpoint_name:
            summary["EndpointName"] = view.endpoint_name
        if view.failure_reason:
            summary["FailureReason"] = view.failure_reason
        if definitions.get(view.schedule_name):
            summary["MonitoringJobDefinitionName"] = definitions[view.schedule_name]
        summaries.append(summary)
    return summaries


@operation("ListMonitoringExecutions", read=True)
def list_monitoring_executions(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    request = Reader(body)
    size = wire.max_results(body)
    token = page_token(body)
    scheduled_after, scheduled_before = time_filter(body, "ScheduledTime")
    created_after, created_before = time_filter(body, "CreationTime")
    modified_after, modified_before = time_filter(body, "LastModifiedTime")
    status = request.enum("StatusEquals", _STATUSES)
    kind = request.enum("MonitoringTypeEquals", _TYPES)
    with ctx.transaction(write=False) as session:
        with service_errors(Members(default="NextToken")):
            page = list_executions(
                session,
                schedule_name=request.optional("MonitoringScheduleName", str),
                endpoint_name=request.optional("EndpointName", str),
                status=ExecutionStatus(status) if status else None,
                monitoring_type=MonitoringType(kind) if kind else None,
                scheduled_after=scheduled_after,
                scheduled_before=scheduled_before,
                job_definition_name=request.optional("MonitoringJobDefinitionName", str),
                created_after=created_after,
                created_before=created_before,
                modified_after=modified_after,
                modified_before=modified_before,
                sort_by=sort_key(body, _SORT_KEYS, "CreationTime"),
                sort_order=sort_order(body),
                max_results=size,
                next_token=token,
            )
        summaries = execution_summaries(session, ctx, page.items)
    return next_token({"MonitoringExecutionSummaries": summaries}, page.next_token)
