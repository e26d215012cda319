"""Model-quality ``statistics.json``, ``constraints.json`` and ``constraint_violations.json`` (spec 5).

The models and their byte-compatible writers and lenient readers::

    {
      "version" : 0.0,
      "dataset" : { "item_count" : 100, "evaluation_time" : "2023-03-30T21:08:34.729Z" },
      "regression_metrics" : { "mae" : { "value" : 0.5, "standard_deviation" : "NaN" }, ... }
    }

The metrics block is ``regression_metrics``, ``binary_classification_metrics`` or
``multiclass_classification_metrics``; classification blocks also hold a ``confusion_matrix``
(``{actual: {predicted: count}}``) and binary blocks the ROC and precision-recall curves. Metrics are
written in the order SageMaker's analyzer writes them; metrics we do not know are kept and written after.
Constraints hold ``{metric: {threshold, comparison_operator}}`` under ``<problem>_constraints``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from modelwatch.formats import jackson
from modelwatch.formats._reader import Node, parse

__all__ = [
    "BINARY_CONSTRAINTS",
    "CONSTRAINT_BLOCKS",
    "METRIC_BLOCKS",
    "METRIC_ORDER",
    "MULTICLASS_CONSTRAINTS",
    "REGRESSION_CONSTRAINTS",
    "ComparisonOperator",
    "ConfusionMatrix",
    "MetricConstraint",
    "MetricValue",
    "ModelQualityConstraints",
    "ModelQualityStatistics",
    "ModelQualityViolations",
    "PrecisionRecallCurve",
    "ProblemType",
    "QualityViolation",
    "RocCurve",
    "model_quality_constraints_from_json",
    "model_quality_constraints_to_json",
    "model_quality_statistics_from_json",
    "model_quality_statistics_to_json",
    "model_quality_violations_from_json",
    "model_quality_violations_to_json",
]


class ProblemType(StrEnum):
    """SageMaker's ``problem_type`` (``ModelQualityAppSpecification.ProblemType``)."""

    BINARY = "BinaryClassification"
    MULTICLASS = "MulticlassClassification"
    REGRESSION = "Regression"


class ComparisonOperator(StrEnum):
    """A constraint's ``comparison_operator``: the condition that *is* a violation (value op threshold).

    SageMaker writes the first two; the ``OrEqualTo`` spellings are accepted as CloudWatch spells them.
    """

    GREATER_THAN = "GreaterThanThreshold"
    LESS_THAN = "LessThanThreshold"
    GREATER_THAN_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    LESS_THAN_OR_EQUAL = "LessThanOrEqualToThreshold"

    def violated(self, value: float, threshold: float) -> bool:
        """Whether ``value`` breaks a constraint of this operator; NaN never does."""
        if self is ComparisonOperator.GREATER_THAN:
            return value > threshold
        if self is ComparisonOperator.LESS_THAN:
            return value < threshold
        if self is ComparisonOperator.GREATER_THAN_OR_EQUAL:
            return value >= threshold
        return value <= threshold


METRIC_BLOCKS: dict[ProblemType, str] = {
    ProblemType.REGRESSION: "regression_metrics",
    ProblemType.BINARY: "binary_classification_metrics",
    ProblemType.MULTICLASS: "multiclass_classification_metrics",
}
CONSTRAINT_BLOCKS: dict[ProblemType, str] = {
    ProblemType.REGRESSION: "regression_constraints",
    ProblemType.BINARY: "binary_classification_constraints",
    ProblemType.MULTICLASS: "multiclass_classification_constraints",
}

CONFUSION_MATRIX = "confusion_matrix"
ROC_CURVE = "receiver_operating_characteristic_curve"
PR_CURVE = "precision_recall_curve"
_BCC = "_best_constant_classifier"

