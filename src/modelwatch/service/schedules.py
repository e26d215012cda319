"""Monitoring schedules: create, describe, list, update, start, stop, delete, and run one now.

A schedule pairs a schedule expression (``cron(0 * ? * * *)``, a 5-field cron, or ``NOW``) with a job
definition. Creating or updating one validates everything that can be checked up front, naming the
field: the expression and offsets, the endpoint, the baseline files (they must be SageMaker files),
the scripts (they must exist and compile), the max runtime against the schedule's period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, TypedDict

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from modelwatch.errors import (
    ConflictError,
    ValidationError,
)
from modelwatch.jobs.definitions import DEFAULT_MAX_RUNTIME_SECONDS
from modelwatch.service.definitions import check_definition
from modelwatch.service.executions import create_execution, stop_open_executions
from modelwatch.service.job_definitions import get_job_definition
from modelwatch.service.layout import monitoring_uri
from modelwatch.service.lookup import by_name, ensure_new_name
from modelwatch.service.models import Execution, Schedule, utcnow
from modelwatch.service.paging import page
from modelwatch.service.schedule_expression import (
    ScheduleExpression,
    analysis_window,
    check_offsets,
    check_window_range,
    now_window,
    parse_offset,
    parse_schedule_expression,
)
from modelwatch.service.schemas import (
    ExecutionStatus,
    ExecutionView,
    JobDefinition,
    MonitoringType,
    Page,
    ScheduleSpec,
    ScheduleStatus,
    ScheduleUpdate,
    ScheduleView,
)

__all__ = [
    "create_schedule",
    "delete_schedule",
    "describe_schedule",
    "get_schedule",
    "list_schedules",
    "run_now",
    "schedule_expression",
    "schedule_output_uri",
    "start_schedule",
    "stop_schedule",
    "update_schedule",
    "window_of",
]

KIND = "monitoring schedule"

_SchedulePage = Page[ScheduleView]
"""Made once: pydantic keeps a parametrised generic only while it is referenced, so ``Page[...]`` in a
listing would build the class again on every call (half the time of a page of 100, measured)."""

SortBy = Literal["Name", "CreationTime", "Status"]
SortOrder = Literal["Ascending", "Descending"]


def get_schedule(session: Session, name: str, *, for_update: bool = False) -> Schedule:
    return by_name(session, Schedule, name, KIND, for_update=for_update)


def _last_statuses(session: Session, ids: list[int]) -> dict[int, ExecutionStatus]:
    """The status of each schedule's latest execution, for a page of schedules in one query."""
    latest = (
        sa.select(Execution.schedule_id, sa.func.max(Execution.scheduled_time).label("slot"))
        .where(Execution.schedule_id.in_(ids))
        .group_by(Execution.schedule_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Execution.schedule_id, Execution.status).join(
            latest,
            (Execution.schedule_id == latest.c.schedule_id) & (Execution.scheduled_time == latest.c.slot),
        )
    )
    return {schedule_id: ExecutionStatus(status) for schedule_id, status in rows if schedule_id is not None}


def _view(
    session: Session, row: Schedule, last: ExecutionStatus | None = None, *, known: bool = False
) -> ScheduleView:
    return ScheduleView(
        name=row.name,
        monitoring_type=MonitoringType(row.monitoring_type),
        schedule_expression=row.schedule_expression,
        data_analysis_start_time=row.data_analysis_start_time,
        data_analysis_end_time=row.data_analysis_end_time,
        definition=JobDefinition.model_validate(row.definition),
        job_definition_name=row.job_definition_name,
        endpoint_name=row.endpoint_name,
        status=ScheduleStatus(row.status),
        failure_reason=row.failure_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_execution_status=last if known else _last_statuses(session, [row.id]).get(row.id),
    )


def schedule_expression(row: Schedule) -> ScheduleExpression:
    return parse_schedule_expression(row.schedule_expression)


