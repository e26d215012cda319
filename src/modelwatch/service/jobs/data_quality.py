"""The DataQuality job: profile the window (or the baseline dataset) and check it against the baseline."""

from __future__ import annotations

import logging
from pathlib import Path

from modelwatch.monitors.data_quality import (
    check_batches,
    data_quality_metrics,
    read_baseline,
    suggest_baseline,
)
from modelwatch.scripts import load_preprocessor, run_postprocessor
from modelwatch.service.jobs import JobOutcome, completion_message
from modelwatch.service.jobs.inputs import (
    InputCounts,
    batch_transform_batches,
    endpoint_batches,
    format_of,
    local_script,
)
from modelwatch.service.jobspec import JobSpec

__all__ = ["run_baseline", "run_monitoring"]


def run_monitoring(job: JobSpec, work: Path) -> JobOutcome:
    definition = job.definition
    preprocess = None
    if definition.get("record_preprocessor_script"):
        preprocess = load_preprocessor(local_script(definition["record_preprocessor_script"], work))
    baseline = None
    if definition.get("baseline_statistics_uri") and definition.get("baseline_constraints_uri"):
        baseline = read_baseline(
            definition["baseline_statistics_uri"], definition["baseline_constraints_uri"]
        )
    counts = InputCounts()
    factory = endpoint_batches if job.endpoint_name else batch_transform_batches
    batches = factory(job, preprocess, counts)
    result = check_batches(
        batches,
        job.output_uri,
        baseline=baseline,
        source=f"the window [{job.window_start}, {job.window_end})",
    )
    if definition.get("post_analytics_processor_script"):
        run_postprocessor(
            local_script(definition["post_analytics_processor_script"], work),
            logging.getLogger("modelwatch.script"),
        )
    violations = len(result.violations.violations)
    return JobOutcome(
        completion_message(violations),
        {**counts.counts, "records": result.run.rows, "violations": violations},
        data_quality_metrics(result),
    )


def run_baseline(job: JobSpec) -> JobOutcome:
    assert job.dataset_uri is not None
    format, header = format_of(job.dataset_format)
    result = suggest_baseline(job.dataset_uri, job.output_uri, format=format, header=header)
    counts = {
        "records": result.run.rows,
        "statistics_uri": result.statistics_uri,
        "constraints_uri": result.constraints_uri,
    }
    return JobOutcome("Completed: Job completed successfully.", counts)
