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

import logging
from pathlib import Path

import pyarrow as pa

from modelwatch.io.payload_fields import extract_field
from modelwatch.monitors.model_quality import (
    ProblemType,
    QualityAttributes,
    quality_metrics,
    quality_statistics,
    read_quality_constraints,
    run_quality_check,
    suggest_quality_baseline,
)
from modelwatch.scripts import run_postprocessor
from modelwatch.service.jobs import JobOutcome, completion_message
from modelwatch.service.jobs.inputs import format_of, local_script
from modelwatch.service.jobs.labels import labelled_window
from modelwatch.service.jobspec import JobSpec

__all__ = ["run_baseline", "run_monitoring"]

log = logging.getLogger("modelwatch.job")


def run_monitoring(job: JobSpec, work: Path) -> JobOutcome:
    definition = job.definition
    source = definition.get("endpoint_input") or definition["batch_transform_input"]
    merged, counts, early = labelled_window(job)
    if early is not None:
        return early
    table = merged.table
    ids = table.column("event_id")
    problem_type = ProblemType(definition["problem_type"])

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
        predictions=field(source.get("inference_attribute")),
        probabilities=field(source.get("probability_attribute")),
        threshold=source.get("probability_threshold_attribute"),
        record_ids=ids,
    )
    constraints_uri = definition.get("baseline_constraints_uri")
    result = run_quality_check(
        statistics,
        job.output_uri,
        constraints=read_quality_constraints(constraints_uri) if constraints_uri else None,
    )
    if definition.get("post_analytics_processor_script"):
        run_postprocessor(
            local_script(definition["post_analytics_processor_script"], work),
            logging.getLogger("modelwatch.script"),
        )
    violations = len(result.violations)
    return JobOutcome(
        completion_message(violations),
        {**counts, "violations": violations},
        [{"MetricName": name, "Value": value} for name, value in quality_metrics(statistics)],
    )


def run_baseline(job: JobSpec) -> JobOutcome:
    assert job.dataset_uri is not None
    format, header = format_of(job.dataset_format)
    parameters = job.parameters
    result = suggest_quality_baseline(
        job.dataset_uri,
        job.output_uri,
        problem_type=ProblemType(parameters["problem_type"]),
        attributes=QualityAttributes(
            inference_attribute=parameters.get("inference_attribute"),
            probability_attribute=parameters.get("probability_attribute"),
            probability_threshold_attribute=parameters.get("probability_threshold_attribute"),
            ground_truth_attribute=parameters.get("ground_truth_attribute"),
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