def _with_runtime(
    definition: JobDefinition, expression: ScheduleExpression, kind: MonitoringType
) -> JobDefinition:
    """The definition with ``max_runtime_seconds`` filled in: one hour, or the schedule's period if shorter
    (half of it for ModelQuality and ModelBias, whose merge job shares the time)."""
    if definition.max_runtime_seconds is not None:
        return definition
    limit = DEFAULT_MAX_RUNTIME_SECONDS
    if expression.kind == "cron":
        period = int(expression.shortest_period().total_seconds())
        limit = min(
            limit,
            period // 2 if kind in (MonitoringType.MODEL_QUALITY, MonitoringType.MODEL_BIAS) else period,
        )
    return definition.model_copy(update={"max_runtime_seconds": max(limit, 1)})


def _now_offsets(start: str | None, end: str | None) -> tuple[timedelta, timedelta]:
    if start is None or end is None:
        missing = "data_analysis_start_time" if start is None else "data_analysis_end_time"
        raise ValidationError("required when the schedule expression is NOW", field=missing)
    return (
        parse_offset(start, field="data_analysis_start_time"),
        parse_offset(end, field="data_analysis_end_time"),
    )


class _Offsets(TypedDict):
    """The keywords of :func:`analysis_window` and :func:`check_offsets` for a definition's input."""

    start_offset: timedelta | None
    end_offset: timedelta | None
    start_field: str
    end_field: str


def _offsets(definition: JobDefinition) -> _Offsets:
    """The input's offsets, parsed, with the request fields that name them."""
    prefix = "definition.endpoint_input" if definition.endpoint_input else "definition.batch_transform_input"
    start_field, end_field = f"{prefix}.start_time_offset", f"{prefix}.end_time_offset"
    start, end = definition.input.start_time_offset, definition.input.end_time_offset
    return _Offsets(
        start_offset=parse_offset(start, field=start_field) if start else None,
        end_offset=parse_offset(end, field=end_field) if end else None,
        start_field=start_field,
        end_field=end_field,
    )


def _output_uri(definition: JobDefinition, name: str) -> str:
    return definition.output_uri or monitoring_uri(definition.endpoint_name, name)


