"""The ModelQuality job: merge the window's predictions with their labels, compute the quality metrics,
check them against the baseline constraints (SageMaker's two processing jobs, spec 2.2, in one process).

Monitoring reads the predicted label and probability from each capture record's ``endpointOutput``
(``inference_attribute`` / ``probability_attribute``: a CSV column index or a JSONPath, spec 5.1) and
the label from ``groundTruthData``. With fewer labelled predictions than ``min_labelled_records`` the
execution fails, or completes without metrics when ``too_few_labels`` is ``Complete``; either way the
message says how many predictions and labels were read and matched (``merge_summary.json`` has the
counts).

The baseline job reads a labelled prediction dataset (``ground_truth_attribute`` names the label column).
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pyarrow as pa

from modelwatch.analysis.performance_estimation import estimate_performance
from modelwatch.errors import ValidationError
from modelwatch.io.payload_fields import extract_field
from modelwatch.io.storage import join_uri, write_text
from modelwatch.jobs import JobOutcome, completion_message
from modelwatch.jobs.inputs import format_of, local_script
from modelwatch.jobs.labels import labelled_window
from modelwatch.jobs.spec import JobSpec
from modelwatch.monitors.merge import MergeResult
from modelwatch.monitors.model_quality import (
    ProblemType,
    QualityAttributes,
    quality_metrics,
    quality_statistics,
    read_calibration,
    read_quality_constraints,
    run_quality_check,
    suggest_quality_baseline,
)
from modelwatch.scripts import run_postprocessor

__all__ = ["ESTIMATE_FILE", "run_baseline", "run_monitoring"]

ESTIMATE_FILE = "performance_estimate.json"
"""Quality estimated from the scores alone (before the labels), beside the results."""

_OUTPUT = ["event_id", "output_data", "output_encoding"]

log = logging.getLogger("modelwatch.job")


def _problem_type(value: str | None, field: str) -> ProblemType:
    if value is None:
        raise ValidationError("a ModelQuality job needs it", field=field)
    return ProblemType(value)


def run_monitoring(job: JobSpec, work: Path) -> JobOutcome:
    definition = job.monitor
    source = definition.input
    merged, counts, early = labelled_window(job)
    estimates = _estimates(job, merged)
    if early is not None:
        return JobOutcome(early.message, early.counts, estimates)
    table = merged.table
    ids = table.column("event_id")
    problem_type = _problem_type(definition.problem_type, "problem_type")

    def field(attribute: str | None) -> pa.Array | None:
        if attribute is None:
            return None
        return extract_field(
            table.column("output_data"),
            table.column("output_encoding"),
            attribute,
            ids=ids,
            source="endpointOutput",
        )

    statistics = quality_statistics(
        problem_type,
        labels=table.column("ground_truth"),
        predictions=field(source.inference_attribute),
        probabilities=field(source.probability_attribute),
        threshold=source.probability_threshold_attribute,
        record_ids=ids,
    )
    constraints_uri = definition.baseline_constraints_uri
    result = run_quality_check(
        statistics,
        job.output_uri,
        constraints=read_quality_constraints(constraints_uri) if constraints_uri else None,
    )
    if definition.post_analytics_processor_script:
        run_postprocessor(
            local_script(definition.post_analytics_processor_script, work),
            logging.getLogger("modelwatch.script"),
        )
    violations = len(result.violations)
    return JobOutcome(
        completion_message(violations),
        {**counts, "violations": violations},
        [{"MetricName": name, "Value": value} for name, value in quality_metrics(statistics)] + estimates,
    )


def _estimates(job: JobSpec, merged: MergeResult) -> list[dict[str, Any]]:
    """Quality estimated from the scores of every prediction of the window, labelled or not (binary
    models with a probability and a baseline calibration): ``performance_estimate.json`` and the
    ``estimated_*`` metrics, so a drop shows before the labels arrive."""
    definition = job.monitor
    source = definition.input
    attribute, constraints = source.probability_attribute, definition.baseline_constraints_uri
    if definition.problem_type != "BinaryClassification" or not attribute or not constraints:
        return []
    calibration = read_calibration(constraints)
    if calibration is None:
        return []
    tables = [merged.table.select(_OUTPUT)] + (
        [merged.unlabelled.select(_OUTPUT)] if merged.unlabelled else []
    )
    window = pa.concat_tables(tables)
    if not window.num_rows:
        return []
    scores = extract_field(
        window.column("output_data"),
        window.column("output_encoding"),
        attribute,
        ids=window.column("event_id"),
        source="endpointOutput",
    )
    threshold = source.probability_threshold_attribute
    estimated = estimate_performance(scores, calibration, 0.5 if threshold is None else threshold)
    body = {
        "records": window.num_rows,
        "labelled": merged.counts.matched,
        "metrics": {
            name: {"value": m.value, "expected_error": m.expected_error} for name, m in estimated.items()
        },
    }
    write_text(join_uri(job.output_uri, ESTIMATE_FILE), json.dumps(body, indent=2) + "\n")
    return [{"MetricName": name, "Value": m.value} for name, m in estimated.items() if math.isfinite(m.value)]


def run_baseline(job: JobSpec) -> JobOutcome:
    assert job.dataset_uri is not None
    format, header = format_of(job.dataset_format)
    parameters = job.parameters
    result = suggest_quality_baseline(
        job.dataset_uri,
        job.output_uri,
        problem_type=_problem_type(parameters.problem_type, "parameters.problem_type"),
        attributes=QualityAttributes(
            inference_attribute=parameters.inference_attribute,
            probability_attribute=parameters.probability_attribute,
            probability_threshold_attribute=parameters.probability_threshold_attribute,
            ground_truth_attribute=parameters.ground_truth_attribute,
        ),
        dataset_format=format or "csv",
        header=header,
    )
    counts = {
        "records": result.statistics.item_count,
        "statistics_uri": result.statistics_uri,
        "constraints_uri": result.constraints_uri,
    }
    return JobOutcome("Completed: Job completed successfully.", counts)
