"""The typed shapes of the service layer: what callers send (``*Spec``) and what they get back (``*View``).

These pydantic models are the one vocabulary of the REST API, the CLI and the SDK. Names and rules
follow SageMaker's API (spec section 6): names 1–63 characters of ``[a-zA-Z0-9](-*[a-zA-Z0-9])*``,
``MonitoringType`` and status enum values spelled as SageMaker spells them. Every field error names the
field, as the API reports it.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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

NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
"""SageMaker's rule for endpoint, schedule, job definition and job names (1–63 characters)."""

_NAME = re.compile(NAME_PATTERN)
T = TypeVar("T")

Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=63,
        pattern=NAME_PATTERN,
        description="1–63 letters, digits and hyphens; starts and ends with a letter or digit.",
    ),
]
Uri = Annotated[str, Field(min_length=1, max_length=1024, description="A local path or s3:// URI.")]
Offset = Annotated[
    str,
    Field(min_length=1, max_length=15, pattern=r"^.?P.*$", description="ISO-8601 duration, e.g. -PT1H."),
]


class MonitoringType(StrEnum):
    DATA_QUALITY = "DataQuality"
    MODEL_QUALITY = "ModelQuality"
    MODEL_BIAS = "ModelBias"
    MODEL_EXPLAINABILITY = "ModelExplainability"


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


ProblemTypeName = Literal["BinaryClassification", "MulticlassClassification", "Regression"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetFormatSpec(_Model):
    """SageMaker's ``DatasetFormat``: exactly one of ``csv``, ``json``, ``parquet``."""

    csv: dict[Literal["header"], bool] | None = None
    json_: dict[Literal["line"], bool] | None = Field(default=None, alias="json")
    parquet: dict[str, Any] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _exactly_one(self) -> DatasetFormatSpec:
        given = [name for name in ("csv", "json_", "parquet") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of csv, json, parquet")
        return self

    @property
    def format(self) -> str:
        return "csv" if self.csv is not None else "json" if self.json_ is not None else "parquet"

    @property
    def header(self) -> bool:
        return bool((self.csv or {}).get("header", False))


class BaselineCsvFormat(_Model):
    """SageMaker's ``DatasetFormat.csv`` of a baseline dataset."""

    header: bool | None = None
    output_columns_position: Literal["START", "END"] | None = Field(
        default=None,
        description="DataQuality: where the model's output (label) column is; START (default) or END. "
        "The baseline is written in capture order (outputs first).",
    )


class BaselineDatasetFormatSpec(DatasetFormatSpec):
    """A baseline dataset's format: :class:`DatasetFormatSpec` with ``csv.output_columns_position``."""

    csv: BaselineCsvFormat | None = None  # type: ignore[assignment]

    @property
    def header(self) -> bool:
        return bool(self.csv and self.csv.header)


class _InputCommon(_Model):
    start_time_offset: Offset | None = None
    end_time_offset: Offset | None = None
    features_attribute: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold_attribute: float | None = None
    exclude_features_attribute: str | None = Field(default=None, max_length=100)


class EndpointInput(_InputCommon):
    """Monitor what an endpoint's capture recorded (``sagemakerCaptureJson``)."""

    endpoint_name: Name
    variant_name: Name | None = Field(default=None, description="A variant; default: every variant.")


class BatchTransformInput(_InputCommon):
    """Monitor a batch transform job's captured data."""

    data_captured_destination_uri: Uri
    dataset_format: DatasetFormatSpec


class BiasDriftSettings(_Model):
    """ModelBias: when a metric has drifted (docs/bias.md). A metric drifts when it is farther from its
    no-bias value than the baseline's by more than ``tolerance``; on windows of ``bootstrap_min_rows``
    or more, only when the bootstrap interval at ``confidence`` lies outside the allowed range too."""

    tolerance: float = Field(default=0.0, ge=0)
    confidence: float = Field(default=0.99, gt=0, lt=1)
    bootstrap_min_rows: int = Field(default=1000, ge=1)
    resamples: int = Field(default=300, ge=2, le=10_000)
    metrics: list[str] | None = Field(default=None, description="Only these metrics (default: all).")


class JobDefinition(_Model):
    """What an execution does: SageMaker's monitoring job definition, flattened."""

    endpoint_input: EndpointInput | None = None
    batch_transform_input: BatchTransformInput | None = None
    baseline_statistics_uri: Uri | None = None
    baseline_constraints_uri: Uri | None = None
    record_preprocessor_script: Uri | None = None
    post_analytics_processor_script: Uri | None = None
    environment: dict[str, Annotated[str, Field(max_length=256)]] = Field(default_factory=dict, max_length=50)
    output_uri: Uri | None = Field(
        default=None, description="Where results go; default {storage}/monitoring/{endpoint}/{schedule}."
    )
    max_runtime_seconds: int | None = Field(
        default=None,
        ge=1,
        le=86_400,
        description="Stop an execution after this long; default: one hour, or less on shorter schedules.",
    )
    problem_type: ProblemTypeName | None = Field(default=None, description="ModelQuality: the problem type.")
    ground_truth_uri: Uri | None = Field(
        default=None,
        description="ModelQuality/ModelBias: where labels are (yyyy/mm/dd/HH below it); "
        "default {storage}/ground-truth/{endpoint}.",
    )
    config_uri: Uri | None = Field(
        default=None, description="ModelBias/ModelExplainability: Clarify's analysis configuration JSON."
    )
    min_labelled_records: int = Field(
        default=1,
        ge=1,
        description="ModelQuality/ModelBias: fewest predictions that must have a label in the window.",
    )
    bias_drift: BiasDriftSettings | None = None
    ndcg_threshold: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="ModelExplainability: attribution drift when the ranking's nDCG is below this.",
    )
    too_few_labels: Literal["Fail", "Complete"] = Field(
        default="Fail",
        description="With fewer labelled predictions: fail the execution, or complete it without metrics.",
    )

    @model_validator(mode="after")
    def _one_input(self) -> JobDefinition:
        if (self.endpoint_input is None) == (self.batch_transform_input is None):
            raise ValueError("give exactly one of endpoint_input, batch_transform_input")
        return self

    @field_validator("environment")
    @classmethod
    def _environment_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]{0,255}", key):
                raise ValueError(f"environment key {key!r} must match [a-zA-Z_][a-zA-Z0-9_]* (≤256)")
        return value

    @property
    def endpoint_name(self) -> str | None:
        return self.endpoint_input.endpoint_name if self.endpoint_input else None

    @property
    def input(self) -> EndpointInput | BatchTransformInput:
        source = self.endpoint_input or self.batch_transform_input
        assert source is not None
        return source


