"""The typed shapes of the service layer: what callers send (``*Spec``) and what they get back (``*View``).

These pydantic models are the one vocabulary of the REST API, the CLI and the SDK. Names and rules
follow SageMaker's API (spec section 6): names 1–63 characters of ``[a-zA-Z0-9](-*[a-zA-Z0-9])*``,
``MonitoringType`` and status enum values spelled as SageMaker spells them. Every field error names the
field, as the API reports it. The job definition's models live in the leaf module
:mod:`modelwatch.jobs.definitions` (the job process reads them too) and are re-exported here.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, field_validator, model_validator

from modelwatch.jobs.definitions import (
    NAME_PATTERN,
    BaselineCsvFormat,
    BaselineDatasetFormatSpec,
    BaselineParameters,
    BatchTransformInput,
    BiasDriftSettings,
    DatasetFormatSpec,
    EndpointInput,
    FrozenModel,
    JobDefinition,
    MonitoringType,
    Name,
    Offset,
    Uri,
)

__all__ = [
    "NAME_PATTERN",
    "BaselineCsvFormat",
    "BaselineDatasetFormatSpec",
    "BaselineJobSpec",
    "BaselineJobView",
    "BaselineParameters",
    "BatchTransformInput",
    "BiasDriftSettings",
    "DatasetFormatSpec",
    "EndpointInput",
    "EndpointSpec",
    "EndpointView",
    "ExecutionStatus",
    "ExecutionView",
    "GroundTruthUploadView",
    "JobDefinition",
    "JobDefinitionSpec",
    "JobDefinitionView",
    "JobStatus",
    "MetricPoint",
    "MonitoringType",
    "Page",
    "ScheduleSpec",
    "ScheduleStatus",
    "ScheduleUpdate",
    "ScheduleView",
]

_NAME = re.compile(NAME_PATTERN)
T = TypeVar("T")


class ScheduleStatus(StrEnum):
    PENDING = "Pending"
    SCHEDULED = "Scheduled"
    STOPPED = "Stopped"
    FAILED = "Failed"


class ExecutionStatus(StrEnum):
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def finished(self) -> bool:
        return self in _FINISHED


_FINISHED = frozenset(
    {
        ExecutionStatus.COMPLETED,
        ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
        ExecutionStatus.FAILED,
        ExecutionStatus.STOPPED,
    }
)


class JobStatus(StrEnum):
    """Status of a baselining job (SageMaker's processing job statuses)."""

    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


class EndpointSpec(FrozenModel):
    name: Name
    variants: list[Name] = Field(
        default_factory=lambda: ["AllTraffic"],
        min_length=1,
        max_length=10,
        description="The production variants' names, each once (a variant's capture is read once).",
    )
    data_capture_config: dict[str, Any] | None = Field(
        default=None, description="SageMaker's DataCaptureConfig (EnableCapture, DestinationS3Uri, ...)."
    )

    @field_validator("variants")
    @classmethod
    def _distinct_variants(cls, variants: list[str]) -> list[str]:
        repeated = sorted({name for name in variants if variants.count(name) > 1})
        if repeated:
            raise ValueError(
                f"each variant may be named once; {', '.join(map(repr, repeated))} is repeated "
                "(its captured records would be counted once per repetition)"
            )
        return variants


class EndpointView(FrozenModel):
    name: str
    variants: list[str]
    data_capture_config: dict[str, Any] | None
    capture_uri: str
    status: str
    created_at: datetime
    updated_at: datetime


class BaselineJobSpec(FrozenModel):
    name: Name
    monitoring_type: MonitoringType = MonitoringType.DATA_QUALITY
    dataset_uri: Uri
    dataset_format: BaselineDatasetFormatSpec | None = None
    output_uri: Uri | None = Field(default=None, description="Default {storage}/baselines/{name}.")
    parameters: BaselineParameters | None = None


class BaselineJobView(FrozenModel):
    name: str
    monitoring_type: MonitoringType
    dataset_uri: str
    dataset_format: dict[str, Any] | None
    parameters: dict[str, Any] | None = None
    output_uri: str
    status: JobStatus
    failure_reason: str | None
    statistics_uri: str | None
    constraints_uri: str | None
    log_uri: str | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


class JobDefinitionSpec(FrozenModel):
    """A named job definition that several schedules can use (SageMaker's ``Create*JobDefinition``)."""

    name: Name
    monitoring_type: MonitoringType = MonitoringType.DATA_QUALITY
    definition: JobDefinition


class JobDefinitionView(FrozenModel):
    name: str
    monitoring_type: MonitoringType
    definition: JobDefinition
    endpoint_name: str | None
    created_at: datetime


class ScheduleSpec(FrozenModel):
    """A schedule: its expression plus either an inline ``definition`` or a ``job_definition_name``."""

    name: Name
    monitoring_type: MonitoringType = MonitoringType.DATA_QUALITY
    schedule_expression: str = Field(min_length=1, max_length=256)
    data_analysis_start_time: Offset | None = None
    data_analysis_end_time: Offset | None = None
    definition: JobDefinition | None = None
    job_definition_name: Name | None = None

    @model_validator(mode="after")
    def _one_definition(self) -> ScheduleSpec:
        if (self.definition is None) == (self.job_definition_name is None):
            raise ValueError("give exactly one of definition, job_definition_name")
        return self


class ScheduleUpdate(FrozenModel):
    schedule_expression: str | None = Field(default=None, min_length=1, max_length=256)
    data_analysis_start_time: Offset | None = None
    data_analysis_end_time: Offset | None = None
    definition: JobDefinition | None = None


class ScheduleView(FrozenModel):
    name: str
    monitoring_type: MonitoringType
    schedule_expression: str
    data_analysis_start_time: str | None
    data_analysis_end_time: str | None
    definition: JobDefinition
    job_definition_name: str | None = None
    endpoint_name: str | None
    status: ScheduleStatus
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime
    last_execution_status: ExecutionStatus | None = None


class ExecutionView(FrozenModel):
    id: int
    schedule_name: str
    endpoint_name: str | None
    monitoring_type: MonitoringType
    scheduled_time: datetime
    window_start: datetime
    window_end: datetime
    status: ExecutionStatus
    failure_reason: str | None
    exit_message: str | None
    output_uri: str
    log_uri: str | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    violation_count: int | None
    record_count: int | None


class GroundTruthUploadView(FrozenModel):
    """Where an upload of labels was stored."""

    endpoint_name: str
    uri: str
    records: int
    collected_at: datetime


class MetricPoint(FrozenModel):
    name: str
    timestamp: datetime
    value: float
    schedule_name: str
    endpoint_name: str | None
    execution_id: int


class Page(BaseModel, Generic[T]):
    """One page of a listing; pass ``next_token`` back for the next page (None: no more)."""

    items: list[T]
    next_token: str | None = None


def is_valid_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name))
