"""The ModelExplainability job: Kernel SHAP attributions of the window's requests, compared with the
baseline's ranking by nDCG (spec clarify.md §8–9). No labels are needed.

The features are each capture record's ``endpointInput`` (CSV columns, or the flattened JSON), named by
the analysis config's ``headers`` without the label. The model is the config's ``predictor``: an HTTP
endpoint (``endpoint_url``) or a local Python model (``model``), asked for the score at
``probability_attribute`` (else ``inference_attribute``, else the predictor's ``probability`` / ``label``).
The background is the config's ``methods.shap.baseline``, else the one the baseline job saved, so that
every window is explained against the same reference.

The baseline job explains a dataset the same way and writes ``analysis.json``.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from modelwatch.analysis.shap_config import ShapConfig
from modelwatch.errors import EmptyDatasetError, ValidationError
from modelwatch.formats import jackson
from modelwatch.io.capture import capture_files
from modelwatch.io.capture_table import CaptureTable, capture_window_batches
from modelwatch.io.storage import exists, join_uri, write_text
from modelwatch.jobs import JobOutcome, completion_message
from modelwatch.jobs.inputs import InputCounts, format_of, local_script, parse_time
from modelwatch.jobs.spec import JobSpec
from modelwatch.monitors.clarify_config import AnalysisConfig, read_analysis_config
from modelwatch.monitors.model_explainability import (
    BACKGROUND_FILE,
    ExplainabilityBaselineResult,
    attribution_metrics,
    attribution_violations_to_json,
    check_attribution_drift,
    explanations_report,
    read_analysis,
    suggest_explainability_baseline,
)
from modelwatch.monitors.predictor import PredictorConfig
from modelwatch.scripts import run_postprocessor

__all__ = ["explain_dataset", "run_baseline", "run_monitoring"]

log = logging.getLogger("modelwatch.job")

ANALYSIS_FILE = "analysis.json"
VIOLATIONS_FILE = "constraint_violations.json"


def _feature_names(config: AnalysisConfig) -> list[str] | None:
    if not config.headers:
        return None
    label = config.label
    return [h for i, h in enumerate(config.headers) if h != label and i != label]


def _shap(config: AnalysisConfig, baseline_uri: str | None) -> ShapConfig:
    shap = ShapConfig.from_json(config.shap)
    if shap.baseline is None and shap.num_clusters is None and baseline_uri:
        saved = join_uri(baseline_uri.rsplit("/", 1)[0], BACKGROUND_FILE)
        if exists(saved):
            shap = dataclasses.replace(shap, baseline=saved)
    return shap


def _window(job: JobSpec, skipped: InputCounts) -> pa.Table:
    assert job.capture_uri and job.endpoint_name
    start, end = parse_time(job.window_start), parse_time(job.window_end)
    variant = job.monitor.variant_name
    files = [
        file
        for name in ([variant] if variant else job.variants)
        for file in capture_files(job.capture_uri, job.endpoint_name, name, start, end)
    ]
    counts = CaptureTable()
    batches = list(capture_window_batches(files, start, end, indexes=("endpointInput",), counts=counts))
    skipped.add_skipped(counts)
    if not batches or not sum(b.num_rows for b in batches):
        raise EmptyDatasetError(
            f"no requests of endpoint {job.endpoint_name!r} in [{job.window_start}, {job.window_end})",
            file=join_uri(job.capture_uri, job.endpoint_name),
        )
    return pa.Table.from_batches(batches)


def _required(value: str | None, field: str) -> str:
    if value is None:
        raise ValidationError("a ModelExplainability job needs it", field=field)
    return value


def run_monitoring(job: JobSpec, work: Path) -> JobOutcome:
    definition = job.monitor
    source = definition.endpoint_input
    if not job.endpoint_name or source is None:
        batch = definition.batch_transform_input
        raise EmptyDatasetError(
            "ModelExplainability monitors endpoints only in this version",
            file=batch.data_captured_destination_uri if batch else None,
        )
    config_uri = _required(definition.config_uri, "config_uri")
    config = read_analysis_config(config_uri, kind="explainability_monitor")
    baseline_uri = definition.baseline_constraints_uri
    shap = _shap(config, baseline_uri)
    skipped = InputCounts()
    rows = _window(job, skipped)
    names = _feature_names(config)
    predictor_config = PredictorConfig.from_json(config.raw.get("predictor"))
    predictor = predictor_config.build(
        names or [f"_c{i}" for i in range(rows.num_columns)],
        probability=source.probability_attribute or source.inference_attribute,
        workers="processes",  # HTTP work off the GIL that Kernel SHAP's sampling holds
    )
    try:
        explanations = explanations_report(
            shap, predictor, rows, None, names, label=list(predictor_config.label_headers or []) or None
        )
    finally:
        close = getattr(predictor, "close", None)
        if close is not None:
            close()
    report: dict[str, Any] = {"version": "1.0", "explanations": explanations}
    write_text(join_uri(job.output_uri, ANALYSIS_FILE), jackson.dumps(report))
    violations = []
    if baseline_uri:
        threshold = definition.ndcg_threshold
        violations = check_attribution_drift(read_analysis(baseline_uri), report, threshold=threshold)
        write_text(join_uri(job.output_uri, VIOLATIONS_FILE), attribution_violations_to_json(violations))
    if definition.post_analytics_processor_script:
        run_postprocessor(
            local_script(definition.post_analytics_processor_script, work),
            logging.getLogger("modelwatch.script"),
        )
    metrics = [{"MetricName": name, "Value": value} for name, value in attribution_metrics(report)]
    counts = {**skipped.counts, "records": rows.num_rows, "violations": len(violations)}
    return JobOutcome(completion_message(len(violations)), counts, metrics)


def run_baseline(job: JobSpec) -> JobOutcome:
    assert job.dataset_uri is not None
    format, header = format_of(job.dataset_format)
    result = explain_dataset(
        job.dataset_uri,
        job.output_uri,
        _required(job.parameters.config_uri, "parameters.config_uri"),
        dataset_format=format,
        header=header,
    )
    return JobOutcome(
        "Completed: Job completed successfully.",
        {"records": result.attributions.rows, "constraints_uri": result.analysis_uri},
    )


def explain_dataset(
    dataset_uri: str, output_uri: str, config_uri: str, *, dataset_format: str | None, header: bool
) -> ExplainabilityBaselineResult:
    """The explainability baseline of a dataset for the analysis config at ``config_uri``: its ``label``
    column is left out, its ``predictor`` answers, its ``methods.shap`` says how."""
    config = read_analysis_config(config_uri)
    predictor_config = PredictorConfig.from_json(config.raw.get("predictor"))
    names = _feature_names(config)
    label = config.label
    if not header and config.headers and isinstance(label, str) and label in config.headers:
        label = config.headers.index(label)  # no header row: Clarify's headers name the file's columns
    predictor = predictor_config.build(names or [], workers="processes")
    try:
        return suggest_explainability_baseline(
            dataset_uri,
            output_uri,
            shap=ShapConfig.from_json(config.shap),
            predictor=predictor,
            headers=names,
            label=label,
            dataset_format=dataset_format or "csv",
            header=header,
            label_headers=list(predictor_config.label_headers or []) or None,
        )
    finally:
        close = getattr(predictor, "close", None)
        if close is not None:
            close()
