"""Which module runs the jobs of each monitoring type: one table, imported lazily.

A job module has ``run_monitoring(job, work)`` and ``run_baseline(job)`` (:class:`JobModule`). Adding a
kind of job is one new module plus its line in :data:`JOB_MODULES` (and its ``MonitoringType``); the job
process (:mod:`modelwatch.jobs.process`) imports only the module of the job it runs.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol, cast

from modelwatch.errors import ModelwatchError
from modelwatch.jobs import JobOutcome
from modelwatch.jobs.definitions import MonitoringType
from modelwatch.jobs.spec import JobSpec

__all__ = ["CUSTOM_MODULE", "JOB_MODULES", "JobModule", "job_module", "module_of"]


class JobModule(Protocol):
    """What the job process calls in the module of a monitoring type."""

    def run_monitoring(self, job: JobSpec, work: Path) -> JobOutcome: ...

    def run_baseline(self, job: JobSpec) -> JobOutcome: ...


JOB_MODULES: dict[MonitoringType, str] = {
    MonitoringType.DATA_QUALITY: "modelwatch.jobs.data_quality",
    MonitoringType.MODEL_QUALITY: "modelwatch.jobs.model_quality",
    MonitoringType.MODEL_BIAS: "modelwatch.jobs.model_bias",
    MonitoringType.MODEL_EXPLAINABILITY: "modelwatch.jobs.model_explainability",
    MonitoringType.TEXT_QUALITY: "modelwatch.jobs.unstructured",
    MonitoringType.IMAGE_QUALITY: "modelwatch.jobs.unstructured",
    MonitoringType.EMBEDDING_DRIFT: "modelwatch.jobs.unstructured",
}
"""The job module of each monitoring type."""

CUSTOM_MODULE = "modelwatch.jobs.custom"
"""The job module of a definition with a custom container, whatever its monitoring type."""


def job_module(monitoring_type: MonitoringType) -> JobModule:
    """The module that runs ``monitoring_type`` jobs (imported on first use)."""
    name = JOB_MODULES.get(monitoring_type)
    if name is None:
        raise ModelwatchError(f"{monitoring_type} jobs are not available in this version")
    return cast(JobModule, importlib.import_module(name))


def module_of(job: JobSpec) -> JobModule:
    """The module that runs ``job``: the custom container's when its definition (or its processing job)
    has one, else its type's."""
    if (job.definition is not None and job.definition.container is not None) or job.parameters.processing:
        return cast(JobModule, importlib.import_module(CUSTOM_MODULE))
    return job_module(job.monitoring_type)
