"""Monitoring schedules: ``Create``/``Describe``/``Update``/``Delete``/``Start``/``Stop``
``MonitoringSchedule`` and ``ListMonitoringSchedules`` over :mod:`modelwatch.service.schedules`.

A schedule names a job definition (``MonitoringJobDefinitionName`` + ``MonitoringType``) or carries an
inline ``MonitoringJobDefinition`` (the SDK's base ``ModelMonitor``; ``MonitoringType`` defaults to
``DataQuality``). ``ScheduleExpression`` ``NOW`` with ``DataAnalysisStartTime``/``EndTime`` runs once, at
once. Describe echoes the ``MonitoringScheduleConfig`` sent (with ``MonitoringType`` always present: the
SDK indexes it) and summarises the latest execution.
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.jobs.definitions import JobDefinition, MonitoringType
from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.endpoints import ensure_endpoint
from modelwatch.sagemaker_api.errors import ValidationError
from modelwatch.sagemaker_api.executions import execution_summaries
from modelwatch.sagemaker_api.listing import next_token, page_token, sort_key, sort_order, time_filter
from modelwatch.sagemaker_api.reader import Reader, read_tags
from modelwatch.sagemaker_api.registry import Context, operation
from modelwatch.sagemaker_api.service_errors import Members, service_errors, validation_message
from modelwatch.sagemaker_api.shapes import TranslatedDefinition, inline_job_definition, inline_shape
from modelwatch.service import schedules as service
from modelwatch.service.executions import list_executions
from modelwatch.service.job_definitions import get_job_definition
from modelwatch.service.models import Execution, Schedule
from modelwatch.service.sagemaker_requests import delete_request, get_request, save_request
from modelwatch.service.schemas import (
    ExecutionStatus,
    ScheduleSpec,
    ScheduleStatus,
    ScheduleUpdate,
    ScheduleView,
)
from modelwatch.service.tags import add_tags, delete_tags

__all__ = ["ARN_TYPE", "schedule_arn"]

ARN_TYPE = "monitoring-schedule"
_CONFIG = "MonitoringScheduleConfig"
_SORT_KEYS: tuple[Literal["Name", "CreationTime", "Status"], ...] = ("Name", "CreationTime", "Status")
_TYPES = tuple(kind.value for kind in MonitoringType)
_STATUSES = tuple(status.value for status in ScheduleStatus)


def schedule_arn(ctx: Context, name: str) -> str:
    return ctx.arn(ARN_TYPE, name)


def _name(body: dict[str, Any]) -> str:
    return Reader(body).text("MonitoringScheduleName", required=True, min_length=1, max_length=63)


def _members(default: str = _CONFIG) -> Members:
    members = Members(default=default)
    for path, member in (
        ("name", "MonitoringScheduleName"),
        ("monitoring_type", f"{_CONFIG}.MonitoringType"),
        ("schedule_expression", f"{_CONFIG}.ScheduleConfig.ScheduleExpression"),
        ("data_analysis_start_time", f"{_CONFIG}.ScheduleConfig.DataAnalysisStartTime"),
        ("data_analysis_end_time", f"{_CONFIG}.ScheduleConfig.DataAnalysisEndTime"),
        ("job_definition_name", f"{_CONFIG}.MonitoringJobDefinitionName"),
        ("ScheduleConfig.ScheduleExpression", f"{_CONFIG}.ScheduleConfig.ScheduleExpression"),
        ("ScheduleConfig.DataAnalysisStartTime", f"{_CONFIG}.ScheduleConfig.DataAnalysisStartTime"),
        ("ScheduleConfig.DataAnalysisEndTime", f"{_CONFIG}.ScheduleConfig.DataAnalysisEndTime"),
    ):
        members.add(path, member)
    return members


class _Config:
    """A request's ``MonitoringScheduleConfig``, read."""

    def __init__(self, session: Session, body: dict[str, Any], current: MonitoringType | None = None) -> None:
        config = Reader(body).must_child(_CONFIG)
        schedule = config.must_child("ScheduleConfig")
        self.expression = schedule.text("ScheduleExpression", required=True, min_length=1, max_length=256)
        self.start = schedule.optional("DataAnalysisStartTime", str)
        self.end = schedule.optional("DataAnalysisEndTime", str)
        given = config.enum("MonitoringType", _TYPES)
        self.job_definition_name = config.optional("MonitoringJobDefinitionName", str)
        inline = config.child("MonitoringJobDefinition")
        if (inline is None) == (self.job_definition_name is None):
            raise ValidationError(
                validation_message(
                    _CONFIG, "give exactly one of MonitoringJobDefinitionName, MonitoringJobDefinition"
                )
            )
        self.monitoring_type = (
            MonitoringType(given) if given else current or self._type_of_definition(session)
        )
        if current is not None and self.monitoring_type != current:
            raise ValidationError(
                validation_message(f"{_CONFIG}.MonitoringType", f"the schedule is a {current.value} schedule")
            )
        self.inline: TranslatedDefinition | None = None
        self.members = _members()
        if inline is not None:
            self.inline = inline_job_definition(session, self.monitoring_type, inline)
            self.members.sources.update(self.inline.members.sources)

    def _type_of_definition(self, session: Session) -> MonitoringType:
        if self.job_definition_name is None:
            return MonitoringType.DATA_QUALITY
        with service_errors(_members()):
            return MonitoringType(get_job_definition(session, self.job_definition_name).monitoring_type)

    @property
    def definition(self) -> JobDefinition | None:
        return self.inline.definition if self.inline else None


