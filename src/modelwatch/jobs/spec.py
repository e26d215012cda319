"""The contract between the runner and a job process: ``job.json`` in, result files out.

Kept apart from :mod:`modelwatch.jobs.process` so that the service does not import the analysis engine.
The spec crosses the process boundary as JSON of its pydantic model and comes back typed: the job
reads ``job.definition.record_preprocessor_script``, never a string key with its default repeated.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from modelwatch.errors import ValidationError
from modelwatch.jobs.definitions import (
    BaselineDatasetFormatSpec,
    BaselineParameters,
    JobDefinition,
    MonitoringType,
)

__all__ = [
    "FAILURE_FILE",
    "JOB_FILE",
    "LOG_FILE",
    "MESSAGE_FILE",
    "METRICS_FILE",
    "NO_DATA",
    "RESULT_FILE",
    "JobKind",
    "JobSpec",
]

JOB_FILE = "job.json"  # the JobSpec, written by the runner
MESSAGE_FILE = "message"  # "Completed: ..." or "CompletedWithViolations: ..." (exit code 0)
FAILURE_FILE = "failure"  # the reason of a failed job (exit code 1)
RESULT_FILE = "result.json"  # counts: records, violations, ...
LOG_FILE = "execution.log"  # the job's stdout and stderr
METRICS_FILE = "cloudwatch_metrics.jsonl"  # PutMetricData-shaped lines
NO_DATA = "Job inputs had no data"  # SageMaker's failure reason for an empty window


class JobKind(StrEnum):
    MONITORING = "monitoring"  # an execution of a schedule: checks a window against the baseline
    BASELINE = "baseline"  # a baselining job: suggests statistics and constraints from a dataset


class JobSpec(BaseModel):
    """Everything a job needs; written by the runner as ``job.json`` (no database access in the job)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: JobKind
    name: str  # schedule name, or baselining job name
    output_uri: str
    monitoring_type: MonitoringType = MonitoringType.DATA_QUALITY
    definition: JobDefinition | None = None  # monitoring jobs
    execution_id: int | None = None
    endpoint_name: str | None = None
    variants: list[str] = Field(default_factory=list)
    capture_uri: str | None = None
    window_start: str | None = None  # YYYY-MM-DDTHH:MM:SSZ
    window_end: str | None = None
    scheduled_time: str | None = None  # labels collected up to this time are merged (ModelQuality, ModelBias)
    ground_truth_uri: str | None = None  # the labels' prefix (yyyy/mm/dd/HH below it)
    merge_uri: str | None = None  # where merged records go: {schedule output}/merge
    dataset_uri: str | None = None  # baseline jobs
    dataset_format: BaselineDatasetFormatSpec | None = None
    parameters: BaselineParameters = Field(default_factory=BaselineParameters)  # baseline jobs

    @property
    def monitor(self) -> JobDefinition:
        """The job definition of a monitoring job."""
        if self.definition is None:
            raise ValidationError("a monitoring job needs a job definition", field="definition")
        return self.definition

    def to_json(self) -> str:
        """``job.json``'s text."""
        return self.model_dump_json(by_alias=True)

    @classmethod
    def from_json(cls, text: str) -> JobSpec:
        return cls.model_validate_json(text)