METRIC_ORDER: dict[ProblemType, tuple[str, ...]] = {
    ProblemType.REGRESSION: ("mae", "mse", "rmse", "r2"),
    ProblemType.BINARY: (
        CONFUSION_MATRIX,
        "recall",
        "precision",
        "accuracy",
        "recall" + _BCC,
        "precision" + _BCC,
        "accuracy" + _BCC,
        "true_positive_rate",
        "true_negative_rate",
        "false_positive_rate",
        "false_negative_rate",
        ROC_CURVE,
        PR_CURVE,
        "auc",
        "f0_5",
        "f1",
        "f2",
        "f0_5" + _BCC,
        "f1" + _BCC,
        "f2" + _BCC,
    ),
    ProblemType.MULTICLASS: (
        CONFUSION_MATRIX,
        "accuracy",
        "weighted_recall",
        "weighted_precision",
        "weighted_f0_5",
        "weighted_f1",
        "weighted_f2",
        "accuracy" + _BCC,
        "weighted_recall" + _BCC,
        "weighted_precision" + _BCC,
        "weighted_f0_5" + _BCC,
        "weighted_f1" + _BCC,
        "weighted_f2" + _BCC,
    ),
}
"""Key order of each metrics block as SageMaker writes it (the multiclass order is the AWS docs')."""

_GT, _LT = ComparisonOperator.GREATER_THAN, ComparisonOperator.LESS_THAN
REGRESSION_CONSTRAINTS: tuple[tuple[str, ComparisonOperator], ...] = (
    ("mae", _GT),
    ("mse", _GT),
    ("rmse", _GT),
    ("r2", _LT),
)
BINARY_CONSTRAINTS: tuple[tuple[str, ComparisonOperator], ...] = (
    ("recall", _LT),
    ("precision", _LT),
    ("accuracy", _LT),
    ("true_positive_rate", _LT),
    ("true_negative_rate", _LT),
    ("false_positive_rate", _GT),
    ("false_negative_rate", _GT),
    ("auc", _LT),
    ("f0_5", _LT),
    ("f1", _LT),
    ("f2", _LT),
)
MULTICLASS_CONSTRAINTS: tuple[tuple[str, ComparisonOperator], ...] = tuple(
    (name, _LT)
    for name in (
        "accuracy",
        "weighted_recall",
        "weighted_precision",
        "weighted_f0_5",
        "weighted_f1",
        "weighted_f2",
    )
)
"""The suggested constraints, in SageMaker's order (multiclass is our choice: spec 5.3 UNVERIFIED)."""


