"""Model-quality monitoring: metrics of labelled predictions, the baseline job and the check (spec 5).

* :func:`quality_statistics` / :func:`quality_statistics_batches` compute a model-quality
  ``statistics.json`` from arrays or a stream of batches;
* :func:`suggest_quality_baseline` reads a labelled prediction dataset (CSV with or without header,
  JSON Lines, Parquet), picks the attributes' columns and writes ``statistics.json`` and the suggested
  ``constraints.json``, as SageMaker's ``ModelQualityMonitor.suggest_baseline`` does;
* :func:`check_quality` compares statistics with constraints and gives SageMaker's violations;
  :func:`run_quality_check` also writes ``statistics.json`` and ``constraint_violations.json``;
* :func:`quality_metrics` lists the CloudWatch metrics of a result (spec 4.3: the metric keys).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from modelwatch.analysis.performance_estimation import Calibration, fit_calibration
from modelwatch.analysis.quality import QualityAggregate, parse_problem_type, quality_aggregate
from modelwatch.analysis.quality_inputs import ArrayLike, binary_values, numeric_values
from modelwatch.errors import DataError, EmptyDatasetError, ValidationError
from modelwatch.formats.javafloat import format_double
from modelwatch.formats.model_quality import (
    BINARY_CONSTRAINTS,
    MULTICLASS_CONSTRAINTS,
    REGRESSION_CONSTRAINTS,
    ComparisonOperator,
    MetricConstraint,
    ModelQualityConstraints,
    ModelQualityStatistics,
    ModelQualityViolations,
    ProblemType,
    QualityViolation,
    model_quality_constraints_from_json,
    model_quality_constraints_to_json,
    model_quality_statistics_from_json,
    model_quality_statistics_to_json,
    model_quality_violations_to_json,
)
from modelwatch.io.datasets import DatasetFormat, read_dataset
from modelwatch.io.storage import exists, join_uri, read_text, write_text

__all__ = [
    "CALIBRATION_FILE",
    "ProblemType",
    "QualityAttributes",
    "QualityBaselineResult",
    "QualityCheckResult",
    "QualityViolation",
    "check_quality",
    "column_index",
    "evaluation_timestamp",
    "quality_metrics",
    "quality_statistics",
    "quality_statistics_batches",
    "read_calibration",
    "read_quality_constraints",
    "read_quality_statistics",
    "run_quality_check",
    "suggest_quality_baseline",
    "suggest_quality_constraints",
    "violation_metric_name",
]

log = logging.getLogger(__name__)

STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
VIOLATIONS_FILE = "constraint_violations.json"
CALIBRATION_FILE = "calibration.json"
"""A binary baseline's score calibration (beside its constraints), for estimating quality before labels."""

Batch = tuple[ArrayLike, ArrayLike | None, ArrayLike | None]


@dataclass(frozen=True)
class QualityAttributes:
    """Where the columns are (SageMaker's attribute names): a column name, a column index string (``"0"``
    = first column) or a JSONPath (``$.prediction``, ``$['a']['b']``: nested keys as the JSON reader
    flattens them, ``a.b``). The threshold turns a probability into a predicted label (binary only)."""

    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold_attribute: float | None = None
    ground_truth_attribute: str | None = None

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> QualityAttributes:
        """The attributes of a job's environment variables (``inference_attribute``, … spec 4.1)."""
        threshold = environment.get("probability_threshold_attribute")
        try:
            value = None if threshold in (None, "") else float(threshold)
        except ValueError:
            raise ValidationError(
                f"expected a number, got {threshold!r}", field="probability_threshold_attribute"
            ) from None
        return cls(
            inference_attribute=environment.get("inference_attribute") or None,
            probability_attribute=environment.get("probability_attribute") or None,
            probability_threshold_attribute=value,
            ground_truth_attribute=environment.get("ground_truth_attribute") or None,
        )


@dataclass(frozen=True)
class QualityBaselineResult:
    statistics: ModelQualityStatistics
    constraints: ModelQualityConstraints
    statistics_uri: str
    constraints_uri: str


@dataclass(frozen=True)
class QualityCheckResult:
    statistics: ModelQualityStatistics
    violations: list[QualityViolation]
    statistics_uri: str
    violations_uri: str | None
    """``None`` when there were no baseline constraints to check."""


# -- metrics --------------------------------------------------------------------------------------


