"""Baselining jobs: profile training data into statistics.json + suggested constraints.json.

:func:`start_baseline_job` records the job (``InProgress``); a runner picks it up and calls
:func:`run_baseline_job`, which profiles the dataset (in the runner's job subprocess) and records the
outcome. The files land in ``output_uri`` (default ``{storage}/baselines/{name}``).
A DataQuality baseline's ``dataset_format.csv.output_columns_position`` (``START``/``END``) says where
the model's output column is; the files are written in capture order (outputs first).
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ConflictError, ValidationError
from modelwatch.service.layout import baseline_uri
from modelwatch.service.lookup import by_name, check_uri, ensure_new_name
from modelwatch.service.models import BaselineJob, utcnow
from modelwatch.service.paging import page
from modelwatch.service.roots import confine_fields
from modelwatch.service.schemas import (
    BaselineJobSpec,
    BaselineJobView,
    BaselineParameters,
    JobStatus,
    MonitoringType,
    Page,
)

__all__ = [
    "claim_baseline_job",
    "delete_baseline_job",
    "describe_baseline_job",
    "finish_baseline_job",
    "get_baseline_job",
    "list_baseline_jobs",
    "start_baseline_job",
    "stop_baseline_job",
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
    confine_fields(spec)  # MODELWATCH_ALLOWED_ROOTS
    _check_parameters(spec)
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


def _check_parameters(spec: BaselineJobSpec) -> None:
    """What each monitoring type's baseline needs besides the dataset; errors name the field."""
    given = spec.parameters or BaselineParameters()
    if given.processing is not None:  # a custom container's processing job: the container checks its input
        return
    kind = spec.monitoring_type
    csv = spec.dataset_format.csv if spec.dataset_format else None
    if kind != MonitoringType.DATA_QUALITY and csv is not None and csv.output_columns_position is not None:
        raise ValidationError(
            "only DataQuality baselines are put in capture order; the other types name their columns",
            field="dataset_format.csv.output_columns_position",
        )
    if kind == MonitoringType.MODEL_QUALITY:
        for name in ("problem_type", "ground_truth_attribute"):
            if getattr(given, name) is None:
                raise ValidationError("a ModelQuality baseline needs it", field=f"parameters.{name}")
        if given.inference_attribute is None and given.probability_attribute is None:
            raise ValidationError(
                "a ModelQuality baseline needs inference_attribute or probability_attribute",
                field="parameters.inference_attribute",
            )
    elif kind in (MonitoringType.MODEL_BIAS, MonitoringType.MODEL_EXPLAINABILITY):
        if given.config_uri is None:
            raise ValidationError(f"a {kind.value} baseline needs it", field="parameters.config_uri")
        check_uri(given.config_uri, "parameters.config_uri")
    elif spec.parameters is not None:
        raise ValidationError(
            "parameters are for ModelQuality, ModelBias and ModelExplainability baselines", field="parameters"
        )


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
    # an UPDATE without RETURNING executes to a CursorResult, the Result that has rowcount
    result = cast(
        "sa.CursorResult[Any]",
        session.execute(
            sa.update(BaselineJob)
            .where(
                BaselineJob.name == name,
                BaselineJob.claimed_by.is_(None),
                BaselineJob.status == JobStatus.IN_PROGRESS.value,
            )
            .values(claimed_by=worker, started_at=utcnow())
        ),
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


def stop_baseline_job(session: Session, name: str) -> BaselineJobView:
    """Stop a baselining job: one no runner has claimed is ``Stopped`` at once, a running one goes
    ``Stopping`` (its runner ends the job process and records ``Stopped``). An ended job is left as is.
    Each step is one conditional UPDATE, so a runner claiming the job meanwhile is never overruled."""
    row = get_baseline_job(session, name)
    running = (BaselineJob.name == name, BaselineJob.status == JobStatus.IN_PROGRESS.value)
    result = cast(
        "sa.CursorResult[Any]",
        session.execute(
            sa.update(BaselineJob)
            .where(*running, BaselineJob.claimed_by.is_(None))
            .values(
                status=JobStatus.STOPPED.value,
                failure_reason="Stopped by request before it started",
                ended_at=utcnow(),
            )
        ),
    )
    if result.rowcount == 0:
        session.execute(sa.update(BaselineJob).where(*running).values(status=JobStatus.STOPPING.value))
    session.refresh(row)
    return _view(row)


def delete_baseline_job(session: Session, name: str) -> None:
    """Forget an ended baselining job (its files stay where it wrote them).

    Raises:
        NotFoundError: there is no such job.
        ConflictError: it has not ended yet (stop it first).
    """
    row = get_baseline_job(session, name)
    if row.status in (JobStatus.IN_PROGRESS.value, JobStatus.STOPPING.value):
        raise ConflictError(f"{KIND} {name!r} is {row.status}: only an ended job can be deleted")
    session.delete(row)
    session.flush()
