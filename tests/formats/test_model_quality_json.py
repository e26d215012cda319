"""Model-quality statistics.json, constraints.json and constraint_violations.json: bytes and reading."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.errors import FormatError
from modelwatch.formats.model_quality import (
    METRIC_ORDER,
    ComparisonOperator,
    ConfusionMatrix,
    MetricConstraint,
    MetricValue,
    ModelQualityConstraints,
    ModelQualityStatistics,
    ModelQualityViolations,
    PrecisionRecallCurve,
    ProblemType,
    QualityViolation,
    RocCurve,
    model_quality_constraints_from_json,
    model_quality_constraints_to_json,
    model_quality_statistics_from_json,
    model_quality_statistics_to_json,
    model_quality_violations_from_json,
    model_quality_violations_to_json,
)

MQ = "quality_check_step/model_quality/"


def test_golden_statistics_read_and_write_back_byte_for_byte(golden: Callable[[str], str]) -> None:
    text = golden(MQ + "statistics.json")
    stats = model_quality_statistics_from_json(text, file="statistics.json")
    assert stats.problem_type is ProblemType.REGRESSION
    assert stats.item_count == 100
    assert stats.evaluation_time is None
    assert list(stats.metrics) == ["mae", "mse", "rmse", "r2"]
    assert stats.metrics["r2"].value == -3.208758170289026
    assert math.isnan(stats.metrics["mae"].standard_deviation)
    assert model_quality_statistics_to_json(stats) == text


@pytest.mark.parametrize("case", ["good_cases", "bad_cases"])
def test_golden_constraints_read_and_write_back_byte_for_byte(
    golden: Callable[[str], str], case: str
) -> None:
    text = golden(MQ + case + "/constraints.json")
    constraints = model_quality_constraints_from_json(text)
    assert constraints.problem_type is ProblemType.REGRESSION
    assert list(constraints.constraints) == ["mae", "mse", "rmse", "r2"]
    assert constraints.constraints["r2"].comparison_operator is ComparisonOperator.LESS_THAN
    assert constraints.constraints["mae"].comparison_operator is ComparisonOperator.GREATER_THAN
    assert model_quality_constraints_to_json(constraints) == text


def binary_statistics() -> ModelQualityStatistics:
    names = [
        n
        for n in METRIC_ORDER[ProblemType.BINARY]
        if not n.startswith(("confusion", "receiver", "precision_r"))
    ]
    return ModelQualityStatistics(
        ProblemType.BINARY,
        4,
        {
            name: MetricValue(0.25 * (i % 5), 0.01 if i % 2 else math.nan)
            for i, name in enumerate(reversed(names))
        },
        confusion_matrix=ConfusionMatrix({"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}),
        roc_curve=RocCurve((0.0, 0.5, 1.0, 1.0), (0.0, 1.0, 1.0, 1.0)),
        precision_recall_curve=PrecisionRecallCurve((0.5, 0.5, 0.25), (0.0, 1.0, 1.0)),
        evaluation_time="2023-03-30T21:08:34.729Z",
    )


def test_binary_statistics_layout_and_key_order() -> None:
    text = model_quality_statistics_to_json(binary_statistics())
    doc = json.loads(text)
    assert list(doc) == ["version", "dataset", "binary_classification_metrics"]
    assert doc["dataset"] == {"item_count": 4, "evaluation_time": "2023-03-30T21:08:34.729Z"}
    assert list(doc["binary_classification_metrics"]) == list(METRIC_ORDER[ProblemType.BINARY])
    assert (
        '    "confusion_matrix" : {\n      "0" : {\n        "0" : 1,\n        "1" : 2\n      },\n'
        '      "1" : {\n        "0" : 0,\n        "1" : 1\n      }\n    },\n    "recall" : {\n'
    ) in text
    assert (
        '    "receiver_operating_characteristic_curve" : {\n'
        '      "false_positive_rates" : [ 0.0, 0.5, 1.0, 1.0 ],\n'
        '      "true_positive_rates" : [ 0.0, 1.0, 1.0, 1.0 ]\n    },\n'
        '    "precision_recall_curve" : {\n'
        '      "precisions" : [ 0.5, 0.5, 0.25 ],\n      "recalls" : [ 0.0, 1.0, 1.0 ]\n    },\n'
    ) in text
    assert '"standard_deviation" : "NaN"' in text and not text.endswith("\n")
    assert _same(model_quality_statistics_from_json(text), binary_statistics())


def _same(a: ModelQualityStatistics, b: ModelQualityStatistics) -> bool:
    """Equality with NaN == NaN (dataclass equality treats NaN as unequal)."""
    return model_quality_statistics_to_json(a) == model_quality_statistics_to_json(b)


def test_reading_any_layout_keeps_unknown_members() -> None:
    # The key order and integral numbers of SageMaker's model-card test data, plus unknown members.
    text = json.dumps(
        {
            "binary_classification_metrics": {
                "accuracy": {"standard_deviation": "NaN", "value": 1},
                "au_prc": {"value": 0.5},
                "confusion_matrix": {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}},
                "notes": ["hand", "edited"],
            },
            "dataset": {"item_count": 4},
            "owner": "team-a",
        }
    )
    stats = model_quality_statistics_from_json(text)
    assert stats.metrics["accuracy"] == MetricValue(1.0, stats.metrics["accuracy"].standard_deviation)
    assert math.isnan(stats.metrics["au_prc"].standard_deviation)
    assert stats.confusion_matrix is not None and stats.confusion_matrix.count("0", "1") == 2
    assert stats.block_extra == {"notes": ["hand", "edited"]}
    assert stats.extra == {"owner": "team-a"}
    again = json.loads(model_quality_statistics_to_json(stats))
    assert list(again["binary_classification_metrics"]) == ["confusion_matrix", "accuracy", "au_prc", "notes"]
    assert again["owner"] == "team-a"


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ('{"version": 0.0, "dataset": {"item_count": 1}}', None, "expected exactly one of"),
        (
            '{"dataset": {"item_count": 1}, "regression_metrics": {}, "binary_classification_metrics": {}}',
            None,
            "found 'regression_metrics', 'binary_classification_metrics'",
        ),
        ('{"regression_metrics": {}}', "dataset", "required key is missing"),
        (
            '{"dataset": {"item_count": 1}, "regression_metrics": {"mae": {"value": "x"}}}',
            "regression_metrics.mae.value",
            "expected a number",
        ),
        (
            '{"dataset": {"item_count": 1}, "multiclass_classification_metrics": '
            '{"confusion_matrix": {"a": {"b": 1.5}}}}',
            "multiclass_classification_metrics.confusion_matrix.a.b",
            "expected an integer",
        ),
        ("{", None, "invalid JSON at line 1"),
    ],
)
def test_malformed_statistics_name_file_and_key(text: str, key: str | None, message: str) -> None:
    with pytest.raises(FormatError) as caught:
        model_quality_statistics_from_json(text, file="s3://b/statistics.json")
    assert caught.value.file == "s3://b/statistics.json"
    assert caught.value.key == key
    assert message in str(caught.value)


def test_constraints_layout_and_hand_edits() -> None:
    constraints = ModelQualityConstraints(
        ProblemType.BINARY,
        {
            "f2": MetricConstraint(0.625, ComparisonOperator.LESS_THAN),
            "false_positive_rate": MetricConstraint(1e-4, ComparisonOperator.GREATER_THAN_OR_EQUAL),
        },
    )
    text = model_quality_constraints_to_json(constraints)
    assert text == (
        '{\n  "version" : 0.0,\n  "binary_classification_constraints" : {\n'
        '    "f2" : {\n      "threshold" : 0.625,\n'
        '      "comparison_operator" : "LessThanThreshold"\n    },\n'
        '    "false_positive_rate" : {\n      "threshold" : 1.0E-4,\n'
        '      "comparison_operator" : "GreaterThanOrEqualToThreshold"\n    }\n  }\n}'
    )
    assert model_quality_constraints_from_json(text) == constraints
    edited = model_quality_constraints_from_json(
        '{"multiclass_classification_constraints": {"accuracy": {"threshold": 1, '
        '"comparison_operator": "LessThanThreshold", "note": "raised"}}}'
    )
    assert edited.constraints["accuracy"].threshold == 1.0
    assert '"note" : "raised"' in model_quality_constraints_to_json(edited)


def test_unknown_operator_names_the_key() -> None:
    with pytest.raises(FormatError) as caught:
        model_quality_constraints_from_json(
            '{"regression_constraints": {"mae": {"threshold": 1.0, "comparison_operator": "Bigger"}}}',
            file="constraints.json",
        )
    assert caught.value.key == "regression_constraints.mae.comparison_operator"
    assert "'GreaterThanThreshold'" in str(caught.value)


def test_violations_layout_and_round_trip() -> None:
    violations = ModelQualityViolations(
        (
            QualityViolation(
                "LessThanThreshold", "Metric auc with 0.51 +/- 0.007 was LessThanThreshold '0.94'", "auc"
            ),
        )
    )
    text = model_quality_violations_to_json(violations)
    assert text == (
        '{\n  "violations" : [ {\n    "constraint_check_type" : "LessThanThreshold",\n'
        '    "description" : "Metric auc with 0.51 +/- 0.007 was LessThanThreshold \'0.94\'",\n'
        '    "metric_name" : "auc"\n  } ]\n}'
    )
    assert model_quality_violations_from_json(text) == violations
    assert model_quality_violations_to_json(ModelQualityViolations()) == '{\n  "violations" : [ ]\n}'
    with pytest.raises(FormatError, match="metric_name"):
        model_quality_violations_from_json(
            '{"violations": [{"constraint_check_type": "x", "description": "y"}]}'
        )


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(list(ProblemType)),
    st.integers(0, 10**12),
    st.lists(st.tuples(finite, st.one_of(finite, st.just(math.nan))), min_size=1, max_size=12),
    st.lists(finite, max_size=20),
)
def test_statistics_round_trip(
    problem: ProblemType, items: int, values: list[tuple[float, float]], curve: list[float]
) -> None:
    special = ("confusion_matrix", "receiver_operating_characteristic_curve", "precision_recall_curve")
    names = [n for n in METRIC_ORDER[problem] if n not in special] + ["extra_metric"]
    metrics = {name: MetricValue(*v) for name, v in zip(names, values, strict=False)}
    binary = problem is ProblemType.BINARY
    stats = ModelQualityStatistics(
        problem,
        items,
        metrics,
        confusion_matrix=ConfusionMatrix({"x": {"x": items, "y\n": 0}}),
        roc_curve=RocCurve(tuple(curve), tuple(reversed(curve))) if binary else None,
        precision_recall_curve=PrecisionRecallCurve(tuple(curve), tuple(curve)) if binary else None,
    )
    text = model_quality_statistics_to_json(stats)
    assert model_quality_statistics_to_json(model_quality_statistics_from_json(text)) == text
    back = model_quality_statistics_from_json(text)
    assert back.item_count == items and list(back.metrics) == [
        n for n in METRIC_ORDER[problem] + ("extra_metric",) if n in metrics
    ]