def quality_statistics(
    problem_type: ProblemType | str,
    *,
    labels: ArrayLike,
    predictions: ArrayLike | None = None,
    probabilities: ArrayLike | None = None,
    threshold: float | None = None,
    record_ids: ArrayLike | None = None,
    evaluation_time: str | None = None,
) -> ModelQualityStatistics:
    """The model-quality statistics of one set of labelled predictions.

    ``labels`` are the ground truth; ``predictions`` the predicted labels (classification) or values
    (regression); ``probabilities`` the binary scores (for ``auc`` and the curves, and the predicted
    label ``probability >= threshold`` when ``predictions`` is None; ``threshold`` defaults to 0.5).
    Arrays may be numpy, pyarrow or lists of numbers or strings. Bad values raise
    :class:`~modelwatch.errors.DataError` naming the record (its id from ``record_ids``, else its row).
    """
    aggregate = quality_aggregate(problem_type, threshold=threshold)
    aggregate.update(labels, predictions, probabilities, record_ids=record_ids)
    return _finalize(aggregate, evaluation_time)


def quality_statistics_batches(
    problem_type: ProblemType | str,
    batches: Iterable[Batch],
    *,
    threshold: float | None = None,
    evaluation_time: str | None = None,
) -> ModelQualityStatistics:
    """The statistics of a stream of ``(labels, predictions, probabilities)`` batches (either of the
    last two may be None), in bounded memory. Raises EmptyDatasetError when there are no records."""
    aggregate = quality_aggregate(problem_type, threshold=threshold)
    for labels, predictions, probabilities in batches:
        aggregate.update(labels, predictions, probabilities)
    return _finalize(aggregate, evaluation_time)


def _finalize(aggregate: QualityAggregate, evaluation_time: str | None) -> ModelQualityStatistics:
    statistics = aggregate.finalize()
    if evaluation_time is None:
        return statistics
    return ModelQualityStatistics(
        statistics.problem_type,
        statistics.item_count,
        statistics.metrics,
        statistics.confusion_matrix,
        statistics.roc_curve,
        statistics.precision_recall_curve,
        evaluation_time=evaluation_time,
    )