# -- models ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricValue:
    """One metric: its value and the standard deviation over subsamples (NaN below 200 records)."""

    value: float
    standard_deviation: float = math.nan


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts by actual label, then by predicted label: ``counts["1"]["0"]`` = false negatives."""

    counts: dict[str, dict[str, int]]

    def count(self, actual: str, predicted: str) -> int:
        return self.counts.get(actual, {}).get(predicted, 0)


@dataclass(frozen=True)
class RocCurve:
    false_positive_rates: tuple[float, ...]
    true_positive_rates: tuple[float, ...]


@dataclass(frozen=True)
class PrecisionRecallCurve:
    precisions: tuple[float, ...]
    recalls: tuple[float, ...]


@dataclass(frozen=True)
class ModelQualityStatistics:
    """A model-quality statistics.json.

    ``metrics`` maps metric names to values in file order. ``evaluation_time`` (SageMaker writes it since
    2023, ``"2023-03-30T21:08:34.729Z"``) is left out of the file when ``None``. ``block_extra`` keeps
    members of the metrics block that are neither metrics nor the known curve/matrix objects, ``extra``
    unknown top-level keys; both are written back after the known keys.
    """

    problem_type: ProblemType
    item_count: int
    metrics: dict[str, MetricValue]
    confusion_matrix: ConfusionMatrix | None = None
    roc_curve: RocCurve | None = None
    precision_recall_curve: PrecisionRecallCurve | None = None
    evaluation_time: str | None = None
    version: float = 0.0
    block_extra: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def metric(self, name: str) -> MetricValue | None:
        return self.metrics.get(name)


@dataclass(frozen=True)
class MetricConstraint:
    threshold: float
    comparison_operator: ComparisonOperator
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelQualityConstraints:
    """A model-quality constraints.json: metric name → threshold and operator, in file order."""

    problem_type: ProblemType
    constraints: dict[str, MetricConstraint]
    version: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QualityViolation:
    """One entry of a model-quality constraint_violations.json (key order as SageMaker writes it)."""

    constraint_check_type: str
    description: str
    metric_name: str


@dataclass(frozen=True)
class ModelQualityViolations:
    violations: tuple[QualityViolation, ...] = ()


# -- statistics.json ------------------------------------------------------------------------------


def _metric_dict(m: MetricValue) -> dict[str, float]:
    return {"value": float(m.value), "standard_deviation": float(m.standard_deviation)}


def model_quality_statistics_to_json(s: ModelQualityStatistics) -> str:
    """Write ``s`` as SageMaker's statistics.json text (Jackson layout, Java doubles, no trailing LF)."""
    dataset: dict[str, Any] = {"item_count": int(s.item_count)}
    if s.evaluation_time is not None:
        dataset["evaluation_time"] = s.evaluation_time
    special: dict[str, Any] = {}
    if s.confusion_matrix is not None:
        special[CONFUSION_MATRIX] = {
            actual: {predicted: int(n) for predicted, n in row.items()}
            for actual, row in s.confusion_matrix.counts.items()
        }
    if s.roc_curve is not None:
        special[ROC_CURVE] = {
            "false_positive_rates": [float(x) for x in s.roc_curve.false_positive_rates],
            "true_positive_rates": [float(x) for x in s.roc_curve.true_positive_rates],
        }
    if s.precision_recall_curve is not None:
        special[PR_CURVE] = {
            "precisions": [float(x) for x in s.precision_recall_curve.precisions],
            "recalls": [float(x) for x in s.precision_recall_curve.recalls],
        }
    block: dict[str, Any] = {}
    for name in METRIC_ORDER[s.problem_type]:
        if name in special:
            block[name] = special.pop(name)
        elif name in s.metrics:
            block[name] = _metric_dict(s.metrics[name])
    block.update(special)
    for name, metric in s.metrics.items():
        block.setdefault(name, _metric_dict(metric))
    for key, value in s.block_extra.items():
        block.setdefault(key, value)
    doc: dict[str, Any] = {
        "version": float(s.version),
        "dataset": dataset,
        METRIC_BLOCKS[s.problem_type]: block,
    }
    for key, value in s.extra.items():
        doc.setdefault(key, value)
    return jackson.dumps(doc)


def _problem_type(root: Node, blocks: dict[ProblemType, str]) -> tuple[ProblemType, Node]:
    found = [(problem, node) for problem, key in blocks.items() if (node := root.opt(key)) is not None]
    if len(found) != 1:
        expected = ", ".join(repr(key) for key in blocks.values())
        what = "none" if not found else ", ".join(repr(blocks[p]) for p, _ in found)
        raise root.error(f"expected exactly one of {expected}; found {what}")
    return found[0]


def _is_metric(node: Node) -> bool:
    return isinstance(node.value, dict) and "value" in node.value


def _confusion_from_node(node: Node) -> ConfusionMatrix:
    counts: dict[str, dict[str, int]] = {}
    actuals = node.keys()
    for actual in actuals:
        row = node.child(actual)
        predicted_labels = row.keys()
        counts[actual] = {predicted: row.child(predicted).long() for predicted in predicted_labels}
    return ConfusionMatrix(counts)


