"""The ModelBias job: Clarify's bias metrics of the window's labelled predictions, checked for drift
against the baseline ``analysis.json`` (spec clarify.md §7).

The window is merged with its labels as for ModelQuality. The features come from each record's
``endpointInput`` (CSV, or the list at ``features_attribute`` of a JSON request), named by the analysis
config's ``headers`` without the label; the predicted label from ``endpointOutput`` at
``inference_attribute``, else the score at ``probability_attribute`` (label 1 when the score is above
``probability_threshold_attribute``, else the config's ``probability_threshold``, else 0.5), else the whole
output as the score; the observed label from ``groundTruthData``.

The baseline job computes the bias report of a labelled dataset with the analysis config.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from modelwatch.errors import DataError, ValidationError
from modelwatch.formats.clarify import bias_report_to_json
from modelwatch.io.payload_fields import extract_field
from modelwatch.io.storage import join_uri, write_text
from modelwatch.jobs import JobOutcome, completion_message
from modelwatch.jobs.definitions import InputCommon
from modelwatch.jobs.inputs import format_of, local_script
from modelwatch.jobs.labels import labelled_window
from modelwatch.jobs.spec import JobSpec
from modelwatch.monitors.clarify_config import AnalysisConfig, read_analysis_config
from modelwatch.monitors.model_bias import (
    BiasDriftRule,
    bias_metrics,
    bias_report,
    check_bias_drift,
    read_bias_report,
    suggest_bias_baseline,
    write_bias_violations,
)
from modelwatch.scripts import run_postprocessor

__all__ = ["ANALYSIS_FILE", "run_baseline", "run_monitoring"]

log = logging.getLogger("modelwatch.job")

ANALYSIS_FILE = "analysis.json"
PREDICTED = "modelwatch_predicted_label"
SCORE = "modelwatch_score"


def _required(value: str | None, field: str) -> str:
    if value is None:
        raise ValidationError("a ModelBias job needs it", field=field)
    return value


def run_monitoring(job: JobSpec, work: Path) -> JobOutcome:
    definition = job.monitor
    source = definition.input
    config = read_analysis_config(_required(definition.config_uri, "config_uri"), kind="bias_monitor")
    merged, counts, early = labelled_window(job)
    if early is not None:
        return early
    threshold = source.probability_threshold_attribute
    if threshold is not None:
        config = dataclasses.replace(config, probability_threshold=float(threshold))
    table, names = window_table(config, merged.table, source)
    config = dataclasses.replace(config, headers=None)  # the table is named already
    by_score = source.inference_attribute is None
    report = bias_report(
        config,
        table,
        label=names["label"],
        predicted_label=None if by_score else PREDICTED,
        probability=SCORE if by_score else None,
    )
    write_text(join_uri(job.output_uri, ANALYSIS_FILE), bias_report_to_json(report))
    violations = []
    if definition.baseline_constraints_uri:
        rule = (
            BiasDriftRule(**definition.bias_drift.model_dump()) if definition.bias_drift else BiasDriftRule()
        )
        violations = check_bias_drift(
            read_bias_report(definition.baseline_constraints_uri), report, rule=rule
        )
        write_bias_violations(violations, job.output_uri)
    if definition.post_analytics_processor_script:
        run_postprocessor(
            local_script(definition.post_analytics_processor_script, work),
            logging.getLogger("modelwatch.script"),
        )
    # one series per facet value, named like bias_metric_DPPL/sex/F (the store keys series by name)
    metrics = [{"MetricName": name, "Value": value} for name, value in bias_metrics(report)]
    return JobOutcome(completion_message(len(violations)), {**counts, "violations": len(violations)}, metrics)


def window_table(
    config: AnalysisConfig, merged: pa.Table, source: InputCommon
) -> tuple[pa.Table, dict[str, str]]:
    """The window as one table for the bias analysis: the features in ``headers`` order with the label
    column at its place, then the predicted label (or score). Returns the table and the label's name."""
    ids = merged.column("event_id")
    label_ref = config.label
    headers = list(config.headers) if config.headers else None
    if headers is not None and isinstance(label_ref, str) and label_ref not in headers:
        raise ValidationError(f"label {label_ref!r} is not one of the headers", field="label")
    if headers is not None:
        label_at = headers.index(label_ref) if isinstance(label_ref, str) else label_ref
        if not isinstance(label_at, int) or label_at >= len(headers):
            raise ValidationError("the label must be one of the headers", field="label")
        feature_names = [h for i, h in enumerate(headers) if i != label_at]
        label_name = headers[label_at]
    else:
        label_at = label_ref if isinstance(label_ref, int) else None
        label_name = label_ref if isinstance(label_ref, str) else "label"
        feature_names = []
    features = _features(merged, source.features_attribute, feature_names, ids)
    columns = list(features.columns)
    names = list(features.column_names)
    position = len(columns) if label_at is None else min(label_at, len(columns))
    columns.insert(position, merged.column("ground_truth"))
    names.insert(position, label_name)
    output = merged.column("output_data"), merged.column("output_encoding")
    inference = source.inference_attribute
    if inference is not None:
        columns.append(extract_field(*output, inference, ids=ids, source="endpointOutput"))
        names.append(PREDICTED)
    else:
        attribute = source.probability_attribute or "0"
        columns.append(extract_field(*output, attribute, ids=ids, source="endpointOutput"))
        names.append(SCORE)
    return pa.table(columns, names=names), {"label": label_name}