def evaluation_timestamp(when: datetime | None = None) -> str:
    """SageMaker's ``evaluation_time`` text: UTC with milliseconds, ``2023-03-30T21:08:34.729Z``."""
    moment = (when or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def quality_metrics(statistics: ModelQualityStatistics) -> list[tuple[str, float]]:
    """The CloudWatch metrics of a result: every scalar metric by its key (``accuracy``, ``f2``, ``auc``,
    ``mae``, ``*_best_constant_classifier`` …) in file order. Non-finite values are left out, since
    CloudWatch accepts none."""
    return [(name, m.value) for name, m in statistics.metrics.items() if math.isfinite(m.value)]


# -- constraints and violations -------------------------------------------------------------------

_SUGGESTED = {
    ProblemType.REGRESSION: REGRESSION_CONSTRAINTS,
    ProblemType.BINARY: BINARY_CONSTRAINTS,
    ProblemType.MULTICLASS: MULTICLASS_CONSTRAINTS,
}
_VIOLATION_NAMES = {
    "true_positive_rate": "truePositiveRate",
    "true_negative_rate": "trueNegativeRate",
    "false_positive_rate": "falsePositiveRate",
    "false_negative_rate": "falseNegativeRate",
}


def suggest_quality_constraints(statistics: ModelQualityStatistics) -> ModelQualityConstraints:
    """SageMaker's suggested constraints: each metric's threshold is its baseline value (spec 5.3)."""
    constraints = {
        name: MetricConstraint(statistics.metrics[name].value, operator)
        for name, operator in _SUGGESTED[statistics.problem_type]
        if name in statistics.metrics
    }
    return ModelQualityConstraints(statistics.problem_type, constraints)


def violation_metric_name(metric: str) -> str:
    """The name a violation gives ``metric``: the rates in camelCase (``truePositiveRate``), others as is."""
    return _VIOLATION_NAMES.get(metric, metric)


def _java_string_hash(text: str) -> int:
    """Java's ``String.hashCode`` (over UTF-16 code units) as an unsigned 32-bit number."""
    data = text.encode("utf-16-be")
    value = 0
    for i in range(0, len(data), 2):
        value = (31 * value + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return value


def _scala_hash_order(name: str) -> tuple[int, ...]:
    """The position of ``name`` in a Scala 2.12 immutable ``HashMap``: its improved hash read in 5-bit
    chunks from the lowest bits (the trie's levels). SageMaker lists binary-classification violations
    in this order (``auc, precision, truePositiveRate, f1, accuracy, falsePositiveRate, …``)."""
    h = _java_string_hash(name)
    h = (h + (~(h << 9) & 0xFFFFFFFF)) & 0xFFFFFFFF
    h ^= h >> 14
    h = (h + (h << 4)) & 0xFFFFFFFF
    h ^= h >> 10
    return tuple((h >> shift) & 31 for shift in range(0, 32, 5))


def check_quality(
    statistics: ModelQualityStatistics,
    constraints: ModelQualityConstraints,
    *,
    skip_f0_5: bool = False,
) -> list[QualityViolation]:
    """The violations of ``constraints`` by ``statistics`` (spec 5.4).

    A constraint is violated when ``value <operator> threshold`` holds (``LessThanThreshold``: value
    below threshold); a NaN value or threshold violates nothing. Constraints on metrics the statistics
    lack are skipped with a warning. ``skip_f0_5=True`` reproduces SageMaker, which never reports
    ``f0_5``; by default it is checked like the others. Classification violations come in the order
    SageMaker lists them (its Scala hash map's), regression ones in constraint order.
    """
    if constraints.problem_type is not statistics.problem_type:
        raise ValidationError(
            f"the constraints are for {constraints.problem_type} but the statistics for "
            f"{statistics.problem_type}",
            field="problem_type",
        )
    found: list[QualityViolation] = []
    for name, constraint in constraints.constraints.items():
        metric = statistics.metrics.get(name)
        if metric is None:
            log.warning("constraint on %r skipped: the statistics have no such metric", name)
            continue
        if skip_f0_5 and name == "f0_5":
            continue
        operator = ComparisonOperator(constraint.comparison_operator)
        if not operator.violated(metric.value, constraint.threshold):
            continue
        shown = violation_metric_name(name)
        value, std = format_double(metric.value), format_double(metric.standard_deviation)
        threshold = format_double(constraint.threshold)
        description = f"Metric {shown} with {value} +/- {std} was {operator} '{threshold}'"
        found.append(QualityViolation(str(operator), description, shown))
    if statistics.problem_type is not ProblemType.REGRESSION:
        found.sort(key=lambda v: _scala_hash_order(v.metric_name))
    return found


def read_quality_statistics(uri: str) -> ModelQualityStatistics:
    """Read a model-quality statistics.json (SageMaker's or ours)."""
    return model_quality_statistics_from_json(read_text(uri), file=uri)


def read_quality_constraints(uri: str) -> ModelQualityConstraints:
    """Read a model-quality constraints.json (SageMaker's, ours, or hand-edited)."""
    return model_quality_constraints_from_json(read_text(uri), file=uri)


def run_quality_check(
    statistics: ModelQualityStatistics,
    output_uri: str,
    *,
    constraints: ModelQualityConstraints | None,
    skip_f0_5: bool = False,
) -> QualityCheckResult:
    """Write a monitoring execution's ``statistics.json`` and, with baseline ``constraints``, its
    ``constraint_violations.json`` (``{"violations" : [ ]}`` when nothing fails) into ``output_uri``."""
    statistics_uri = join_uri(output_uri, STATISTICS_FILE)
    write_text(statistics_uri, model_quality_statistics_to_json(statistics))
    if constraints is None:
        return QualityCheckResult(statistics, [], statistics_uri, None)
    violations = check_quality(statistics, constraints, skip_f0_5=skip_f0_5)
    violations_uri = join_uri(output_uri, VIOLATIONS_FILE)
    write_text(violations_uri, model_quality_violations_to_json(ModelQualityViolations(tuple(violations))))
    log.info("model-quality check: %d violations, results in %s", len(violations), output_uri)
    return QualityCheckResult(statistics, violations, statistics_uri, violations_uri)


# -- the baseline job -----------------------------------------------------------------------------

_JSONPATH_KEY = re.compile(r"""\.([^.\[\]]+)|\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]""")


def _jsonpath_column(path: str) -> str | None:
    """``$.a.b`` / ``$['a']["b"]`` / ``$.a[0]`` as the flattened column name ``a.b`` (``a.0``)."""
    rest, keys = path[1:], []
    while rest:
        match = _JSONPATH_KEY.match(rest)
        if match is None:
            return None
        keys.append(next(group for group in match.groups() if group is not None))
        rest = rest[match.end() :]
    return ".".join(keys) if keys else None


def column_index(attribute: str, value: str, columns: Sequence[str]) -> int:
    """The position in ``columns`` that attribute ``attribute`` (e.g. ``"ground_truth_attribute"``)
    names: a column name, a JSONPath (``$.a.b``), or a 0-based index string (``"0"``) when no column
    has that name. Raises ValidationError naming the attribute and the available columns."""
    names = list(columns)
    if value in names:
        return names.index(value)
    if value.startswith("$"):
        flattened = _jsonpath_column(value)
        if flattened is not None and flattened in names:
            return names.index(flattened)
    digits = value[2:-1] if value.startswith("$[") and value.endswith("]") else value
    if digits.strip().isdigit():
        index = int(digits)
        if index < len(names):
            return index
    shown = ", ".join(repr(n) for n in names[:50]) + (
        f" and {len(names) - 50} more" if len(names) > 50 else ""
    )
    raise ValidationError(f"no column {value!r} in the dataset; its columns are {shown}", field=attribute)


def _attribute_columns(
    problem: ProblemType, attributes: QualityAttributes, columns: Sequence[str]
) -> dict[str, int | None]:
    if attributes.ground_truth_attribute is None:
        raise ValidationError(
            "a model-quality baseline needs the ground truth", field="ground_truth_attribute"
        )
    if attributes.inference_attribute is None and (
        problem is not ProblemType.BINARY or attributes.probability_attribute is None
    ):
        needs = "an inference attribute" + (
            " or a probability attribute" if problem is ProblemType.BINARY else ""
        )
        raise ValidationError(f"{problem} needs {needs}", field="inference_attribute")
    picked: dict[str, int | None] = {}
    for role, field_name, value in (
        ("label", "ground_truth_attribute", attributes.ground_truth_attribute),
        ("prediction", "inference_attribute", attributes.inference_attribute),
        ("probability", "probability_attribute", attributes.probability_attribute),
    ):
        use = value is not None and (role != "probability" or problem is ProblemType.BINARY)
        picked[role] = column_index(field_name, value, columns) if use and value is not None else None
    return picked


def suggest_quality_baseline(
    dataset_uri: str | list[str],
    output_uri: str,
    *,
    problem_type: ProblemType | str,
    attributes: QualityAttributes,
    dataset_format: DatasetFormat | str | None = "csv",
    header: bool = False,
    evaluation_time: datetime | None = None,
    include_evaluation_time: bool = True,
) -> QualityBaselineResult:
    """Compute the model-quality baseline of a labelled prediction dataset and write ``statistics.json``
    and the suggested ``constraints.json`` into ``output_uri``.

    The dataset is read with :func:`~modelwatch.io.datasets.read_dataset` (``header`` for CSV); columns
    are picked by ``attributes`` (:func:`column_index`). ``evaluation_time`` defaults to now; with
    ``include_evaluation_time=False`` the file has none, as SageMaker's files before 2023.

    Raises:
        ValidationError: an attribute is missing or names no column (the message lists the columns).
        DataError: a value is missing or malformed (names the file, the column and the row).
        EmptyDatasetError: the dataset holds no record.
    """
    problem = parse_problem_type(problem_type)
    threshold = attributes.probability_threshold_attribute if problem is ProblemType.BINARY else None
    dataset = read_dataset(dataset_uri, dataset_format, header=header)
    picked = _attribute_columns(problem, attributes, dataset.column_names)
    aggregate = quality_aggregate(problem, threshold=threshold)
    calibrate = problem is ProblemType.BINARY and picked.get("probability") is not None
    scored: list[tuple[np.ndarray, np.ndarray]] = []
    try:
        for batch in dataset.batches():
            labels, predictions, probabilities = (
                _column(batch, picked[role]) for role in ("label", "prediction", "probability")
            )
            aggregate.update(labels, predictions, probabilities)
            if calibrate:
                scored.append((numeric_values(probabilities, column="probability"), binary_values(labels)))
    except DataError as error:
        if error.file is not None or error.column not in picked:
            raise
        index = picked[error.column]
        column = dataset.column_names[index] if index is not None else error.column
        file = dataset.files[0] if len(dataset.files) == 1 else dataset.uri
        raise DataError(error.reason, file=file, column=column) from None
    if aggregate.rows == 0:
        raise EmptyDatasetError("no records", file=dataset.uri)
    stamp = evaluation_timestamp(evaluation_time) if include_evaluation_time else None
    statistics = _finalize(aggregate, stamp)
    constraints = suggest_quality_constraints(statistics)
    statistics_uri = join_uri(output_uri, STATISTICS_FILE)
    constraints_uri = join_uri(output_uri, CONSTRAINTS_FILE)
    write_text(statistics_uri, model_quality_statistics_to_json(statistics))
    write_text(constraints_uri, model_quality_constraints_to_json(constraints))
    if scored:
        calibration = fit_calibration(
            np.concatenate([s for s, _ in scored]), np.concatenate([y for _, y in scored])
        )
        write_text(join_uri(output_uri, CALIBRATION_FILE), json.dumps(calibration.to_dict()) + "\n")
    log.info("model-quality baseline of %s written to %s", dataset.uri, output_uri)
    return QualityBaselineResult(statistics, constraints, statistics_uri, constraints_uri)


def read_calibration(constraints_uri: str) -> Calibration | None:
    """The calibration a binary baseline wrote beside ``constraints_uri``, if there is one."""
    uri = join_uri(constraints_uri.rsplit("/", 1)[0], CALIBRATION_FILE)
    if not exists(uri):
        return None
    return Calibration.from_dict(json.loads(read_text(uri)))


def _column(batch: pa.RecordBatch, index: int | None) -> Any:
    return None if index is None else batch.column(index)
