"""The model-quality baseline job: SageMaker's own regression baseline reproduced, inputs and errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from modelwatch.errors import DataError, ValidationError
from modelwatch.formats.model_quality import ComparisonOperator, model_quality_statistics_from_json
from modelwatch.monitors.model_quality import (
    ProblemType,
    QualityAttributes,
    column_index,
    suggest_quality_baseline,
)

GOLDEN = Path(__file__).parents[1] / "golden" / "sagemaker-sdk" / "quality_check_step" / "model_quality"


REGRESSION = QualityAttributes(inference_attribute="Prediction", ground_truth_attribute="Label")


@pytest.fixture
def golden_csv() -> Path:
    """SageMaker's input of the golden baseline (sagemaker-python-sdk tests/data/pipeline/...)."""
    return GOLDEN / "baseline_dataset.csv"


def test_golden_regression_baseline_is_byte_identical(golden_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = suggest_quality_baseline(
        str(golden_csv),
        str(out),
        problem_type=ProblemType.REGRESSION,
        attributes=REGRESSION,
        header=True,
        include_evaluation_time=False,
    )
    assert (out / "statistics.json").read_bytes() == (GOLDEN / "statistics.json").read_bytes()
    assert (out / "constraints.json").read_bytes() == (
        GOLDEN / "good_cases" / "constraints.json"
    ).read_bytes()
    assert result.statistics.item_count == 100
    assert result.constraints_uri == str(out / "constraints.json")


def test_baseline_writes_sagemakers_evaluation_time(golden_csv: Path, tmp_path: Path) -> None:
    when = datetime(2023, 3, 30, 21, 8, 34, 729_123, tzinfo=UTC)
    result = suggest_quality_baseline(
        str(golden_csv),
        str(tmp_path / "out"),
        problem_type="Regression",
        attributes=REGRESSION,
        header=True,
        evaluation_time=when,
    )
    text = Path(result.statistics_uri).read_text()
    assert '    "item_count" : 100,\n    "evaluation_time" : "2023-03-30T21:08:34.729Z"\n' in text
    without = text.replace(',\n    "evaluation_time" : "2023-03-30T21:08:34.729Z"', "")
    assert without == (GOLDEN / "statistics.json").read_text()


def test_columns_by_index_and_without_header(golden_csv: Path, tmp_path: Path) -> None:
    by_index = QualityAttributes(inference_attribute="8", ground_truth_attribute="7")
    first = suggest_quality_baseline(
        str(golden_csv),
        str(tmp_path / "a"),
        problem_type=ProblemType.REGRESSION,
        attributes=by_index,
        header=True,
    )
    headless = tmp_path / "headless.csv"
    headless.write_text(golden_csv.read_text().split("\n", 1)[1])
    second = suggest_quality_baseline(
        str(headless), str(tmp_path / "b"), problem_type=ProblemType.REGRESSION, attributes=by_index
    )
    expected = model_quality_statistics_from_json((GOLDEN / "statistics.json").read_text())
    assert first.statistics.metrics == second.statistics.metrics
    assert {k: v.value for k, v in first.statistics.metrics.items()} == {
        k: v.value for k, v in expected.metrics.items()
    }


def test_missing_column_names_the_attribute_and_the_columns(golden_csv: Path, tmp_path: Path) -> None:
    attributes = QualityAttributes(inference_attribute="prediction", ground_truth_attribute="Label")
    with pytest.raises(ValidationError) as caught:
        suggest_quality_baseline(
            str(golden_csv),
            str(tmp_path),
            problem_type=ProblemType.REGRESSION,
            attributes=attributes,
            header=True,
        )
    assert caught.value.field == "inference_attribute"
    assert (
        "'prediction'" in str(caught.value)
        and "'F1', 'F2'" in str(caught.value)
        and "'Label'" in str(caught.value)
    )
    assert not (tmp_path / "statistics.json").exists()


def test_missing_attributes_are_validation_errors(golden_csv: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        suggest_quality_baseline(
            str(golden_csv),
            str(tmp_path),
            problem_type=ProblemType.REGRESSION,
            attributes=QualityAttributes(inference_attribute="Prediction"),
            header=True,
        )
    assert caught.value.field == "ground_truth_attribute"
    with pytest.raises(ValidationError, match="inference attribute or a probability attribute"):
        suggest_quality_baseline(
            str(golden_csv),
            str(tmp_path),
            problem_type=ProblemType.BINARY,
            attributes=QualityAttributes(ground_truth_attribute="Label"),
            header=True,
        )


def test_bad_value_names_file_column_and_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("score,label\n0.2,0\n0.9,1\n0.4,maybe\n")
    attributes = QualityAttributes(probability_attribute="score", ground_truth_attribute="label")
    with pytest.raises(DataError) as caught:
        suggest_quality_baseline(
            str(path),
            str(tmp_path / "out"),
            problem_type=ProblemType.BINARY,
            attributes=attributes,
            header=True,
        )
    assert caught.value.file == str(path)
    assert caught.value.column == "label"
    assert "row 3: label 'maybe'" in str(caught.value)


def binary_frame(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = np.clip(0.35 * labels + rng.random(n) * 0.65, 0, 1).round(4)
    return labels, scores


def test_json_lines_baseline_with_jsonpath_attributes(tmp_path: Path) -> None:
    labels, scores = binary_frame(300, 1)
    lines = [
        json.dumps({"output": {"score": float(s), "label": int(s >= 0.6)}, "truth": str(y)})
        for y, s in zip(labels, scores, strict=True)
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n")
    attributes = QualityAttributes(
        inference_attribute="$.output.label",
        probability_attribute="$['output']['score']",
        ground_truth_attribute="truth",
        probability_threshold_attribute=0.6,
    )
    result = suggest_quality_baseline(
        str(path),
        str(tmp_path / "out"),
        problem_type=ProblemType.BINARY,
        attributes=attributes,
        dataset_format="json",
    )
    metrics = result.statistics.metrics
    assert metrics["accuracy"].value == pytest.approx(accuracy_score(labels, scores >= 0.6), abs=1e-12)
    assert metrics["auc"].value == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert metrics["auc"].standard_deviation > 0  # 300 records: subsample standard deviations
    assert list(result.constraints.constraints) == [
        "recall",
        "precision",
        "accuracy",
        "true_positive_rate",
        "true_negative_rate",
        "false_positive_rate",
        "false_negative_rate",
        "auc",
        "f0_5",
        "f1",
        "f2",
    ]
    assert result.constraints.constraints["auc"].threshold == metrics["auc"].value


def test_probability_threshold_makes_the_predicted_label(tmp_path: Path) -> None:
    labels, scores = binary_frame(150, 2)
    path = tmp_path / "scores.parquet"
    pq.write_table(pa.table({"p": scores, "y": labels}), path)
    attributes = QualityAttributes(
        probability_attribute="p", ground_truth_attribute="y", probability_threshold_attribute=0.7
    )
    result = suggest_quality_baseline(
        str(path),
        str(tmp_path / "out"),
        problem_type=ProblemType.BINARY,
        attributes=attributes,
        dataset_format="parquet",
    )
    assert result.statistics.metrics["accuracy"].value == pytest.approx(accuracy_score(labels, scores >= 0.7))


def test_multiclass_baseline_suggests_weighted_constraints(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 3, 120)
    predicted = np.where(rng.random(120) < 0.7, truth, rng.integers(0, 3, 120))
    path = tmp_path / "mc.csv"
    path.write_text("".join(f"{p},{t}\n" for p, t in zip(predicted, truth, strict=True)))
    attributes = QualityAttributes(inference_attribute="0", ground_truth_attribute="1")
    result = suggest_quality_baseline(
        str(path), str(tmp_path / "out"), problem_type=ProblemType.MULTICLASS, attributes=attributes
    )
    constraints = result.constraints.constraints
    assert list(constraints) == [
        "accuracy",
        "weighted_recall",
        "weighted_precision",
        "weighted_f0_5",
        "weighted_f1",
        "weighted_f2",
    ]
    assert all(c.comparison_operator is ComparisonOperator.LESS_THAN for c in constraints.values())
    assert constraints["accuracy"].threshold == accuracy_score(truth, predicted)
    written = json.loads((tmp_path / "out" / "constraints.json").read_text())
    assert list(written) == ["version", "multiclass_classification_constraints"]


@pytest.mark.parametrize(
    ("value", "index"),
    [("b", 1), ("1", 1), ("$.b", 1), ("$['x']['y']", 2), ('$["x"].y', 2), ("$[0]", 0), ("0", 0), ("x.y", 2)],
)
def test_column_index_forms(value: str, index: int) -> None:
    assert column_index("inference_attribute", value, ["a", "b", "x.y"]) == index


def test_a_column_named_like_an_index_wins() -> None:
    assert column_index("ground_truth_attribute", "0", ["1", "0"]) == 1
    with pytest.raises(ValidationError, match="no column '5'"):
        column_index("ground_truth_attribute", "5", ["a", "b"])


def test_attributes_from_job_environment() -> None:
    env = {
        "inference_attribute": "prediction",
        "probability_attribute": "probability",
        "ground_truth_attribute": "label",
        "probability_threshold_attribute": "0.8",
        "problem_type": "BinaryClassification",
    }
    assert QualityAttributes.from_environment(env) == QualityAttributes(
        "prediction", "probability", 0.8, "label"
    )
    with pytest.raises(ValidationError) as caught:
        QualityAttributes.from_environment({"probability_threshold_attribute": "high"})
    assert caught.value.field == "probability_threshold_attribute"
