"""Monitoring executions: one per (schedule, scheduled time), from ``Pending`` to a final status.

::

    Pending ──claim──► InProgress ──► Completed | CompletedWithViolations | Failed
       │                   │
       └──stop──► Stopped  └──stop / max runtime──► Stopping ──► Stopped

Rows are created by the scheduler (:func:`insert_slots`, insert-or-ignore on the unique slot key) or
on demand; a runner takes them with :func:`claim_executions`, an atomic compare-and-set from ``Pending``,
so two schedulers never run the same execution.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session, defer

from modelwatch.errors import ConflictError, NotFoundError
from modelwatch.service import alerting
from modelwatch.service.layout import execution_output_uri
from modelwatch.service.models import Execution, Schedule, utcnow
from modelwatch.service.paging import page
from modelwatch.service.schemas import ExecutionStatus, ExecutionView, MonitoringType, Page

__all__ = [
    "claim_executions",
    "create_execution",
    "describe_execution",
    "finish_execution",
    "get_execution",
    "insert_slots",
    "list_executions",
    "stop_execution",
    "stop_open_executions",
]

KIND = "monitoring execution"

_ExecutionPage = Page[ExecutionView]
"""Made once: pydantic keeps a parametrised generic only while it is referenced, so ``Page[...]`` in a
listing would build the class again on every call (half the time of a page of 100, measured)."""

SortBy = Literal["CreationTime", "ScheduledTime", "Status"]
SortOrder = Literal["Ascending", "Descending"]

_OPEN = (ExecutionStatus.PENDING.value, ExecutionStatus.IN_PROGRESS.value, ExecutionStatus.STOPPING.value)


def _view(row: Execution) -> ExecutionView:
    return ExecutionView.model_validate(row, from_attributes=True)


def get_execution(session: Session, execution_id: int) -> Execution:
    row = session.get(Execution, execution_id)
    if row is None:
        raise NotFoundError(KIND, str(execution_id))
    return row


def _row(
    schedule: Schedule, scheduled_time: datetime, window: tuple[datetime, datetime], output_uri: str
) -> dict[str, Any]:
    now = utcnow()
    return {
        "schedule_id": schedule.id,
        "schedule_name": schedule.name,
        "endpoint_name": schedule.endpoint_name,
        "monitoring_type": schedule.monitoring_type,
        "scheduled_time": scheduled_time,
        "window_start": window[0],
        "window_end": window[1],
        "definition": schedule.definition,
        "status": ExecutionStatus.PENDING.value,
        "output_uri": execution_output_uri(output_uri, scheduled_time),
        "stop_requested": False,
        "created_at": now,
        "updated_at": now,
    }


def create_execution(
    session: Session,
    schedule: Schedule,
    scheduled_time: datetime,
    window: tuple[datetime, datetime],
    schedule_output_uri: str,
) -> ExecutionView:
    """Add one ``Pending`` execution of ``schedule``; it keeps a copy of the schedule's definition."""
    row = Execution(**_row(schedule, scheduled_time, window, schedule_output_uri))
    session.add(row)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        raise ConflictError(
            f"schedule {schedule.name!r} already has an execution at {scheduled_time.isoformat()}"
        ) from None
    return _view(row)


def insert_slots(
    session: Session, slots: Sequence[tuple[Schedule, datetime, tuple[datetime, datetime], str]]
) -> int:
    """Insert the executions of many slots at once, skipping any that exist; returns how many were new."""
    if not slots:
        return 0
    rows = [_row(*slot) for slot in slots]
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(Execution)
        .on_conflict_do_nothing(index_elements=["schedule_id", "scheduled_time"])
        .returning(Execution.id)
    )
    return len(session.connection().execute(statement, rows).all())


def claim_executions(
    session: Session, execution_ids: Sequence[int], worker: str, *, now: datetime | None = None
) -> list[Execution]:
    """Move the given executions that are still ``Pending`` to ``InProgress`` for ``worker``, in one
    statement; returns the rows claimed (the others were taken by someone else or stopped)."""
    if not execution_ids:
        return []
    moment = now or utcnow()
    claimed = session.scalars(
        sa.update(Execution)
        .where(Execution.id.in_(list(execution_ids)), Execution.status == ExecutionStatus.PENDING.value)
        .values(
            status=ExecutionStatus.IN_PROGRESS.value, claimed_by=worker, started_at=moment, updated_at=moment
        )
        .returning(Execution.id)
    ).all()
    if not claimed:
        return []
    rows = session.scalars(sa.select(Execution).where(Execution.id.in_(claimed)).order_by(Execution.id)).all()
    return list(rows)


