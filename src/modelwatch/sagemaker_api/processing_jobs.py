"""Processing jobs: ``CreateProcessingJob``, ``DescribeProcessingJob``, ``StopProcessingJob``,
``ListProcessingJobs``, ``DeleteProcessingJob``.

A processing job of the Model Monitor analyzer or Clarify image is a modelwatch baselining job under
the same name (:mod:`~modelwatch.sagemaker_api.processing_requests` reads the request); it starts at
once in the server's job runner, and Describe echoes the request that created it (kept with
:mod:`modelwatch.service.sagemaker_requests`) with the job's status. A baselining job made through the
REST API or the CLI is a processing job too, described from the job itself. Every monitoring execution
is the processing job ``monitoring-execution-{id}``
(:mod:`~modelwatch.sagemaker_api.execution_jobs`).

``DeleteProcessingJob`` forgets an ended baselining job (its files stay); an execution's processing job
is kept with its schedule's history, and a running job must be stopped first (``ValidationException``).

A job that does not exist is a ``ValidationException`` "Could not find processing job 'ARN'.", as
SageMaker answers (the SDK's waiter and moto expect that), not ``ResourceNotFound``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from modelwatch.errors import ConflictError, NotFoundError
from modelwatch.jobs.definitions import MonitoringType
from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.errors import ValidationError
from modelwatch.sagemaker_api.execution_jobs import DEFAULT_CLUSTER, DEFAULT_ROLE, describe_execution_job
from modelwatch.sagemaker_api.processing_requests import read_processing_request
from modelwatch.sagemaker_api.reader import Reader
from modelwatch.sagemaker_api.registry import Context, operation
from modelwatch.sagemaker_api.service_errors import service_errors, validation_message
from modelwatch.sagemaker_api.shapes import image_uri
from modelwatch.service.baselines import get_baseline_job, start_baseline_job
from modelwatch.service.executions import get_execution
from modelwatch.service.models import BaselineJob
from modelwatch.service.processing_jobs import (
    JobKind,
    ProcessingJobFilter,
    ProcessingJobStatus,
    SortBy,
    SortOrder,
    delete_processing_job,
    list_processing_jobs,
    processing_status,
    stop_processing_job,
)
from modelwatch.service.sagemaker_requests import delete_request, get_request, save_request
from modelwatch.service.schemas import JobStatus
from modelwatch.service.tags import add_tags, delete_tags

__all__ = [
    "RESOURCE_TYPE",
    "create_processing_job",
    "delete_processing_job_operation",
    "describe_processing_job",
    "list_processing_jobs_operation",
    "stop_processing_job_operation",
]

RESOURCE_TYPE = "processing-job"
COMPLETED_MESSAGE = "Completed: Job completed successfully."


def could_not_find(ctx: Context, name: str) -> ValidationError:
    """SageMaker's answer for a processing job that does not exist."""
    return ValidationError(f"Could not find processing job '{ctx.arn(RESOURCE_TYPE, name)}'.")


def _job_name(body: dict[str, Any]) -> str:
    name = wire.required(body, "ProcessingJobName", str)
    if not 1 <= len(name) <= 63:
        raise ValidationError(validation_message("ProcessingJobName", "Member must have length from 1 to 63"))
    return name