def _start_now(ctx: Context, session: Session, name: str) -> None:
    """Start the execution a ``NOW`` schedule made, right after the answer."""
    found = session.scalar(
        sa.select(Execution.id)
        .join(Schedule, Schedule.id == Execution.schedule_id)
        .where(Schedule.name == name, Execution.status == ExecutionStatus.PENDING.value)
        .order_by(Execution.id.desc())
        .limit(1)
    )
    if found is not None:
        ctx.start_execution_later(found)


@operation("CreateMonitoringSchedule")
def create_monitoring_schedule(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _name(body)
    tags = read_tags(body)
    with ctx.transaction() as session:
        config = _Config(session, body)
        with service_errors(config.members):
            if config.definition is not None:
                ensure_endpoint(session, config.definition)
            spec = ScheduleSpec(
                name=name,
                monitoring_type=config.monitoring_type,
                schedule_expression=config.expression,
                data_analysis_start_time=config.start,
                data_analysis_end_time=config.end,
                definition=config.definition,
                job_definition_name=config.job_definition_name,
            )
            service.create_schedule(session, spec)
            save_request(session, ARN_TYPE, name, body)
            add_tags(session, ARN_TYPE, name, tags)
        if config.expression.strip().upper() == "NOW":
            _start_now(ctx, session, name)
    return {"MonitoringScheduleArn": schedule_arn(ctx, name)}


def _config_shape(session: Session, ctx: Context, view: ScheduleView) -> dict[str, Any]:
    """The schedule's ``MonitoringScheduleConfig``: the request's, with the schedule's current expression,
    window and job definition (a change made through the REST API or the CLI shows too); an inline
    definition in SageMaker's shapes when no request made it."""
    request = get_request(session, ARN_TYPE, view.name)
    config = dict(request[_CONFIG]) if request and isinstance(request.get(_CONFIG), dict) else {}
    schedule: dict[str, Any] = {"ScheduleExpression": view.schedule_expression}
    if view.data_analysis_start_time:
        schedule["DataAnalysisStartTime"] = view.data_analysis_start_time
    if view.data_analysis_end_time:
        schedule["DataAnalysisEndTime"] = view.data_analysis_end_time
    config["ScheduleConfig"] = schedule
    if view.job_definition_name:
        config.pop("MonitoringJobDefinition", None)
        config["MonitoringJobDefinitionName"] = view.job_definition_name
    elif "MonitoringJobDefinition" not in config:
        config.pop("MonitoringJobDefinitionName", None)
        output = service.schedule_output_uri(service.get_schedule(session, view.name))
        config["MonitoringJobDefinition"] = inline_shape(
            view.monitoring_type, view.definition, output, ctx.region, ctx.account
        )
    config["MonitoringType"] = view.monitoring_type.value
    return config


@operation("DescribeMonitoringSchedule", read=True)
def describe_monitoring_schedule(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _name(body)
    with ctx.transaction(write=False) as session:
        with service_errors(_members()):
            view = service.describe_schedule(session, name)
        answer: dict[str, Any] = {
            "MonitoringScheduleArn": schedule_arn(ctx, name),
            "MonitoringScheduleName": name,
            "MonitoringScheduleStatus": view.status.value,
            "MonitoringType": view.monitoring_type.value,
            "CreationTime": wire.epoch(view.created_at),
            "LastModifiedTime": wire.epoch(view.updated_at),
            "MonitoringScheduleConfig": _config_shape(session, ctx, view),
        }
        if view.failure_reason:
            answer["FailureReason"] = view.failure_reason
        if view.endpoint_name:
            answer["EndpointName"] = view.endpoint_name
        latest = list_executions(session, schedule_name=name, sort_by="ScheduledTime", max_results=1)
        if latest.items:
            answer["LastMonitoringExecutionSummary"] = execution_summaries(session, ctx, latest.items)[0]
    return answer


@operation("UpdateMonitoringSchedule")
def update_monitoring_schedule(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _name(body)
    with ctx.transaction() as session:
        with service_errors(_members()):
            current = service.describe_schedule(session, name)
        config = _Config(session, body, current.monitoring_type)
        with service_errors(config.members):
            if config.definition is not None:
                ensure_endpoint(session, config.definition)
            update = ScheduleUpdate(
                schedule_expression=config.expression,
                data_analysis_start_time=config.start,
                data_analysis_end_time=config.end,
                definition=config.definition,
            )
            service.update_schedule(session, name, update, job_definition_name=config.job_definition_name)
            request = get_request(session, ARN_TYPE, name) or {"MonitoringScheduleName": name}
            save_request(session, ARN_TYPE, name, {**request, _CONFIG: body[_CONFIG]})
        if config.expression.strip().upper() == "NOW":
            _start_now(ctx, session, name)
    return {"MonitoringScheduleArn": schedule_arn(ctx, name)}


@operation("DeleteMonitoringSchedule")
def delete_monitoring_schedule(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _name(body)
    with ctx.transaction() as session, service_errors(_members()):
        service.delete_schedule(session, name)
        delete_request(session, ARN_TYPE, name)
        delete_tags(session, ARN_TYPE, name)
    return {}


@operation("StartMonitoringSchedule")
def start_monitoring_schedule(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _name(body)
    with ctx.transaction() as session, service_errors(_members()):
        service.start_schedule(session, name)
    return {}


@operation("StopMonitoringSchedule")
def stop_monitoring_schedule(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _name(body)
    with ctx.transaction() as session, service_errors(_members()):
        service.stop_schedule(session, name)
    return {}


@operation("ListMonitoringSchedules", read=True)
def list_monitoring_schedules(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    request = Reader(body)
    size = wire.max_results(body)
    token = page_token(body)
    created_after, created_before = time_filter(body, "CreationTime")
    modified_after, modified_before = time_filter(body, "LastModifiedTime")
    status = request.enum("StatusEquals", _STATUSES)
    kind = request.enum("MonitoringTypeEquals", _TYPES)
    with ctx.transaction(write=False) as session, service_errors(Members(default="NextToken")):
        page = service.list_schedules(
            session,
            endpoint_name=request.optional("EndpointName", str),
            name_contains=request.optional("NameContains", str),
            status=ScheduleStatus(status) if status else None,
            monitoring_type=MonitoringType(kind) if kind else None,
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
    summaries = []
    for view in page.items:
        summary: dict[str, Any] = {
            "MonitoringScheduleName": view.name,
            "MonitoringScheduleArn": schedule_arn(ctx, view.name),
            "CreationTime": wire.epoch(view.created_at),
            "LastModifiedTime": wire.epoch(view.updated_at),
            "MonitoringScheduleStatus": view.status.value,
            "MonitoringType": view.monitoring_type.value,
        }
        if view.endpoint_name:
            summary["EndpointName"] = view.endpoint_name
        if view.job_definition_name:
            summary["MonitoringJobDefinitionName"] = view.job_definition_name
        summaries.append(summary)
    return next_token({"MonitoringScheduleSummaries": summaries}, page.next_token)