def finish_execution(
    session: Session,
    execution_id: int,
    status: ExecutionStatus,
    *,
    failure_reason: str | None = None,
    exit_message: str | None = None,
    log_uri: str | None = None,
    violation_count: int | None = None,
    record_count: int | None = None,
    now: datetime | None = None,
) -> None:
    """Record an execution's final status and outcome."""
    session.execute(
        sa.update(Execution)
        .where(Execution.id == execution_id)
        .values(
            status=status.value,
            failure_reason=failure_reason[:1024] if failure_reason else None,
            exit_message=exit_message[:1024] if exit_message else None,
            log_uri=log_uri,
            violation_count=violation_count,
            record_count=record_count,
            ended_at=now or utcnow(),
            updated_at=now or utcnow(),
        )
    )
    alerting.on_execution_finished(session, execution_id, status, now=now)  # docs/alerts.md


def describe_execution(session: Session, execution_id: int) -> ExecutionView:
    return _view(get_execution(session, execution_id))


def list_executions(
    session: Session,
    *,
    schedule_name: str | None = None,
    endpoint_name: str | None = None,
    status: ExecutionStatus | None = None,
    monitoring_type: MonitoringType | None = None,
    scheduled_after: datetime | None = None,
    scheduled_before: datetime | None = None,
    job_definition_name: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    sort_by: SortBy = "CreationTime",
    sort_order: SortOrder = "Descending",
    max_results: int = 10,
    next_token: str | None = None,
) -> Page[ExecutionView]:
    """One page of executions, filtered and sorted as SageMaker's ``ListMonitoringExecutions``."""
    query = sa.select(Execution).options(defer(Execution.definition))  # the views don't show it
    if schedule_name:
        query = query.where(Execution.schedule_name == schedule_name)
    if endpoint_name:
        query = query.where(Execution.endpoint_name == endpoint_name)
    if status:
        query = query.where(Execution.status == ExecutionStatus(status).value)
    if monitoring_type:
        query = query.where(Execution.monitoring_type == MonitoringType(monitoring_type).value)
    if scheduled_after:
        query = query.where(Execution.scheduled_time > scheduled_after)
    if scheduled_before:
        query = query.where(Execution.scheduled_time < scheduled_before)
    if job_definition_name:
        users = sa.select(Schedule.name).where(Schedule.job_definition_name == job_definition_name)
        query = query.where(Execution.schedule_name.in_(users))
    bounds: list[tuple[InstrumentedAttribute[datetime], datetime | None, datetime | None]] = [
        (Execution.created_at, created_after, created_before),
        (Execution.updated_at, modified_after, modified_before),
    ]
    for stamp, after, before in bounds:
        if after:
            query = query.where(stamp > after)
        if before:
            query = query.where(stamp < before)
    column = {
        "CreationTime": Execution.created_at,
        "ScheduledTime": Execution.scheduled_time,
        "Status": Execution.status,
    }[sort_by]
    direction = sa.asc if sort_order == "Ascending" else sa.desc
    rows, token = page(
        session, query.order_by(direction(column), direction(Execution.id)), max_results, next_token
    )
    return _ExecutionPage(items=[_view(r) for r in rows], next_token=token)


def stop_execution(session: Session, execution_id: int) -> ExecutionView:
    """Stop an execution: a pending one is ``Stopped`` at once, a running one goes ``Stopping``."""
    row = get_execution(session, execution_id)
    if row.status == ExecutionStatus.PENDING.value:
        row.status = ExecutionStatus.STOPPED.value
        row.failure_reason = "Stopped by request before it started"
        row.ended_at = utcnow()
    elif row.status == ExecutionStatus.IN_PROGRESS.value:
        row.status = ExecutionStatus.STOPPING.value
        row.stop_requested = True
    session.flush()
    return _view(row)


def stop_open_executions(session: Session, schedule_id: int, *, running: bool) -> None:
    """Stop a schedule's pending executions and, with ``running``, ask its running ones to stop."""
    now = utcnow()
    session.execute(
        sa.update(Execution)
        .where(Execution.schedule_id == schedule_id, Execution.status == ExecutionStatus.PENDING.value)
        .values(status=ExecutionStatus.STOPPED.value, failure_reason="Schedule stopped", ended_at=now)
    )
    if running:
        session.execute(
            sa.update(Execution)
            .where(
                Execution.schedule_id == schedule_id, Execution.status == ExecutionStatus.IN_PROGRESS.value
            )
            .values(status=ExecutionStatus.STOPPING.value, stop_requested=True)
        )


def open_execution_ids(session: Session) -> list[int]:
    return list(session.scalars(sa.select(Execution.id).where(Execution.status.in_(_OPEN))))
