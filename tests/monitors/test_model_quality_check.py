"""Model-quality checks: SageMaker's violation texts and order, operators, and the written files."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest

from modelwatch.errors import ValidationError
from modelwatch.formats.model_quality import (
    BINARY_CONSTRAINTS,
    ComparisonOperator,
    MetricConstraint,
    MetricValue,
    ModelQualityConstraints,
    ModelQualityStatistics,
    model_quality_constraints_from_json,
    model_quality_statistics_from_json,
)
from modelwatch.monitors.model_quality import (
    ProblemType,
    check_quality,
    quality_metrics,
    quality_statistics,
    quality_statistics_batches,
    read_quality_constraints,
    run_quality_check,
    suggest_quality_constraints,
    violation_metric_name,
)

GOLDEN = Path(__file__).parents[1] / "golden" / "sagemaker-sdk" / "quality_check_step" / "model_quality"

# A real SageMaker model-quality execution (aws/amazon-sagemaker-examples, model_quality_churn_sdk.ipynb):
# the baseline thresholds, the window's values and standard deviations, and the violations it wrote,
# in its order. f0_5 was below its threshold too, but SageMaker reported no violation for it.
THRESHOLDS = {
    "recall": 0.5714285714285714,
    "precision": 1.0,
    "accuracy": 0.9402985074626866,
    "true_positive_rate": 0.5714285714285714,
    "true_negative_rate": 1.0,
    "false_positive_rate": 0.0,
    "false_negative_rate": 0.4285714285714286,
    "auc": 0.9395127993393898,
    "f0_5": 0.8695652173913042,
    "f1": 0.7272727272727273,
    "f2": 0.625,
}
WINDOW = {
    "recall": (0.11353711790393013, 0.002574434249783218),
    "precision": (0.6933333333333334, 0.008913499334568326),
    "accuracy": (0.31976744186046513, 0.00424371790418494),
    "true_positive_rate": (0.11353711790393013, 0.002574434249783218),
    "true_negative_rate": (0.8667953667953667, 0.003088585432650151),
    "false_positive_rate": (0.13320463320463322, 0.003088585432650178),
    "false_negative_rate": (0.8864628820960698, 0.002574434249783216),
    "auc": (0.5127590160341251, 0.007142408259978924),
    "f0_5": (0.34011627906976744, 0.005),
    "f1": (0.19512195121951217, 0.003988472303075431),
    "f2": (0.13633980073413737, 0.0030045699484029633),
}
SAGEMAKER_DESCRIPTIONS = [
    "Metric auc with 0.5127590160341251 +/- 0.007142408259978924 was LessThanThreshold '0.9395127993393898'",
    "Metric precision with 0.6933333333333334 +/- 0.008913499334568326 was LessThanThreshold '1.0'",
    "Metric truePositiveRate with 0.11353711790393013 +/- 0.002574434249783218"
    " was LessThanThreshold '0.5714285714285714'",
    "Metric f1 with 0.19512195121951217 +/- 0.003988472303075431 was LessThanThreshold '0.7272727272727273'",
    "Metric accuracy with 0.31976744186046513 +/- 0.00424371790418494"
    " was LessThanThreshold '0.9402985074626866'",
    "Metric falsePositiveRate with 0.13320463320463322 +/- 0.003088585432650178"
    " was GreaterThanThreshold '0.0'",
    "Metric trueNegativeRate with 0.8667953667953667 +/- 0.003088585432650151 was LessThanThreshold '1.0'",
    "Metric falseNegativeRate with 0.8864628820960698 +/- 0.002574434249783216"
    " was GreaterThanThreshold '0.4285714285714286'",
    "Metric recall with 0.11353711790393013 +/- 0.002574434249783218"
    " was LessThanThreshold '0.5714285714285714'",
    "Metric f2 with 0.13633980073413737 +/- 0.0030045699484029633 was LessThanThreshold '0.625'",
]


def churn_constraints() -> ModelQualityConstraints:
    return ModelQualityConstraints(
        ProblemType.BINARY, {name: MetricConstraint(THRESHOLDS[name], op) for name, op in BINARY_CONSTRAINTS}
    )


def churn_window() -> ModelQualityStatistics:
    return ModelQualityStatistics(ProblemType.BINARY, 1892, {k: MetricValue(*v) for k, v in WINDOW.items()})


def test_reproduces_a_real_sagemaker_violations_file() -> None:
    found = check_quality(churn_window(), churn_constraints(), skip_f0_5=True)
    assert [v.description for v in found] == SAGEMAKER_DESCRIPTIONS
    for violation in found:  # "Metric {metric_name} with … was {constraint_check_type} '…'"
        assert violation.description.startswith(f"Metric {violation.metric_name} with ")
        assert f" was {violation.constraint_check_type} '" in violation.description


def test_f0_5_is_checked_by_default_in_sagemakers_order() -> None:
    found = check_quality(churn_window(), churn_constraints())
    names = [v.metric_name for v in found]
    assert len(found) == 11
    assert names.index("f0_5") == names.index("falsePositiveRate") + 1
    assert found[names.index("f0_5")].description == (
        "Metric f0_5 with 0.34011627906976744 +/- 0.005 was LessThanThreshold '0.8695652173913042'"
    )


def test_golden_bad_case_violates_mse_only() -> None:
    statistics = model_quality_statistics_from_json((GOLDEN / "statistics.json").read_text())
    bad = model_quality_constraints_from_json((GOLDEN / "bad_cases" / "constraints.json").read_text())
    good = model_quality_constraints_from_json((GOLDEN / "good_cases" / "constraints.json").read_text())
    assert check_quality(statistics, good) == []  # a value equal to its threshold passes
    [violation] = check_quality(statistics, bad)
    assert violation.metric_name == "mse"
    assert violation.constraint_check_type == "GreaterThanThreshold"
    assert violation.description == (
        "Metric mse with 0.33364933609800973 +/- NaN was GreaterThanThreshold '0.03364933609800973'"
    )


def test_regression_violations_keep_constraint_order() -> None:
    statistics = model_quality_statistics_from_json((GOLDEN / "statistics.json").read_text())
    tight = ModelQualityConstraints(
        ProblemType.REGRESSION,
        {
            "r2": MetricConstraint(0.0, ComparisonOperator.LESS_THAN),
            "rmse": MetricConstraint(0.1, ComparisonOperator.GREATER_THAN),
            "mae": MetricConstraint(0.1, ComparisonOperator.GREATER_THAN),
        },
    )
    assert [v.metric_name for v in check_quality(statistics, tight)] == ["r2", "rmse", "mae"]


@pytest.mark.parametrize(
    ("operator", "value", "violated"),
    [
        (ComparisonOperator.GREATER_THAN, 0.5, False),
        (ComparisonOperator.GREATER_THAN, 0.6, True),
        (ComparisonOperator.LESS_THAN, 0.5, False),
        (ComparisonOperator.LESS_THAN, 0.4, True),
        (ComparisonOperator.GREATER_THAN_OR_EQUAL, 0.5, True),
        (ComparisonOperator.LESS_THAN_OR_EQUAL, 0.5, True),
        (ComparisonOperator.LESS_THAN_OR_EQUAL, 0.6, False),
        (ComparisonOperator.LESS_THAN, math.nan, False),
        (ComparisonOperator.GREATER_THAN, math.nan, False),
    ],
)
def test_operators(operator: ComparisonOperator, value: float, violated: bool) -> None:
    statistics = ModelQualityStatistics(ProblemType.REGRESSION, 10, {"mae": MetricValue(value)})
    constraints = ModelQualityConstraints(ProblemType.REGRESSION, {"mae": MetricConstraint(0.5, operator)})
    found = check_quality(statistics, constraints)
    assert bool(found) is violated
    if found:
        assert found[0].constraint_check_type == str(operator)


def test_problem_type_mismatch_and_unknown_metrics(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValidationError, match="constraints are for Regression"):
        check_quality(churn_window(), ModelQualityConstraints(ProblemType.REGRESSION, {}))
    constraints = ModelQualityConstraints(
        ProblemType.BINARY, {"au_prc": MetricConstraint(0.9, ComparisonOperator.LESS_THAN)}
    )
    with caplog.at_level(logging.WARNING):
        assert check_quality(churn_window(), constraints) == []
    assert "au_prc" in caplog.text


def test_violation_names() -> None:
    assert violation_metric_name("false_negative_rate") == "falseNegativeRate"
    assert violation_metric_name("f1") == "f1"
    assert violation_metric_name("weighted_f1") == "weighted_f1"


def test_a_degraded_window_violates_its_baseline(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 2, 1000)
    good = np.clip(labels * 0.5 + rng.random(1000) * 0.5, 0, 1)
    baseline = quality_statistics(ProblemType.BINARY, labels=labels, probabilities=good)
    constraints = suggest_quality_constraints(baseline)
    assert check_quality(baseline, constraints) == []
    worse = quality_statistics(ProblemType.BINARY, labels=labels, probabilities=rng.random(1000))
    result = run_quality_check(worse, str(tmp_path), constraints=constraints)
    names = {v.metric_name for v in result.violations}
    assert {"auc", "accuracy", "f1"} <= names
    written = json.loads((tmp_path / "constraint_violations.json").read_text())
    assert [v["metric_name"] for v in written["violations"]] == [v.metric_name for v in result.violations]
    assert list(written["violations"][0]) == ["constraint_check_type", "description", "metric_name"]
    assert model_quality_statistics_from_json((tmp_path / "statistics.json").read_text()).item_count == 1000
    assert result.violations_uri == str(tmp_path / "constraint_violations.json")


def test_run_without_baseline_writes_statistics_only(tmp_path: Path) -> None:
    statistics = quality_statistics(
        ProblemType.REGRESSION, labels=[1.0, 2.0, 3.0], predictions=[1.0, 2.5, 2.0]
    )
    result = run_quality_check(statistics, str(tmp_path), constraints=None)
    assert result.violations_uri is None and result.violations == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["statistics.json"]


def test_clean_window_writes_an_empty_violations_file(tmp_path: Path) -> None:
    statistics = model_quality_statistics_from_json((GOLDEN / "statistics.json").read_text())
    constraints = read_quality_constraints(str(GOLDEN / "good_cases" / "constraints.json"))
    run_quality_check(statistics, str(tmp_path), constraints=constraints)
    assert (tmp_path / "constraint_violations.json").read_text() == '{\n  "violations" : [ ]\n}'


def test_cloudwatch_metrics_are_the_metric_keys() -> None:
    labels = np.array([0, 1, 1, 0, 1, 1])
    statistics = quality_statistics(ProblemType.BINARY, labels=labels, predictions=[0, 1, 0, 0, 1, 1])
    metrics = dict(quality_metrics(statistics))
    assert metrics["accuracy"] == 5 / 6
    assert "recall_best_constant_classifier" in metrics and "f2" in metrics
    assert "confusion_matrix" not in metrics
    single = quality_statistics(ProblemType.BINARY, labels=[1, 1, 1], predictions=[1, 0, 1])
    names = [name for name, _ in quality_metrics(single)]
    assert "auc" not in names and "false_positive_rate" not in names  # NaN: undefined without negatives
    assert names[:3] == ["recall", "precision", "accuracy"]


def test_streamed_batches_equal_one_call() -> None:
    rng = np.random.default_rng(12)
    labels = rng.integers(0, 2, 900)
    scores = rng.random(900).round(3)
    whole = quality_statistics(ProblemType.BINARY, labels=labels, probabilities=scores, threshold=0.4)
    batches = ((labels[i : i + 250], None, scores[i : i + 250]) for i in range(0, 900, 250))
    streamed = quality_statistics_batches(
        "BinaryClassification", batches, threshold=0.4, evaluation_time="2024-01-01T00:00:00.000Z"
    )
    assert streamed.evaluation_time == "2024-01-01T00:00:00.000Z"
    assert streamed.metrics == whole.metrics
    assert streamed.roc_curve == whole.roc_curve and streamed.confusion_matrix == whole.confusion_matrix
