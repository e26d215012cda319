"""The model-quality part of an execution's results (statistics.json with a ``*_metrics`` block,
spec 5.2): metric values next to the baseline's and the constraint thresholds, the confusion matrix,
the ROC and precision–recall curves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelwatch.reports import charts
from modelwatch.reports.data_quality import number

__all__ = ["ModelQualityResults", "QualityMetric", "metrics_block", "model_quality_results"]

_CURVES = ("receiver_operating_characteristic_curve", "precision_recall_curve", "confusion_matrix")


@dataclass(frozen=True)
class QualityMetric:
    name: str
    value: float | None
    standard_deviation: float | None
    baseline: float | None = None
    threshold: float | None = None
    operator: str | None = None

    @property
    def violated(self) -> bool:
        if self.value is None or self.threshold is None or self.operator is None:
            return False
        return {
            "LessThanThreshold": self.value < self.threshold,
            "GreaterThanThreshold": self.value > self.threshold,
            "LessThanOrEqualToThreshold": self.value <= self.threshold,
            "GreaterThanOrEqualToThreshold": self.value >= self.threshold,
        }.get(self.operator, False)


@dataclass(frozen=True)
class ModelQualityResults:
    problem_type: str  # regression | binary_classification | multiclass_classification
    item_count: int | None
    metrics: tuple[QualityMetric, ...]
    confusion_figure: charts.Figure | None = None
    roc_figure: charts.Figure | None = None
    pr_figure: charts.Figure | None = None


def metrics_block(doc: Any, suffix: str = "_metrics") -> tuple[str, Mapping[str, Any]] | None:
    """The ``<problem>{suffix}`` block of a model-quality file and the problem's name."""
    if not isinstance(doc, Mapping):
        return None
    for key, value in doc.items():
        if isinstance(key, str) and key.endswith(suffix) and isinstance(value, Mapping):
            return key.removesuffix(suffix), value
    return None


def _confusion(matrix: Any) -> charts.Figure | None:
    if not isinstance(matrix, Mapping) or not matrix:
        return None
    labels = sorted(
        {str(k) for k in matrix}
        | {str(p) for row in matrix.values() if isinstance(row, Mapping) for p in row}
    )
    counts = [
        [number((matrix.get(actual) or {}).get(predicted)) or 0.0 for predicted in labels]
        for actual in labels
    ]
    return charts.confusion_matrix_figure(labels, counts)


def _curve(node: Any, x_key: str, y_key: str) -> tuple[list[float | None], list[float | None]] | None:
    if not isinstance(node, Mapping):
        return None
    xs, ys = node.get(x_key), node.get(y_key)
    if not isinstance(xs, list) or not isinstance(ys, list) or len(xs) != len(ys) or not xs:
        return None
    return [number(v) for v in xs], [number(v) for v in ys]


def _curves(
    current: Mapping[str, Any], baseline: Mapping[str, Any] | None, key: str, x_key: str, y_key: str
) -> list[tuple[str, list[float | None], list[float | None]]]:
    found = []
    for name, block in (("current", current), ("baseline", baseline)):
        if block is not None and (curve := _curve(block.get(key), x_key, y_key)) is not None:
            found.append((name, *curve))
    return found


def model_quality_results(
    current: Any, baseline: Any | None, constraints: Any | None
) -> ModelQualityResults | None:
    """The model-quality section, or None when ``current`` holds no ``*_metrics`` block."""
    found = metrics_block(current)
    if found is None:
        return None
    problem, block = found
    base_block = (metrics_block(baseline) or ("", None))[1]
    limits = (metrics_block(constraints, "_constraints") or ("", {}))[1]
    metrics = []
    for name, node in block.items():
        if name in _CURVES or not isinstance(node, Mapping) or "value" not in node:
            continue
        limit = limits.get(name) if isinstance(limits, Mapping) else None
        base_node = base_block.get(name) if isinstance(base_block, Mapping) else None
        metrics.append(
            QualityMetric(
                name=name,
                value=number(node.get("value")),
                standard_deviation=number(node.get("standard_deviation")),
                baseline=number(base_node.get("value")) if isinstance(base_node, Mapping) else None,
                threshold=number(limit.get("threshold")) if isinstance(limit, Mapping) else None,
                operator=str(limit.get("comparison_operator")) if isinstance(limit, Mapping) else None,
            )
        )
    roc = _curves(block, base_block, _CURVES[0], "false_positive_rates", "true_positive_rates")
    pr = _curves(block, base_block, _CURVES[1], "recalls", "precisions")
    count = number((current.get("dataset") or {}).get("item_count")) if isinstance(current, Mapping) else None
    return ModelQualityResults(
        problem_type=problem,
        item_count=int(count) if count is not None else None,
        metrics=tuple(metrics),
        confusion_figure=_confusion(block.get("confusion_matrix")),
        roc_figure=charts.curve_figure(
            roc, x_title="false positive rate", y_title="true positive rate", diagonal=True
        )
        if roc
        else None,
        pr_figure=charts.curve_figure(pr, x_title="recall", y_title="precision") if pr else None,
    )
