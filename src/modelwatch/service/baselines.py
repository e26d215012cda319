"""Baselining jobs: profile training data into statistics.json + suggested constraints.json.

:func:`start_baseline_job` records the job (``InProgress``); a runner picks it up and calls
:func:`run_baseline_job`, which profiles the dataset (in the runner's job subprocess) and records the
outcome. The files land in ``output_uri`` (default ``{storage}/baselines/{name}``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ValidationError
from modelwatch.service.layout import baseline_uri
from modelwatch.service.lookup import by_name, check_uri, ensure_new_name
from modelwatch.service.models import BaselineJob, utcnow
from modelwatch.service.paging import page
from modelwatch.service.schemas import BaselineJobSpec, BaselineJobView, JobStatus, MonitoringType, Page

__all__ = [
    "claim_baseline_job",
    "describe_baseline_job",
    "finish_baseline_job",
    "get_baseline_job",
    "list_baseline_jobs",
    "start_baseline_job",
]

KIND = "baselining job"

BASELINE_TYPES = frozenset(MonitoringType)
"""The monitoring types whose baselines this version computes."""


def _view(row: BaselineJob) -> BaselineJobView:
    return BaselineJobView.model_validate(row, from_attributes=True)


def get_baseline_job(session: Session, name: str) -> BaselineJob:
    return by_name(session, BaselineJob, name, KIND)


def start_baseline_job(session: Session, spec: BaselineJobSpec) -> BaselineJobView:
    """Record a baselining job; a runner starts it within one scheduler tick."""
    if spec.monitoring_type not in BASELINE_TYPES:
        raise ValidationError(
            f"{spec.monitoring_type.value} baselines are not available in this version",
            field="monitoring_type",
        )
    if spec.parameters is not None and spec.parameters.config_uri is not None:
        check_uri(spec.parameters.config_uri, "parameters.config_uri")
    ensure_new_name(session, BaselineJob, spec.name, KIND)
    row = BaselineJob(
        name=spec.name,
        monitoring_type=spec.monitoring_type.value,
        dataset_uri=spec.dataset_uri,
        dataset_format=spec.dataset_format.model_dump(by_alias=True, exclude_none=True)
        if spec.dataset_format
        else None,
        parameters=spec.parameters.model_dump(exclude_none=True) if spec.parameters else None,
        output_uri=spec.output_uri or baseline_uri(spec.name),
        status=JobStatus.IN_PROGRESS.value,
    )
    session.add(row)
    session.flush()
    return _view(row)


def describe_baseline_job(session: Session, name: str) -> BaselineJobView:
    return _view(get_baseline_job(session, name))


def list_baseline_jobs(
    session: Session, *, status: JobStatus | None = None, max_results: int = 10, next_token: str | None = None
) -> Page[BaselineJobView]:
    query = sa.select(BaselineJob).order_by(BaselineJob.created_at.desc(), BaselineJob.id.desc())
    if status:
        query = query.where(BaselineJob.status == JobStatus(status).value)
    rows, token = page(session, query, max_results, next_token)
    return Page[BaselineJobView](items=[_view(r) for r in rows], next_token=token)


def claim_baseline_job(session: Session, name: str, worker: str) -> bool:
    result = session.execute(
        sa.update(BaselineJob)
        .where(BaselineJob.name == name, BaselineJob.claimed_by.is_(None))
        .values(claimed_by=worker, started_at=utcnow())
    )
    return result.rowcount == 1


def finish_baseline_job(
    session: Session,
    name: str,
    status: JobStatus,
    *,
    failure_reason: str | None = None,
    statistics_uri: str | None = None,
    constraints_uri: str | None = None,
    log_uri: str | None = None,
) -> None:
    session.execute(
        sa.update(BaselineJob)
        .where(BaselineJob.name == name)
        .values(
            status=status.value,
            failure_reason=failure_reason[:1024] if failure_reason else None,
            statistics_uri=statistics_uri,
            constraints_uri=constraints_uri,
            log_uri=log_uri,
            ended_at=utcnow(),
        )
    )