def _features(
    merged: pa.Table, features_attribute: str | None, names: list[str], ids: pa.ChunkedArray
) -> pa.Table:
    """The request features as string columns (typed later as pandas would read them)."""
    data, encoding = merged.column("input_data"), merged.column("input_encoding")
    if features_attribute:
        count = len(names)
        if not count:
            raise ValidationError("needs headers to read JSON features", field="headers")
        path = features_attribute if features_attribute.startswith("$") else f"$.{features_attribute}"
        return pa.table(
            [
                extract_field(data, encoding, f"{path}[{i}]", ids=ids, source="endpointInput")
                for i in range(count)
            ],
            names=names,
        )
    if data.null_count:
        raise DataError(
            f"{data.null_count} labelled records have no captured request (endpointInput): the bias "
            "analysis needs the features; capture the input too",
            column="endpointInput",
        )
    body = _lines(data)
    first = bytes(body[: 64 * 1024]).split(b"\n", 1)[0]
    names = names or [f"_c{i}" for i in range(first.count(b",") + 1)]
    try:
        return pcsv.read_csv(
            pa.BufferReader(body),
            read_options=pcsv.ReadOptions(column_names=names),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
    except pa.ArrowInvalid as error:
        raise DataError(
            f"the captured requests do not hold the {len(names)} features of the analysis config's "
            f"headers ({', '.join(names)}): {error}",
            column="endpointInput",
        ) from None


def _lines(data: pa.ChunkedArray) -> pa.Buffer:
    """The request payloads as one CSV text, a line each, built in Arrow (no Python string per row)."""
    texts = pc.binary_join_element_wise(data.cast(pa.string()), "\n", "").combine_chunks()
    _, offsets, values = texts.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[texts.offset : texts.offset + len(texts) + 1]
    return values[int(bounds[0]) : int(bounds[-1])] if len(bounds) else pa.py_buffer(b"")


def run_baseline(job: JobSpec) -> JobOutcome:
    assert job.dataset_uri is not None
    format, header = format_of(job.dataset_format)
    config = read_analysis_config(_required(job.parameters.config_uri, "parameters.config_uri"))
    result = suggest_bias_baseline(
        job.dataset_uri, config, job.output_uri, dataset_format=format or "csv", header=header
    )
    return JobOutcome(
        "Completed: Job completed successfully.",
        {"records": result.rows, "constraints_uri": result.analysis_uri},
    )