class EndpointSpec(_Model):
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


class EndpointView(_Model):
    name: str
    variants: list[str]
    data_capture_config: dict[str, Any] | None
    capture_uri: str
    status: str
    created_at: datetime
    updated_at: datetime


class BaselineParameters(_Model):
    """What a model-quality, bias or explainability baseline needs besides the dataset."""

    problem_type: ProblemTypeName | None = Field(default=None, description="ModelQuality.")
    inference_attribute: str | None = Field(default=None, max_length=256)
    probability_attribute: str | None = Field(default=None, max_length=256)
    probability_threshold_attribute: float | None = None
    ground_truth_attribute: str | None = Field(default=None, max_length=256)
    config_uri: Uri | None = Field(
        default=None, description="ModelBias/ModelExplainability: Clarify's analysis configuration JSON."
    )


class BaselineJobSpec(_Model):
    name: Name
    monitoring_type: MonitoringType = MonitoringType.DATA_QUALITY
    dataset_uri: Uri
    dataset_format: BaselineDatasetFormatSpec | None = None
    output_uri: Uri | None = Field(default=None, description="Default {storage}/baselines/{name}.")
    parameters: BaselineParameters | None = None


class BaselineJobView(_Model):
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


class JobDefinitionSpec(_Model):
    """A named job definition that several schedules can use (SageMaker's ``Create*JobDefinition``)."""

    name: Name
    monitoring_type: MonitoringType = MonitoringType.DATA_QUALITY
    definition: JobDefinition


class JobDefinitionView(_Model):
    name: str
    monitoring_type: MonitoringType
    definition: JobDefinition
    endpoint_name: str | None
    created_at: datetime


class ScheduleSpec(_Model):
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


class ScheduleUpdate(_Model):
    schedule_expression: str | None = Field(default=None, min_length=1, max_length=256)
    data_analysis_start_time: Offset | None = None
    data_analysis_end_time: Offset | None = None
    definition: JobDefinition | None = None


class ScheduleView(_Model):
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


class ExecutionView(_Model):
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


class GroundTruthUploadView(_Model):
    """Where an upload of labels was stored."""

    endpoint_name: str
    uri: str
    records: int
    collected_at: datetime


class MetricPoint(_Model):
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