def create_schedule(session: Session, spec: ScheduleSpec, *, now: datetime | None = None) -> ScheduleView:
    """Create a schedule; it is ``Scheduled`` at once. Slots after ``now`` run; ``NOW`` runs one at once.

    Raises:
        ConflictError: the name is taken.
        NotFoundError: the endpoint does not exist.
        ValidationError: a field breaks a rule (named in the error).
    """
    now = now or utcnow()
    expression = parse_schedule_expression(spec.schedule_expression)
    definition = spec.definition
    if spec.job_definition_name is not None:
        shared = get_job_definition(session, spec.job_definition_name)
        if shared.monitoring_type != spec.monitoring_type.value:
            raise ValidationError(
                f"job definition {shared.name!r} is a {shared.monitoring_type} definition, "
                f"not {spec.monitoring_type.value}",
                field="monitoring_type",
            )
        definition = JobDefinition.model_validate(shared.definition)
    assert definition is not None
    check_definition(session, definition, spec.monitoring_type, expression)
    check_offsets(expression, at=now, **_offsets(definition))
    definition = _with_runtime(definition, expression, spec.monitoring_type)
    window = None
    if expression.kind == "now":
        # from the next whole second: capture stamps whole seconds (SageMaker's inferenceTime), so a
        # request answered in this very second, before the schedule was made, falls inside [.., end)
        run_time = now.replace(microsecond=0) + timedelta(seconds=1) if now.microsecond else now
        offsets = _now_offsets(spec.data_analysis_start_time, spec.data_analysis_end_time)
        window = now_window(run_time, *offsets)
    elif spec.data_analysis_start_time or spec.data_analysis_end_time:
        raise ValidationError(
            "only allowed when the schedule expression is NOW", field="data_analysis_start_time"
        )
    ensure_new_name(session, Schedule, spec.name, KIND)
    row = Schedule(
        name=spec.name,
        monitoring_type=spec.monitoring_type.value,
        schedule_expression=spec.schedule_expression,
        data_analysis_start_time=spec.data_analysis_start_time,
        data_analysis_end_time=spec.data_analysis_end_time,
        definition=definition.model_dump(mode="json", by_alias=True, exclude_none=True),
        job_definition_name=spec.job_definition_name,
        endpoint_name=definition.endpoint_name,
        status=ScheduleStatus.SCHEDULED.value,
        planned_until=now,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    if window is not None:
        create_execution(session, row, now.replace(microsecond=0), window, _output_uri(definition, row.name))
    return _view(session, row)


def describe_schedule(session: Session, name: str) -> ScheduleView:
    return _view(session, get_schedule(session, name))


def list_schedules(
    session: Session,
    *,
    endpoint_name: str | None = None,
    status: ScheduleStatus | None = None,
    monitoring_type: MonitoringType | None = None,
    name_contains: str | None = None,
    job_definition_name: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    sort_by: SortBy = "CreationTime",
    sort_order: SortOrder = "Descending",
    max_results: int = 10,
    next_token: str | None = None,
) -> Page[ScheduleView]:
    """One page of schedules, filtered and sorted as SageMaker's ``ListMonitoringSchedules`` (the time
    bounds are exclusive)."""
    query = sa.select(Schedule)
    if job_definition_name:
        query = query.where(Schedule.job_definition_name == job_definition_name)
    bounds: list[tuple[InstrumentedAttribute[datetime], datetime | None, datetime | None]] = [
        (Schedule.created_at, created_after, created_before),
        (Schedule.updated_at, modified_after, modified_before),
    ]
    for stamp, after, before in bounds:
        if after:
            query = query.where(stamp > after)
        if before:
            query = query.where(stamp < before)
    if endpoint_name:
        query = query.where(Schedule.endpoint_name == endpoint_name)
    if status:
        query = query.where(Schedule.status == ScheduleStatus(status).value)
    if monitoring_type:
        query = query.where(Schedule.monitoring_type == MonitoringType(monitoring_type).value)
    if name_contains:
        query = query.where(Schedule.name.contains(name_contains, autoescape=True))
    column = {"Name": Schedule.name, "CreationTime": Schedule.created_at, "Status": Schedule.status}[sort_by]
    ordered = column.asc() if sort_order == "Ascending" else column.desc()
    rows, token = page(session, query.order_by(ordered, Schedule.id), max_results, next_token)
    statuses = _last_statuses(session, [r.id for r in rows])
    return _SchedulePage(
        items=[_view(session, r, statuses.get(r.id), known=True) for r in rows], next_token=token
    )


def update_schedule(
    session: Session,
    name: str,
    update: ScheduleUpdate,
    *,
    now: datetime | None = None,
    job_definition_name: str | None = None,
) -> ScheduleView:
    """Change a schedule's expression, NOW window or definition; slots after ``now`` use the new values.
    A ``Failed`` schedule (one the scheduler could not plan) is ``Scheduled`` again. With
    ``job_definition_name`` the schedule moves to that job definition (its current content).

    Raises:
        NotFoundError: the schedule or the job definition does not exist.
        ValidationError: a field breaks a rule (named in the error), as in :func:`create_schedule`.
    """
    now = now or utcnow()
    row = get_schedule(session, name, for_update=True)
    if job_definition_name is not None:
        shared = get_job_definition(session, job_definition_name)
        if shared.monitoring_type != row.monitoring_type:
            raise ValidationError(
                f"job definition {shared.name!r} is a {shared.monitoring_type} definition, "
                f"not {row.monitoring_type}",
                field="monitoring_type",
            )
        update = update.model_copy(update={"definition": JobDefinition.model_validate(shared.definition)})
    text = update.schedule_expression or row.schedule_expression
    expression = parse_schedule_expression(text)
    definition = update.definition or JobDefinition.model_validate(row.definition)
    if update.definition is not None and update.definition.endpoint_name != row.endpoint_name:
        raise ValidationError("a schedule cannot move to another endpoint", field="definition.endpoint_input")
    check_definition(session, definition, MonitoringType(row.monitoring_type), expression)
    check_offsets(expression, at=now, **_offsets(definition))
    if update.definition is not None or update.schedule_expression is not None:
        definition = _with_runtime(
            definition.model_copy(update={"max_runtime_seconds": update.definition.max_runtime_seconds})
            if update.definition is not None
            else definition,
            expression,
            MonitoringType(row.monitoring_type),
        )
    start = update.data_analysis_start_time or row.data_analysis_start_time
    end = update.data_analysis_end_time or row.data_analysis_end_time
    if expression.kind == "now":
        now_window(now, *_now_offsets(start, end))
    elif update.data_analysis_start_time or update.data_analysis_end_time:
        raise ValidationError(
            "only allowed when the schedule expression is NOW", field="data_analysis_start_time"
        )
    changed = text != row.schedule_expression  # compared before the new expression is stored
    row.schedule_expression = text
    if job_definition_name is not None:
        row.job_definition_name = job_definition_name
    row.data_analysis_start_time, row.data_analysis_end_time = start, end
    row.definition = definition.model_dump(mode="json", by_alias=True, exclude_none=True)
    if changed or expression.kind == "cron":
        row.planned_until = max(row.planned_until or now, now)
    if row.status == ScheduleStatus.FAILED.value:  # the update passed every check: plan it again from now
        row.status, row.failure_reason, row.planned_until = ScheduleStatus.SCHEDULED.value, None, now
    row.updated_at = now
    session.flush()
    return _view(session, row)


def start_schedule(session: Session, name: str, *, now: datetime | None = None) -> ScheduleView:
    """Resume a stopped schedule; slots missed while it was stopped are not run."""
    row = get_schedule(session, name, for_update=True)
    if row.status != ScheduleStatus.SCHEDULED.value:
        row.status = ScheduleStatus.SCHEDULED.value
        row.failure_reason = None
        row.planned_until = now or utcnow()
    return _view(session, row)


def stop_schedule(session: Session, name: str) -> ScheduleView:
    """Stop planning new executions (running ones finish; pending ones are stopped)."""
    row = get_schedule(session, name, for_update=True)
    row.status = ScheduleStatus.STOPPED.value
    stop_open_executions(session, row.id, running=False)
    return _view(session, row)


def delete_schedule(session: Session, name: str) -> None:
    """Delete a schedule; its pending and running executions are stopped, the history is kept."""
    row = get_schedule(session, name, for_update=True)
    stop_open_executions(session, row.id, running=True)
    session.delete(row)


def window_of(row: Schedule, slot: datetime) -> tuple[datetime, datetime]:
    """The analysis window of a cron schedule's slot, shifted by the input's start/end offsets.

    Raises:
        ValidationError: the window is empty or not representable (the offset's field is named).
    """
    offsets = _offsets(JobDefinition.model_validate(row.definition))
    return analysis_window(schedule_expression(row), slot, **offsets)


def run_now(
    session: Session, name: str, *, window_start: datetime, window_end: datetime, now: datetime | None = None
) -> ExecutionView:
    """Run the schedule's job once, now, over ``[window_start, window_end)`` (on-demand monitoring).

    Raises:
        NotFoundError: the schedule does not exist.
        ValidationError: the window is empty, or not within 1970-01-01 to 9999-01-01 (the field is named).
        ConflictError: an execution of this schedule already exists for this exact time.
    """
    row = get_schedule(session, name)
    if window_end <= window_start:
        raise ValidationError("window_end must be after window_start", field="window_end")
    check_window_range(window_start, window_end, start_field="window_start", end_field="window_end")
    now = (now or utcnow()).replace(microsecond=0)
    if session.scalar(
        sa.select(Execution.id).where(Execution.schedule_id == row.id, Execution.scheduled_time == now)
    ):
        raise ConflictError(
            f"schedule {name!r} already has an execution at {now.isoformat()}; retry in a second"
        )
    definition = JobDefinition.model_validate(row.definition)
    return create_execution(session, row, now, (window_start, window_end), _output_uri(definition, row.name))


def schedule_output_uri(row: Schedule) -> str:
    """The schedule's output root; each execution writes under ``{root}/yyyy/mm/dd/HH``."""
    return _output_uri(JobDefinition.model_validate(row.definition), row.name)