@operation("CreateProcessingJob")
def create_processing_job(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    request = read_processing_request(body)
    if wire.execution_id_of(request.name) is not None:
        raise ValidationError(
            validation_message(
                "ProcessingJobName",
                f"names {wire.EXECUTION_JOB_PREFIX}{{id}} are those of monitoring executions",
            )
        )
    with service_errors(request.members), ctx.transaction() as session:
        start_baseline_job(session, request.spec)
        save_request(session, RESOURCE_TYPE, request.name, body)
        if request.tags:
            add_tags(session, RESOURCE_TYPE, request.name, request.tags)
    ctx.start_baseline_later(request.name)
    return {"ProcessingJobArn": ctx.arn(RESOURCE_TYPE, request.name)}


@operation("DescribeProcessingJob", read=True)
def describe_processing_job(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _job_name(body)
    execution_id = wire.execution_id_of(name)
    with ctx.transaction(write=False) as session:
        try:
            if execution_id is not None:
                row = get_execution(session, execution_id)
                return describe_execution_job(session, row, region=ctx.region, account=ctx.account)
            return _describe_baseline(ctx, session, get_baseline_job(session, name))
        except NotFoundError:
            raise could_not_find(ctx, name) from None


@operation("StopProcessingJob")
def stop_processing_job_operation(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _job_name(body)
    with ctx.transaction() as session:
        try:
            stop_processing_job(session, execution_id=wire.execution_id_of(name), name=name)
        except NotFoundError:
            raise could_not_find(ctx, name) from None
        except ConflictError as error:
            raise ValidationError(f"The processing job cannot be stopped: {error}") from None
    return {}


@operation("DeleteProcessingJob")
def delete_processing_job_operation(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _job_name(body)
    with ctx.transaction() as session:
        try:
            delete_processing_job(session, execution_id=wire.execution_id_of(name), name=name)
        except NotFoundError:
            raise could_not_find(ctx, name) from None
        except ConflictError as error:
            raise ValidationError(f"The processing job cannot be deleted: {error}") from None
        delete_request(session, RESOURCE_TYPE, name)
        delete_tags(session, RESOURCE_TYPE, name)
    return {}


@operation("ListProcessingJobs", read=True)
def list_processing_jobs_operation(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = wire.max_results(body, default=10)
    state = wire.decode_token(wire.optional(body, "NextToken", str)) or {}
    offset = state.get("offset", 0)
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError("Invalid pagination token: NextToken is not one this server gave")
    where = ProcessingJobFilter(
        name_contains=wire.optional(body, "NameContains", str),
        status=wire.enum_field(body, "StatusEquals", ProcessingJobStatus),
        created_after=_time(body, "CreationTimeAfter"),
        created_before=_time(body, "CreationTimeBefore"),
        modified_after=_time(body, "LastModifiedTimeAfter"),
        modified_before=_time(body, "LastModifiedTimeBefore"),
    )
    reader = Reader(body)
    sort_by = cast("SortBy", reader.enum("SortBy", ("Name", "CreationTime", "Status")) or "CreationTime")
    sort_order = cast("SortOrder", reader.enum("SortOrder", ("Ascending", "Descending")) or "Descending")
    with ctx.transaction(write=False) as session:
        jobs, more = list_processing_jobs(
            session,
            execution_prefix=wire.EXECUTION_JOB_PREFIX,
            where=where,
            sort_by=sort_by,
            sort_order=sort_order,
            offset=offset,
            limit=limit,
        )
    summaries = []
    for job in jobs:
        summary: dict[str, Any] = {
            "ProcessingJobName": job.name,
            "ProcessingJobArn": ctx.arn(RESOURCE_TYPE, job.name),
            "CreationTime": wire.epoch(job.created_at),
            "LastModifiedTime": wire.epoch(job.modified_at),
            "ProcessingJobStatus": job.status.value,
        }
        if job.ended_at is not None:
            summary["ProcessingEndTime"] = wire.epoch(job.ended_at)
        if job.kind == JobKind.BASELINE:
            summary |= _outcome(job.status, job.failure_reason)
        else:
            if job.failure_reason and job.status == ProcessingJobStatus.FAILED:
                summary["FailureReason"] = job.failure_reason
            if job.exit_message:
                summary["ExitMessage"] = job.exit_message
        summaries.append(summary)
    answer: dict[str, Any] = {"ProcessingJobSummaries": summaries}
    if more:
        answer["NextToken"] = wire.encode_token({"offset": offset + limit})
    return answer


def _time(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    return None if value is None else wire.from_epoch(value, name)


# -- a baselining job as a processing job ------------------------------------------------------------


def _describe_baseline(ctx: Context, session: Session, row: BaselineJob) -> dict[str, Any]:
    request = get_request(session, RESOURCE_TYPE, row.name) or _request_of(ctx, row)
    status = processing_status(JobStatus(row.status))
    answer: dict[str, Any] = {
        key: request[key]
        for key in (
            "ProcessingInputs",
            "ProcessingOutputConfig",
            "ProcessingResources",
            "StoppingCondition",
            "AppSpecification",
            "Environment",
            "NetworkConfig",
            "RoleArn",
            "ExperimentConfig",
        )
        if key in request
    }
    answer |= {
        "ProcessingJobName": row.name,
        "ProcessingJobArn": ctx.arn(RESOURCE_TYPE, row.name),
        "ProcessingJobStatus": status.value,
        "CreationTime": wire.epoch(row.created_at),
        "LastModifiedTime": wire.epoch(row.ended_at or row.started_at or row.created_at),
    }
    if row.started_at is not None:
        answer["ProcessingStartTime"] = wire.epoch(row.started_at)
    if row.ended_at is not None:
        answer["ProcessingEndTime"] = wire.epoch(row.ended_at)
    return answer | _outcome(status, row.failure_reason)


def _outcome(status: ProcessingJobStatus, reason: str | None) -> dict[str, str]:
    """A baselining job's ``FailureReason`` or ``ExitMessage`` (SageMaker's words for a completed job,
    the reason a stopped one was stopped)."""
    if status == ProcessingJobStatus.FAILED:
        return {"FailureReason": reason or "the job failed"}
    if status == ProcessingJobStatus.COMPLETED:
        return {"ExitMessage": COMPLETED_MESSAGE}
    if status == ProcessingJobStatus.STOPPED and reason:
        return {"ExitMessage": reason}
    return {}


def _request_of(ctx: Context, row: BaselineJob) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request that would have made a baselining job made through the REST
    API or the CLI: the analyzer's or Clarify's inputs, output and environment for it."""
    kind = MonitoringType(row.monitoring_type)
    output = "/opt/ml/processing/output"
    channel = {"S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}
    if kind in (MonitoringType.MODEL_BIAS, MonitoringType.MODEL_EXPLAINABILITY):
        config_uri = (row.parameters or {}).get("config_uri", "")
        inputs = [
            {
                "InputName": "dataset",
                "S3Input": {
                    "S3Uri": row.dataset_uri,
                    "LocalPath": "/opt/ml/processing/input/data",
                    **channel,
                },
            },
            {
                "InputName": "analysis_config",
                "S3Input": {"S3Uri": config_uri, "LocalPath": "/opt/ml/processing/input/config", **channel},
            },
        ]
        output_name, environment = "analysis_result", {}
    else:
        local = "/opt/ml/processing/input/baseline_dataset_input"
        inputs = [
            {
                "InputName": "baseline_dataset_input",
                "S3Input": {"S3Uri": row.dataset_uri, "LocalPath": local, **channel},
            }
        ]
        output_name = "monitoring_output"
        environment = {
            "dataset_source": local,
            "output_path": output,
            "publish_cloudwatch_metrics": "Disabled",
        }
        if row.dataset_format:
            environment["dataset_format"] = json.dumps(row.dataset_format)
        if kind == MonitoringType.MODEL_QUALITY:
            environment["analysis_type"] = "MODEL_QUALITY"
            for key, value in (row.parameters or {}).items():
                if key != "config_uri" and value is not None:
                    environment[key] = str(value)
    request: dict[str, Any] = {
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": output_name,
                    "S3Output": {"S3Uri": row.output_uri, "LocalPath": output, "S3UploadMode": "EndOfJob"},
                }
            ]
        },
        "ProcessingResources": {"ClusterConfig": dict(DEFAULT_CLUSTER)},
        "AppSpecification": {"ImageUri": image_uri(kind, ctx.region, ctx.account)},
        "RoleArn": DEFAULT_ROLE.format(account=ctx.account),
    }
    if environment:
        request["Environment"] = environment
    return request
