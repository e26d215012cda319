"""The contract between the runner and a job process: ``job.json`` in, result files out.

Kept apart from :mod:`modelwatch.service.job` so that the service does not import the analysis engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FAILURE_FILE",
    "JOB_FILE",
    "LOG_FILE",
    "MESSAGE_FILE",
    "METRICS_FILE",
    "NO_DATA",
    "RESULT_FILE",
    "JobSpec",
]

JOB_FILE = "job.json"  # the JobSpec, written by the runner
MESSAGE_FILE = "message"  # "Completed: ..." or "CompletedWithViolations: ..." (exit code 0)
FAILURE_FILE = "failure"  # the reason of a failed job (exit code 1)
RESULT_FILE = "result.json"  # counts: records, violations, ...
LOG_FILE = "execution.log"  # the job's stdout and stderr
METRICS_FILE = "cloudwatch_metrics.jsonl"  # PutMetricData-shaped lines
NO_DATA = "Job inputs had no data"  # SageMaker's failure reason for an empty window


@dataclass(frozen=True)
class JobSpec:
    """Everything a job needs; written by the runner as ``job.json`` (no database access in the job)."""

    kind: str  # "monitoring" | "baseline"
    name: str  # schedule name, or baselining job name
    output_uri: str
    monitoring_type: str = "DataQuality"
    definition: dict[str, Any] = field(default_factory=dict)
    execution_id: int | None = None
    endpoint_name: str | None = None
    variants: list[str] = field(default_factory=list)
    capture_uri: str | None = None
    window_start: str | None = None  # YYYY-MM-DDTHH:MM:SSZ
    window_end: str | None = None
    scheduled_time: str | None = None  # labels collected up to this time are merged (ModelQuality, ModelBias)
    ground_truth_uri: str | None = None  # the labels' prefix (yyyy/mm/dd/HH below it)
    merge_uri: str | None = None  # where merged records go: {schedule output}/merge
    dataset_uri: str | None = None  # baseline jobs
    dataset_format: dict[str, Any] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)  # baseline jobs: BaselineParameters
