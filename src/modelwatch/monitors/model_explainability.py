"""Model-explainability monitoring (Clarify's feature-attribution drift): the baseline job and the check.

* :func:`explanations_report` explains rows with Kernel SHAP and returns the ``explanations`` object
  of Clarify's ``analysis.json`` (spec 8): ``{"kernel_shap": {label: {"global_shap_values": {...},
  "expected_value": ...}}}``.
* :func:`suggest_explainability_baseline` does it for a dataset and writes ``analysis.json`` (the
  baseline "constraints" of a Clarify monitor), ``explanations_shap/out.csv`` (local values, columns
  ``<feature>_<label>``) and, when it was generated, the background as ``explanations_shap/baseline.csv``.
* :func:`check_attribution_drift` compares a window's report with the baseline's: one
  ``feature_attribution_drift_check`` violation per label whose nDCG is below the threshold (0.9, spec 9);
  :func:`attribution_violations_to_json` writes them as ``constraint_violations.json``.
* :func:`attribution_metrics` / :func:`attribution_metric_points` list the CloudWatch-style metrics.
"""

from __future__ import annotations

import io
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from modelwatch.analysis.attributions import Attributions, Predict, explain
from modelwatch.analysis.ndcg import ndcg
from modelwatch.analysis.shap_config import Background, ShapConfig, resolve_background
from modelwatch.errors import DataError, FormatError, ValidationError
from modelwatch.formats import jackson
from modelwatch.io.datasets import read_dataset
from modelwatch.io.storage import join_uri, read_text, write_bytes, write_text

__all__ = [
    "ANALYSIS_FILE",
    "CHECK_TYPE",
    "DRIFT_THRESHOLD",
    "AttributionMetric",
    "AttributionViolation",
    "ExplainabilityBaselineResult",
    "attribution_drift_scores",
    "attribution_metric_points",
    "attribution_metrics",
    "attribution_violations_to_json",
    "check_attribution_drift",
    "explain_rows",
    "explanations_from_attributions",
    "explanations_report",
    "feature_matrix",
    "read_analysis",
    "suggest_explainability_baseline",
]

log = logging.getLogger(__name__)

ANALYSIS_FILE = "analysis.json"
LOCAL_VALUES_FILE = "explanations_shap/out.csv"
BACKGROUND_FILE = "explanations_shap/baseline.csv"
CHECK_TYPE = "feature_attribution_drift_check"
METRIC_NAME = "shap"
DRIFT_THRESHOLD = 0.9
ANALYSIS_VERSION = "1.0"


# --------------------------------------------------------------------------------------------------
# rows


