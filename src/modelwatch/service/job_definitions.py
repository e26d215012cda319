"""Named job definitions: one definition shared by several schedules (SageMaker's ``*JobDefinition``).

A schedule created from a job definition keeps a copy of it, so later schedules see a definition's
current content and earlier ones keep theirs. A definition used by a schedule cannot be deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ConflictError
from modelwatch.service.lookup import by_name, ensure_new_name
from modelwatch.service.models import JobDefinitionRow, Schedule
from modelwatch.service.paging import page
from modelwatch.service.roots import confine_fields
from modelwatch.service.schemas import (
    JobDefinition,
    JobDefinitionSpec,
    JobDefinitionView,
    MonitoringType,
    Page,
)

__all__ = [
    "create_job_definition",
    "delete_job_definition",
    "describe_job_definition",
    "get_job_definition",
    "list_job_definitions",
]

KIND = "job definition"

_JobDefinitionPage = Page[JobDefinitionView]
"""Made once: pydantic keeps a parametrised generic only while it is referenced, so ``Page[...]`` in a
listing would build the class again on every call (half the time of a page of 100, measured)."""


def _view(row: JobDefinitionRow) -> JobDefinitionView:
    return JobDefinitionView(
        name=row.name,
        monitoring_type=MonitoringType(row.monitoring_type),
        definition=JobDefinition.model_validate(row.definition),
        endpoint_name=row.endpoint_name,
        created_at=row.created_at,
    )


def get_job_definition(session: Session, name: str) -> JobDefinitionRow:
    return by_name(session, JobDefinitionRow, name, KIND)


def create_job_definition(session: Session, spec: JobDefinitionSpec) -> JobDefinitionView:
    """Store a named definition. It is checked when a schedule uses it (the endpoint may come later)."""
    confine_fields(spec.definition, "definition")  # MODELWATCH_ALLOWED_ROOTS
    ensure_new_name(session, JobDefinitionRow, spec.name, KIND)
    row = JobDefinitionRow(
        name=spec.name,
        monitoring_type=spec.monitoring_type.value,
        endpoint_name=spec.definition.endpoint_name,
        definition=spec.definition.model_dump(mode="json", by_alias=True, exclude_none=True),
    )
    session.add(row)
    session.flush()
    return _view(row)


def describe_job_definition(session: Session, name: str) -> JobDefinitionView:
    return _view(get_job_definition(session, name))


def list_job_definitions(
    session: Session,
    *,
    endpoint_name: str | None = None,
    monitoring_type: MonitoringType | None = None,
    name_contains: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    sort_by: Literal["Name", "CreationTime"] = "CreationTime",
    sort_order: Literal["Ascending", "Descending"] = "Descending",
    max_results: int = 10,
    next_token: str | None = None,
) -> Page[JobDefinitionView]:
    """One page of definitions, filtered and sorted as SageMaker's ``List*JobDefinitions`` (the time
    bounds are exclusive)."""
    column = JobDefinitionRow.name if sort_by == "Name" else JobDefinitionRow.created_at
    direction = sa.asc if sort_order == "Ascending" else sa.desc
    query = sa.select(JobDefinitionRow).order_by(direction(column), direction(JobDefinitionRow.id))
    if name_contains:
        query = query.where(JobDefinitionRow.name.contains(name_contains, autoescape=True))
    if created_after:
        query = query.where(JobDefinitionRow.created_at > created_after)
    if created_before:
        query = query.where(JobDefinitionRow.created_at < created_before)
    if endpoint_name:
        query = query.where(JobDefinitionRow.endpoint_name == endpoint_name)
    if monitoring_type:
        query = query.where(JobDefinitionRow.monitoring_type == MonitoringType(monitoring_type).value)
    rows, token = page(session, query, max_results, next_token)
    return _JobDefinitionPage(items=[_view(r) for r in rows], next_token=token)


def delete_job_definition(session: Session, name: str) -> None:
    """Delete a definition; refused while a schedule uses it (SageMaker's ``ResourceInUse``)."""
    row = get_job_definition(session, name)
    users = session.scalars(sa.select(Schedule.name).where(Schedule.job_definition_name == name)).all()
    if users:
        raise ConflictError(f"job definition {name!r} is used by schedules {', '.join(sorted(users))}")
    session.delete(row)
