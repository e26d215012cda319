"""The DataQuality job: profile the window (or the baseline dataset) and check it against the baseline.

A baseline's ``dataset_format.csv.output_columns_position`` (``START``, the default, or ``END``) says
where the model's output column is; the baseline is written in capture order (outputs first). When
nearly every feature of a window fails on type or drift, the execution's message and log say that the
baseline's column order probably does not match the capture's.
"""

from __future__ import annotations

import logging
from pathlib import Path

from modelwatch.jobs import JobOutcome, completion_message
from modelwatch.jobs.definitions import BaselineDatasetFormatSpec
from modelwatch.jobs.inputs import (
    InputCounts,
    batch_transform_batches,
    endpoint_batches,
    format_of,
    local_script,
)
from modelwatch.jobs.spec import JobSpec
from modelwatch.monitors.data_quality import (
    OutputColumnsPosition,
    check_batches,
    data_quality_metrics,
    read_baseline,
    suggest_baseline,
)
from modelwatch.scripts import load_preprocessor, run_postprocessor

__all__ = ["run_baseline", "run_monitoring"]


def run_monitoring(job: JobSpec, work: Path) -> JobOutcome:
    definition = job.monitor
    preprocess = None
    if definition.record_preprocessor_script:
        preprocess = load_preprocessor(local_script(definition.record_preprocessor_script, work))
    baseline = None
    if definition.baseline_statistics_uri and definition.baseline_constraints_uri:
        baseline = read_baseline(definition.baseline_statistics_uri, definition.baseline_constraints_uri)
    counts = InputCounts()
    factory = endpoint_batches if job.endpoint_name else batch_transform_batches
    batches = factory(job, preprocess, counts)
    result = check_batches(
        batches,
        job.output_uri,
        baseline=baseline,
        source=f"the window [{job.window_start}, {job.window_end})",
    )
    if definition.post_analytics_processor_script:
        run_postprocessor(
            local_script(definition.post_analytics_processor_script, work),
            logging.getLogger("modelwatch.script"),
        )
    violations = len(result.violations.violations)
    message = completion_message(violations)
    if result.column_order_hint:
        message = f"{message} {result.column_order_hint}"
    return JobOutcome(
        message,
        {**counts.counts, "records": result.run.rows, "violations": violations},
        data_quality_metrics(result),
    )


def run_baseline(job: JobSpec) -> JobOutcome:
    assert job.dataset_uri is not None
    format, header = format_of(job.dataset_format)
    result = suggest_baseline(
        job.dataset_uri,
        job.output_uri,
        format=format,
        header=header,
        output_columns_position=_output_columns_position(job.dataset_format),
    )
    counts = {
        "records": result.run.rows,
        "statistics_uri": result.statistics_uri,
        "constraints_uri": result.constraints_uri,
    }
    return JobOutcome("Completed: Job completed successfully.", counts)


def _output_columns_position(dataset_format: BaselineDatasetFormatSpec | None) -> OutputColumnsPosition:
    """SageMaker's ``dataset_format.csv.output_columns_position`` (default ``START``; the model admits
    only ``START`` and ``END``)."""
    csv = dataset_format.csv if dataset_format else None
    value = csv.output_columns_position if csv else None
    return OutputColumnsPosition.START if value is None else OutputColumnsPosition(value)