def model_quality_statistics_from_json(text: str, *, file: str | None = None) -> ModelQualityStatistics:
    """Read a model-quality statistics.json (any JSON layout, any key order).

    Members of the metrics block that hold a ``value`` are metrics (``standard_deviation`` defaults to
    NaN); other unknown members are kept in ``block_extra``. Raises
    :class:`~modelwatch.errors.FormatError` naming ``file`` and the key path.
    """
    root = parse(text, file)
    problem, block = _problem_type(root, METRIC_BLOCKS)
    dataset = root.child("dataset")
    metrics: dict[str, MetricValue] = {}
    confusion = roc = pr = None
    block_extra: dict[str, Any] = {}
    keys = block.keys()
    for key in keys:
        node = block.child(key)
        if key == CONFUSION_MATRIX:
            confusion = _confusion_from_node(node)
        elif key == ROC_CURVE:
            roc = RocCurve(
                node.child("false_positive_rates").doubles(), node.child("true_positive_rates").doubles()
            )
        elif key == PR_CURVE:
            pr = PrecisionRecallCurve(node.child("precisions").doubles(), node.child("recalls").doubles())
        elif _is_metric(node):
            std = node.opt("standard_deviation")
            metrics[key] = MetricValue(node.child("value").double(), std.double() if std else math.nan)
        else:
            block_extra[key] = node.value
    evaluation_time = t.string() if (t := dataset.opt("evaluation_time")) else None
    return ModelQualityStatistics(
        problem_type=problem,
        item_count=dataset.child("item_count").long(),
        metrics=metrics,
        confusion_matrix=confusion,
        roc_curve=roc,
        precision_recall_curve=pr,
        evaluation_time=evaluation_time,
        version=v.double() if (v := root.opt("version")) else 0.0,
        block_extra=block_extra,
        extra=root.extra(("version", "dataset", METRIC_BLOCKS[problem])),
    )


# -- constraints.json -----------------------------------------------------------------------------


def model_quality_constraints_to_json(c: ModelQualityConstraints) -> str:
    """Write ``c`` as SageMaker's model-quality constraints.json text."""
    block: dict[str, Any] = {}
    for name, constraint in c.constraints.items():
        entry: dict[str, Any] = {
            "threshold": float(constraint.threshold),
            "comparison_operator": str(constraint.comparison_operator),
        }
        for key, value in constraint.extra.items():
            entry.setdefault(key, value)
        block[name] = entry
    doc: dict[str, Any] = {"version": float(c.version), CONSTRAINT_BLOCKS[c.problem_type]: block}
    for key, value in c.extra.items():
        doc.setdefault(key, value)
    return jackson.dumps(doc)


def model_quality_constraints_from_json(text: str, *, file: str | None = None) -> ModelQualityConstraints:
    """Read a model-quality constraints.json (hand-edited files welcome: any layout, int thresholds).

    Every constraint needs ``threshold`` and ``comparison_operator`` (one of :class:`ComparisonOperator`).
    Raises :class:`~modelwatch.errors.FormatError` naming ``file`` and the key path.
    """
    root = parse(text, file)
    problem, block = _problem_type(root, CONSTRAINT_BLOCKS)
    constraints: dict[str, MetricConstraint] = {}
    names = block.keys()
    for name in names:
        node = block.child(name)
        constraints[name] = MetricConstraint(
            threshold=node.child("threshold").double(),
            comparison_operator=node.child("comparison_operator").enum(ComparisonOperator),
            extra=node.extra(("threshold", "comparison_operator")),
        )
    return ModelQualityConstraints(
        problem_type=problem,
        constraints=constraints,
        version=v.double() if (v := root.opt("version")) else 0.0,
        extra=root.extra(("version", CONSTRAINT_BLOCKS[problem])),
    )


# -- constraint_violations.json -------------------------------------------------------------------


def model_quality_violations_to_json(v: ModelQualityViolations) -> str:
    """Write ``v`` as a model-quality constraint_violations.json (``"violations" : [ ]`` when empty)."""
    items = [
        {
            "constraint_check_type": x.constraint_check_type,
            "description": x.description,
            "metric_name": x.metric_name,
        }
        for x in v.violations
    ]
    return jackson.dumps({"violations": items})


def model_quality_violations_from_json(text: str, *, file: str | None = None) -> ModelQualityViolations:
    """Read a model-quality constraint_violations.json (unknown keys are ignored)."""
    root = parse(text, file)
    return ModelQualityViolations(
        tuple(
            QualityViolation(
                constraint_check_type=item.child("constraint_check_type").string(),
                description=item.child("description").string(),
                metric_name=item.child("metric_name").string(),
            )
            for item in root.child("violations").items()
        )
    )
