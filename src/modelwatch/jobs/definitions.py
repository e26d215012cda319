"""The job definition: what a monitoring execution or a baselining job does, in pydantic models.

A leaf module (pydantic and the standard library only): the service validates and stores these models,
the job process (:mod:`modelwatch.jobs.process`) reads them back from ``job.json``, and
:mod:`modelwatch.service.schemas` re-exports them as part of the API's vocabulary. Every default of a
definition is declared here, once.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DEFAULT_MAX_RUNTIME_SECONDS",
    "MAX_RUNTIME_SECONDS",
    "NAME_PATTERN",
    "BaselineCsvFormat",
    "BaselineDatasetFormatSpec",
    "BaselineParameters",
    "BatchTransformInput",
    "BiasDriftSettings",
    "ContainerSpec",
    "DatasetFormatSpec",
    "EndpointInput",
    "FrozenModel",
    "InputCommon",
    "JobDefinition",
    "MonitoringType",
    "Name",
    "Offset",
    "ProblemTypeName",
    "ProcessingChannel",
    "ProcessingContainerJob",
    "Uri",
]

NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
"""SageMaker's rule for endpoint, schedule, job definition and job names (1–63 characters)."""

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
    # modelwatch's own (SageMaker has none): built-in monitors of unstructured records (docs/unstructured.md)
    TEXT_QUALITY = "TextQuality"
    IMAGE_QUALITY = "ImageQuality"
    EMBEDDING_DRIFT = "EmbeddingDrift"


ProblemTypeName = Literal["BinaryClassification", "MulticlassClassification", "Regression"]


DEFAULT_MAX_RUNTIME_SECONDS = 3600
"""How long an execution may run when its definition gives no ``max_runtime_seconds`` (one hour)."""

MAX_RUNTIME_SECONDS = 86_400
"""The longest ``max_runtime_seconds`` (SageMaker's limit), also the limit of a baselining job."""


class FrozenModel(BaseModel):
    """A model that forbids unknown fields and cannot be changed once made."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetFormatSpec(FrozenModel):
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


class BaselineCsvFormat(FrozenModel):
    """SageMaker's ``DatasetFormat.csv`` of a baseline dataset."""

    header: bool | None = None
    output_columns_position: Literal["START", "END"] | None = Field(
        default=None,
        description="DataQuality: where the model's output (label) column is; START (default) or END. "
        "The baseline is written in capture order (outputs first).",
    )


class BaselineDatasetFormatSpec(DatasetFormatSpec):
    """A baseline dataset's format: :class:`DatasetFormatSpec` with ``csv.output_columns_position``."""

    csv: BaselineCsvFormat | None = None  # type: ignore[assignment]  # narrows the parent's csv field

    @property
    def header(self) -> bool:
        return bool(self.csv and self.csv.header)


class InputCommon(FrozenModel):
    start_time_offset: Offset | None = None
    end_time_offset: Offset | None = None
    features_attribute: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold_attribute: float | None = None
    exclude_features_attribute: str | None = Field(default=None, max_length=100)


class EndpointInput(InputCommon):
    """Monitor what an endpoint's capture recorded (``sagemakerCaptureJson``)."""

    endpoint_name: Name
    variant_name: Name | None = Field(default=None, description="A variant; default: every variant.")


class BatchTransformInput(InputCommon):
    """Monitor a batch transform job's captured data."""

    data_captured_destination_uri: Uri
    dataset_format: DatasetFormatSpec


class BiasDriftSettings(FrozenModel):
    """ModelBias: when a metric has drifted (docs/bias.md). A metric drifts when it is farther from its
    no-bias value than the baseline's by more than ``tolerance``; on windows of ``bootstrap_min_rows``
    or more, only when the bootstrap interval at ``confidence`` lies outside the allowed range too."""

    tolerance: float = Field(default=0.0, ge=0)
    confidence: float = Field(default=0.99, gt=0, lt=1)
    bootstrap_min_rows: int = Field(default=1000, ge=1)
    resamples: int = Field(default=300, ge=2, le=10_000)
    metrics: list[str] | None = Field(default=None, description="Only these metrics (default: all).")


ContainerRuntimeName = Literal["process", "docker", "podman", "auto"]
CommandPart = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\x00]+$")]
"""An item of a container's entrypoint or arguments (a command line cannot hold a NUL)."""


class ContainerSpec(FrozenModel):
    """A custom monitoring container (SageMaker's ``MonitoringAppSpecification`` with an image of one's
    own), run under the container contract by :mod:`modelwatch.jobs.custom` (docs/custom-monitors.md)."""

    image_uri: str = Field(
        min_length=1,
        max_length=255,
        pattern=r"^[^\x00-\x1f]+$",
        description="The image; ``process:package.module`` runs ``python -m package.module`` locally.",
    )
    entrypoint: list[CommandPart] | None = Field(
        default=None, min_length=1, max_length=100, description="Replaces the image's."
    )
    arguments: list[CommandPart] | None = Field(default=None, min_length=1, max_length=256)
    runtime: ContainerRuntimeName | None = Field(
        default=None, description="process, docker, podman or auto; default: the server's setting."
    )
    network_enabled: bool = Field(default=False, description="docker/podman: network off unless True.")
    instance_type: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[^\x00-\x1f]+$",
        description="docker/podman: --cpus and --memory from this type.",
    )


class JobDefinition(FrozenModel):
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
        le=MAX_RUNTIME_SECONDS,
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
    container: ContainerSpec | None = Field(
        default=None, description="A custom monitoring container instead of the built-in monitor."
    )
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
    def max_runtime(self) -> int:
        """``max_runtime_seconds``, or :data:`DEFAULT_MAX_RUNTIME_SECONDS` when it is not given."""
        return DEFAULT_MAX_RUNTIME_SECONDS if self.max_runtime_seconds is None else self.max_runtime_seconds

    @property
    def variant_name(self) -> str | None:
        """The one variant an endpoint input reads (None: every variant, or a batch transform input)."""
        return self.endpoint_input.variant_name if self.endpoint_input else None

    @property
    def input(self) -> EndpointInput | BatchTransformInput:
        source = self.endpoint_input or self.batch_transform_input
        assert source is not None
        return source


class ProcessingChannel(FrozenModel):
    """A processing job's input or output: a folder of the container and the URI it stands for."""

    local_path: str = Field(min_length=1, max_length=256, pattern=r"^/opt/ml/processing/.+")
    uri: Uri


class ProcessingContainerJob(FrozenModel):
    """A processing job (``CreateProcessingJob``) of a custom container: each input's files are placed
    at its local path before the run, each output's files copied to its URI after."""

    container: ContainerSpec
    environment: dict[str, Annotated[str, Field(max_length=256)]] = Field(default_factory=dict, max_length=50)
    inputs: list[ProcessingChannel] = Field(default_factory=list, max_length=10)
    outputs: list[ProcessingChannel] = Field(default_factory=list, max_length=10)


class BaselineParameters(FrozenModel):
    """What a model-quality, bias or explainability baseline needs besides the dataset."""

    problem_type: ProblemTypeName | None = Field(default=None, description="ModelQuality.")
    inference_attribute: str | None = Field(default=None, max_length=256)
    probability_attribute: str | None = Field(default=None, max_length=256)
    probability_threshold_attribute: float | None = None
    ground_truth_attribute: str | None = Field(default=None, max_length=256)
    config_uri: Uri | None = Field(
        default=None, description="ModelBias/ModelExplainability: Clarify's analysis configuration JSON."
    )
    processing: ProcessingContainerJob | None = Field(
        default=None, description="A custom container's processing job instead of a built-in baseline."
    )