def feature_matrix(
    rows: pa.Table | pa.RecordBatch | np.ndarray, feature_names: Sequence[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """The rows as a float64 matrix and their feature names (``feature_names``, else the table's columns).

    Table columns are cast to float64 (CSV strings included); a value that is not a number raises
    :class:`~modelwatch.errors.DataError` naming the column and the row.
    """
    if isinstance(rows, np.ndarray):
        matrix = np.asarray(rows, dtype=np.float64) if rows.dtype.kind != "O" else _object_matrix(rows)
        if matrix.ndim != 2:
            raise DataError(f"rows must be a 2-D array, got shape {matrix.shape}")
        names = (
            list(feature_names)
            if feature_names is not None
            else [f"feature_{j}" for j in range(matrix.shape[1])]
        )
    else:
        names = list(feature_names) if feature_names is not None else list(rows.schema.names)
        labels = names if len(names) == rows.num_columns else list(rows.schema.names)
        matrix = (
            np.column_stack([_float_column(rows.column(j), labels[j]) for j in range(rows.num_columns)])
            if rows.num_columns
            else np.zeros((rows.num_rows, 0))
        )
    if len(names) != matrix.shape[1]:
        raise ValidationError(
            f"{len(names)} feature names {names} for {matrix.shape[1]} columns", field="headers"
        )
    return matrix, names


def _object_matrix(rows: np.ndarray) -> np.ndarray:
    try:
        return rows.astype(np.float64)
    except (TypeError, ValueError):
        for j in range(rows.shape[1]):
            _float_column(pa.array([None if v is None else str(v) for v in rows[:, j]]), str(j))
        raise


def _float_column(column: pa.Array | pa.ChunkedArray, name: str) -> np.ndarray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        column = pc.utf8_trim_whitespace(column)
    try:
        values = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        for i, value in enumerate(column.to_pylist()):
            try:
                float(value)
            except (TypeError, ValueError):
                raise DataError(
                    f"row {i + 1}: value {value!r} is not a number (only numeric features can be explained)",
                    column=name,
                ) from None
        raise DataError("values are not numbers", column=name) from None
    if values.null_count:
        first = int(np.flatnonzero(np.asarray(pc.is_null(values)))[0])
        raise DataError(f"row {first + 1}: missing value (Kernel SHAP needs every feature)", column=name)
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


# --------------------------------------------------------------------------------------------------
# reports


def explanations_from_attributions(attributions: Attributions) -> dict[str, Any]:
    """The ``explanations`` object of analysis.json for ``attributions`` (spec 8 layout)."""
    kernel_shap: dict[str, Any] = {}
    for index, label in enumerate(attributions.labels):
        kernel_shap[label] = {
            "global_shap_values": attributions.global_shap_values(label),
            "expected_value": float(attributions.expected_values[index]),
        }
    return {"kernel_shap": kernel_shap}


def _labels(label: str | Sequence[str] | None) -> Sequence[str] | None:
    if label is None:
        return None
    return [label] if isinstance(label, str) else list(label)


def explanations_report(
    config: ShapConfig,
    predict: Predict,
    rows: pa.Table | pa.RecordBatch | np.ndarray,
    background: Background | np.ndarray | None,
    feature_names: Sequence[str] | None,
    *,
    label: str | Sequence[str] | None = None,
) -> dict[str, Any]:
    """Explain ``rows`` and return analysis.json's ``explanations`` object.

    ``background`` defaults to the config's ``baseline`` (or k-means of ``rows``: for a monitoring window
    pass the baseline job's background instead, so that both analyses share it). ``label`` names the
    model's output score(s) (``predictor.label_headers``); the default keys are ``label0``, ``label1``...
    """
    return explanations_from_attributions(
        explain_rows(config, predict, rows, background, feature_names, label=label)
    )


def explain_rows(
    config: ShapConfig,
    predict: Predict,
    rows: pa.Table | pa.RecordBatch | np.ndarray,
    background: Background | np.ndarray | None,
    feature_names: Sequence[str] | None,
    *,
    label: str | Sequence[str] | None = None,
) -> Attributions:
    """Like :func:`explanations_report` but returns the :class:`Attributions` (local values, call counts)."""
    matrix, names = feature_matrix(rows, feature_names)
    if background is None:
        background = resolve_background(config, matrix, n_features=matrix.shape[1])
    return explain(predict, matrix, background, config, feature_names=names, labels=_labels(label))


@dataclass(frozen=True)
class ExplainabilityBaselineResult:
    """What :func:`suggest_explainability_baseline` computed and wrote."""

    analysis: dict[str, Any]
    attributions: Attributions
    background: Background
    analysis_uri: str
    local_values_uri: str | None
    background_uri: str | None


def _drop_label(table: pa.Table, label: str | int | None) -> pa.Table:
    if label is None:
        return table
    if isinstance(label, int) and not isinstance(label, bool):
        if not 0 <= label < table.num_columns:
            raise ValidationError(
                f"column index {label} is out of range (0-{table.num_columns - 1})", field="label"
            )
        return table.remove_column(label)
    if label not in table.schema.names:
        raise ValidationError(
            f"no column {label!r} in the dataset (columns: {table.schema.names})", field="label"
        )
    return table.drop_columns([label])


def _csv_bytes(matrix: np.ndarray, names: Sequence[str] | None) -> bytes:
    columns = [f"c{j}" for j in range(matrix.shape[1])] if names is None else list(names)
    table = pa.table({f"{j}": matrix[:, j] for j in range(matrix.shape[1])}).rename_columns(columns)
    sink = io.BytesIO()
    pcsv.write_csv(table, sink, pcsv.WriteOptions(include_header=names is not None, quoting_style="needed"))
    return sink.getvalue()


def suggest_explainability_baseline(
    dataset_uri: str,
    output_uri: str,
    *,
    shap: ShapConfig,
    predictor: Predict,
    headers: Sequence[str] | None = None,
    label: str | int | None = None,
    dataset_format: str = "csv",
    header: bool = True,
    label_headers: Sequence[str] | None = None,
) -> ExplainabilityBaselineResult:
    """Explain the dataset at ``dataset_uri`` and write the baseline into ``output_uri``.

    ``label`` is the dataset's target column (name or index), left out of the features; ``headers`` names
    the remaining feature columns (default: the dataset's own names). ``label_headers`` names the model's
    outputs in the report. Writes ``analysis.json`` (``{"version": "1.0", "explanations": ...}``), the
    local values when ``shap.save_local_shap_values``, and the generated background when ``shap`` has no
    ``baseline`` (so a monitor can reuse it: note that a file background has uniform weights, while the
    k-means background is weighted by cluster size).
    """
    dataset = read_dataset(dataset_uri, dataset_format, header=header)
    table = pa.Table.from_batches(list(dataset.batches()))
    features = _drop_label(table, label)
    matrix, names = feature_matrix(features, headers)
    background = resolve_background(shap, matrix, n_features=matrix.shape[1])
    attributions = explain(predictor, matrix, background, shap, feature_names=names, labels=label_headers)
    analysis = {"version": ANALYSIS_VERSION, "explanations": explanations_from_attributions(attributions)}
    analysis_uri = join_uri(output_uri, ANALYSIS_FILE)
    write_text(analysis_uri, jackson.dumps(analysis))
    local_uri = None
    if attributions.local_values is not None:
        local_uri = join_uri(output_uri, LOCAL_VALUES_FILE)
        columns = [f"{name}_{lab}" for lab in attributions.labels for name in attributions.feature_names]
        local = np.concatenate(list(attributions.local_values), axis=1)
        write_bytes(local_uri, _csv_bytes(local, columns))
    background_uri = None
    if shap.baseline is None:
        background_uri = join_uri(output_uri, BACKGROUND_FILE)
        write_bytes(background_uri, _csv_bytes(background.rows, None))
    log.info(
        "explainability baseline of %s (%d rows, %d model calls) written to %s",
        dataset_uri,
        attributions.rows,
        attributions.model_calls,
        output_uri,
    )
    return ExplainabilityBaselineResult(
        analysis, attributions, background, analysis_uri, local_uri, background_uri
    )


# --------------------------------------------------------------------------------------------------
# reading reports


def read_analysis(uri: str) -> dict[str, Any]:
    """Read an analysis.json (ours or Clarify's). Raises :class:`~modelwatch.errors.FormatError`."""
    text = read_text(uri)
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise FormatError(f"not valid JSON: {exc}", file=uri) from None
    if not isinstance(value, dict):
        raise FormatError("expected a JSON object", file=uri)
    return value


def _number(value: Any, file: str | None, key: str) -> float:
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormatError(f"expected a number, got {value!r}", file=file, key=key)
    return float(value)


def _kernel_shap(
    report: Mapping[str, Any], file: str | None = None
) -> dict[str, tuple[dict[str, float], float | None]]:
    """``{label: ({feature: value}, expected value)}`` from an analysis dict, its ``explanations`` object or
    its ``kernel_shap`` object."""
    if "explanations" in report:
        report, prefix = report["explanations"], "explanations."
    else:
        prefix = "explanations." if "kernel_shap" in report else ""
    if not isinstance(report, Mapping):
        raise FormatError("expected an object", file=file, key=prefix.rstrip(".") or "explanations")
    if "kernel_shap" in report:
        report, prefix = report["kernel_shap"], prefix + "kernel_shap."
    elif prefix:
        raise FormatError("missing", file=file, key=prefix + "kernel_shap")
    if not isinstance(report, Mapping) or not report:
        raise FormatError("expected an object with one entry per label", file=file, key=prefix.rstrip("."))
    out: dict[str, tuple[dict[str, float], float | None]] = {}
    for label, entry in report.items():
        key = f"{prefix}{label}"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("global_shap_values"), Mapping):
            raise FormatError("missing global_shap_values", file=file, key=f"{key}.global_shap_values")
        values = {
            str(name): _number(v, file, f"{key}.global_shap_values.{name}")
            for name, v in entry["global_shap_values"].items()
        }
        expected = entry.get("expected_value")
        out[str(label)] = (
            values,
            None if expected is None else _number(expected, file, f"{key}.expected_value"),
        )
    return out


# --------------------------------------------------------------------------------------------------
# drift check


@dataclass(frozen=True)
class AttributionViolation:
    """One ``feature_attribution_drift_check`` violation (constraint_violations.json, spec 9)."""

    label: str
    description: str
    ndcg: float
    metric_name: str = METRIC_NAME
    constraint_check_type: str = CHECK_TYPE

    def to_json(self) -> dict[str, str]:
        return {
            "label": self.label,
            "metric_name": self.metric_name,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
        }


def attribution_drift_scores(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    baseline_file: str | None = None,
    current_file: str | None = None,
) -> dict[str, float]:
    """nDCG per baseline label of the current ranking against the baseline's (analysis dicts)."""
    base = _kernel_shap(baseline, baseline_file)
    now = _kernel_shap(current, current_file)
    scores: dict[str, float] = {}
    for label, (values, _) in base.items():
        if label not in now:
            raise FormatError(
                f"the current analysis has no label {label!r} (it has {sorted(now)})",
                file=current_file,
                key=f"explanations.kernel_shap.{label}",
            )
        scores[label] = ndcg(values, now[label][0])
    return scores


def check_attribution_drift(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    threshold: float = DRIFT_THRESHOLD,
    baseline_file: str | None = None,
    current_file: str | None = None,
) -> list[AttributionViolation]:
    """A violation for each label whose nDCG (current ranking vs the baseline's) is below ``threshold``.

    ``baseline`` and ``current`` are analysis.json dicts (or their ``explanations`` objects). The
    description is Clarify's, "exceeds" included: ``Feature attribution drift 0.76... exceeds threshold 0.9``.
    """
    if not 0.0 <= threshold <= 1.0 or math.isnan(threshold):
        raise ValidationError(f"must be between 0 and 1, got {threshold!r}", field="threshold")
    violations = []
    for label, score in attribution_drift_scores(
        baseline, current, baseline_file=baseline_file, current_file=current_file
    ).items():
        if score < threshold:
            description = f"Feature attribution drift {score!r} exceeds threshold {float(threshold)!r}"
            violations.append(AttributionViolation(label, description, score))
    return violations


def attribution_violations_to_json(violations: Sequence[AttributionViolation]) -> str:
    """constraint_violations.json for explainability: ``{"version": "1.0", "violations": [...]}``."""
    return jackson.dumps({"version": ANALYSIS_VERSION, "violations": [v.to_json() for v in violations]})


# --------------------------------------------------------------------------------------------------
# metrics


@dataclass(frozen=True)
class AttributionMetric:
    """One explainability metric point: ``feature_<name>`` (``GlobalShapValues``) or ``ExpectedValue``."""

    label: str
    name: str
    value: float
    value_type: str  # "GlobalShapValues" | "ExpectedValue"


def attribution_metric_points(report: Mapping[str, Any]) -> list[AttributionMetric]:
    """Every label's ``feature_<name>`` metrics and its ``ExpectedValue`` (spec 9 dimensions)."""
    points: list[AttributionMetric] = []
    for label, (values, expected) in _kernel_shap(report).items():
        points.extend(
            AttributionMetric(label, f"feature_{name}", v, "GlobalShapValues") for name, v in values.items()
        )
        if expected is not None:
            points.append(AttributionMetric(label, "ExpectedValue", expected, "ExpectedValue"))
    return points


def attribution_metrics(report: Mapping[str, Any], *, label: str | None = None) -> list[tuple[str, float]]:
    """``("feature_<name>", global SHAP value)`` of one label (``label``, default the first one)."""
    entries = _kernel_shap(report)
    chosen = label if label is not None else next(iter(entries))
    if chosen not in entries:
        raise FormatError(
            f"no label {chosen!r} (labels: {sorted(entries)})", key=f"explanations.kernel_shap.{chosen}"
        )
    return [(f"feature_{name}", value) for name, value in entries[chosen][0].items()]
