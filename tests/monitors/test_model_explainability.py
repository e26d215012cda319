"""The explainability monitor: analysis.json explanations, the baseline job, drift violations, metrics."""

from __future__ import annotations

import csv
import json

import numpy as np
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

from modelwatch.analysis.attributions import explain
from modelwatch.analysis.ndcg import ndcg
from modelwatch.analysis.shap_config import ShapConfig, summarize_background
from modelwatch.errors import DataError, FormatError, ValidationError
from modelwatch.formats import jackson
from modelwatch.monitors.model_explainability import (
    AttributionViolation,
    attribution_drift_scores,
    attribution_metric_points,
    attribution_metrics,
    attribution_violations_to_json,
    check_attribution_drift,
    explain_rows,
    explanations_report,
    feature_matrix,
    read_analysis,
    suggest_explainability_baseline,
)
from modelwatch.monitors.predictor import LocalPredictor

FEATURES = ["age", "income", "tenure", "visits", "score"]
RNG = np.random.default_rng(42)
X = RNG.normal(size=(400, 5))
# model A depends mostly on age, then income; model B was retrained on data where visits decides
MODEL_A = LogisticRegression().fit(X, (2 * X[:, 0] + X[:, 1] > 0).astype(int))
MODEL_B = LogisticRegression().fit(X, (2 * X[:, 3] + 0.5 * X[:, 4] > 0).astype(int))
CONFIG = ShapConfig(num_samples=32, seed=5)


@pytest.fixture(scope="module")
def background():
    return summarize_background(X, 5)


def _report(model: LogisticRegression, rows: np.ndarray, background) -> dict:
    return {"version": "1.0", "explanations": explanations_report(
        CONFIG, LocalPredictor(model), rows, background, FEATURES
    )}  # fmt: skip


def test_explanations_report_layout_and_values(background) -> None:
    rows = X[:20]
    report = explanations_report(CONFIG, LocalPredictor(MODEL_A), rows, background, FEATURES, label="churn")
    reference = explain(LocalPredictor(MODEL_A), rows, background, CONFIG, feature_names=FEATURES)
    assert list(report) == ["kernel_shap"]
    assert list(report["kernel_shap"]) == ["churn"]
    entry = report["kernel_shap"]["churn"]
    assert list(entry) == ["global_shap_values", "expected_value"]
    assert list(entry["global_shap_values"]) == FEATURES
    assert entry["global_shap_values"] == reference.global_shap_values("label0")
    assert entry["expected_value"] == pytest.approx(float(reference.expected_values[0]), abs=0)
    assert max(entry["global_shap_values"], key=entry["global_shap_values"].get) == "age"
    assert all(isinstance(v, float) for v in entry["global_shap_values"].values())


def test_rows_can_be_an_arrow_table_of_strings(background) -> None:
    table = pa.table({name: [repr(v) for v in X[:6, j].tolist()] for j, name in enumerate(FEATURES)})
    matrix, names = feature_matrix(table)
    np.testing.assert_array_equal(matrix, X[:6])
    assert names == FEATURES
    from_table = explain_rows(CONFIG, LocalPredictor(MODEL_A), table, background, None)
    from_numpy = explain_rows(CONFIG, LocalPredictor(MODEL_A), X[:6], background, FEATURES)
    np.testing.assert_array_equal(from_table.global_values, from_numpy.global_values)
    assert from_table.feature_names == tuple(FEATURES)


def test_non_numeric_and_missing_features_name_the_column() -> None:
    with pytest.raises(DataError) as caught:
        feature_matrix(pa.table({"a": ["1", "2"], "b": ["3", "cat"]}))
    assert caught.value.column == "b" and "row 2: value 'cat'" in str(caught.value)
    with pytest.raises(DataError) as caught:
        feature_matrix(pa.table({"a": [1.0, None]}))
    assert caught.value.column == "a" and "missing value" in str(caught.value)
    with pytest.raises(ValidationError, match="2 feature names"):
        feature_matrix(np.zeros((2, 3)), ["x", "y"])


# --------------------------------------------------------------------------------------------------
# baseline job


def test_suggest_baseline_writes_analysis_local_values_and_background(tmp_path) -> None:
    data = tmp_path / "train.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["churned", *FEATURES])
        for row, label in zip(X[:30], MODEL_A.predict(X[:30]), strict=True):
            writer.writerow([int(label), *map(repr, row.tolist())])
    out = tmp_path / "baseline"
    config = ShapConfig(num_samples=32, seed=5, num_clusters=4)
    result = suggest_explainability_baseline(
        str(data), str(out), shap=config, predictor=LocalPredictor(MODEL_A), label="churned"
    )
    text = (out / "analysis.json").read_text()
    assert text == jackson.dumps(result.analysis)
    analysis = read_analysis(str(out / "analysis.json"))
    assert analysis["version"] == "1.0"
    expected = explain(
        LocalPredictor(MODEL_A), X[:30], summarize_background(X[:30], 4), config, feature_names=FEATURES
    )
    assert analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"] == pytest.approx(
        expected.global_shap_values("label0"), rel=1e-12
    )
    with (out / "explanations_shap" / "out.csv").open() as handle:
        local = list(csv.reader(handle))
    assert local[0] == [f"{name}_label0" for name in FEATURES]
    assert expected.local_values is not None
    np.testing.assert_allclose(np.array(local[1:], dtype=float), expected.local_values[0], rtol=1e-15)
    background = np.loadtxt(out / "explanations_shap" / "baseline.csv", delimiter=",", ndmin=2)
    np.testing.assert_array_equal(background, result.background.rows)
    assert result.background_uri is not None and result.local_values_uri is not None


def test_suggest_baseline_with_given_baseline_and_no_local_values(tmp_path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("\n".join(",".join(map(repr, row)) for row in X[:10].tolist()) + "\n")
    config = ShapConfig(baseline=tuple(map(tuple, X[100:103].tolist())), num_samples=32, seed=1,
                        save_local_shap_values=False)  # fmt: skip
    result = suggest_explainability_baseline(
        str(data), str(tmp_path / "out"), shap=config, predictor=LocalPredictor(MODEL_A),
        headers=FEATURES, header=False, label_headers=["churn"],
    )  # fmt: skip
    assert result.local_values_uri is None and result.background_uri is None
    assert not (tmp_path / "out" / "explanations_shap").exists()
    assert list(result.analysis["explanations"]["kernel_shap"]) == ["churn"]
    with pytest.raises(ValidationError) as caught:
        suggest_explainability_baseline(
            str(data), str(tmp_path / "out2"), shap=config, predictor=LocalPredictor(MODEL_A), header=False,
            label="nope",
        )  # fmt: skip
    assert caught.value.field == "label"


# --------------------------------------------------------------------------------------------------
# drift check


def test_a_retrained_model_that_relies_on_another_feature_violates(background) -> None:
    baseline = _report(MODEL_A, X[:25], background)
    same = _report(MODEL_A, X[200:225], background)
    retrained = _report(MODEL_B, X[200:225], background)
    assert check_attribution_drift(baseline, same) == []
    violations = check_attribution_drift(baseline, retrained)
    assert len(violations) == 1
    violation = violations[0]
    score = ndcg(
        baseline["explanations"]["kernel_shap"]["label0"]["global_shap_values"],
        retrained["explanations"]["kernel_shap"]["label0"]["global_shap_values"],
    )
    assert violation.ndcg == score < 0.9
    assert violation.description == f"Feature attribution drift {score!r} exceeds threshold 0.9"
    assert violation.to_json() == {
        "label": "label0",
        "metric_name": "shap",
        "constraint_check_type": "feature_attribution_drift_check",
        "description": violation.description,
    }
    assert attribution_drift_scores(baseline, same)["label0"] > 0.9


def test_the_same_rows_and_seed_give_ndcg_one(background) -> None:
    baseline = _report(MODEL_A, X[:15], background)
    assert attribution_drift_scores(baseline, _report(MODEL_A, X[:15], background)) == {"label0": 1.0}
    assert check_attribution_drift(baseline, baseline, threshold=1.0) == []


def test_threshold_is_configurable(background) -> None:
    baseline = _report(MODEL_A, X[:25], background)
    current = _report(MODEL_A, X[200:225], background)
    score = attribution_drift_scores(baseline, current)["label0"]
    assert check_attribution_drift(baseline, current, threshold=score) == []
    assert len(check_attribution_drift(baseline, current, threshold=min(1.0, score + 1e-9))) == (score < 1.0)
    with pytest.raises(ValidationError):
        check_attribution_drift(baseline, current, threshold=1.5)


def test_violations_file_layout() -> None:
    violation = AttributionViolation(
        "label0", "Feature attribution drift 0.7639720923277322 exceeds threshold 0.9", 0.76
    )
    text = attribution_violations_to_json([violation])
    assert json.loads(text) == {
        "version": "1.0",
        "violations": [
            {
                "label": "label0",
                "metric_name": "shap",
                "constraint_check_type": "feature_attribution_drift_check",
                "description": "Feature attribution drift 0.7639720923277322 exceeds threshold 0.9",
            }
        ],
    }
    assert text.startswith('{\n  "version" : "1.0",\n  "violations" : [ {\n    "label" : "label0",')
    assert json.loads(attribution_violations_to_json([])) == {"version": "1.0", "violations": []}


def test_clarify_docs_example_violates() -> None:
    baseline = {
        "explanations": {
            "kernel_shap": {
                "label0": {
                    "global_shap_values": {"SAT": 0.7, "GPA": 0.5, "Rank": 0.05},
                    "expected_value": 0.5,
                }
            }
        }
    }
    current = {"kernel_shap": {"label0": {"global_shap_values": {"SAT": 0.1, "GPA": 0.2, "Rank": 0.7}}}}
    (violation,) = check_attribution_drift(baseline, current)
    assert violation.description.startswith("Feature attribution drift 0.68763")
    assert violation.description.endswith(" exceeds threshold 0.9")
    # Jackson's "NaN"/"Infinity" strings are read back as numbers
    current["kernel_shap"]["label0"]["global_shap_values"]["Rank"] = "NaN"  # type: ignore[index]
    assert attribution_drift_scores(baseline, current)["label0"] == pytest.approx(
        ndcg({"SAT": 0.7, "GPA": 0.5, "Rank": 0.05}, {"SAT": 0.1, "GPA": 0.2, "Rank": 0.0})
    )


def test_malformed_reports_are_format_errors() -> None:
    good = {"explanations": {"kernel_shap": {"label0": {"global_shap_values": {"a": 1.0}}}}}
    with pytest.raises(FormatError) as caught:
        check_attribution_drift({"explanations": {}}, good)
    assert caught.value.key == "explanations.kernel_shap"
    with pytest.raises(FormatError) as caught:
        check_attribution_drift(
            good, {"explanations": {"kernel_shap": {"label1": {"global_shap_values": {}}}}}
        )
    assert caught.value.key == "explanations.kernel_shap.label0"
    with pytest.raises(FormatError) as caught:
        check_attribution_drift(
            good, {"explanations": {"kernel_shap": {"label0": {"global_shap_values": {"a": "x"}}}}}
        )
    assert caught.value.key == "explanations.kernel_shap.label0.global_shap_values.a"


def test_read_analysis_errors_name_the_file(tmp_path) -> None:
    bad = tmp_path / "analysis.json"
    bad.write_text("{nope")
    with pytest.raises(FormatError) as caught:
        read_analysis(str(bad))
    assert caught.value.file == str(bad)


# --------------------------------------------------------------------------------------------------
# metrics


def test_metrics() -> None:
    report = {"version": "1.0", "explanations": {"kernel_shap": {
        "label0": {"global_shap_values": {"age": 0.3, "income": 0.1}, "expected_value": 0.4},
        "label1": {"global_shap_values": {"age": 0.2, "income": 0.5}, "expected_value": 0.6},
    }}}  # fmt: skip
    assert attribution_metrics(report) == [("feature_age", 0.3), ("feature_income", 0.1)]
    assert attribution_metrics(report, label="label1") == [("feature_age", 0.2), ("feature_income", 0.5)]
    points = attribution_metric_points(report)
    assert [(p.label, p.name, p.value, p.value_type) for p in points] == [
        ("label0", "feature_age", 0.3, "GlobalShapValues"),
        ("label0", "feature_income", 0.1, "GlobalShapValues"),
        ("label0", "ExpectedValue", 0.4, "ExpectedValue"),
        ("label1", "feature_age", 0.2, "GlobalShapValues"),
        ("label1", "feature_income", 0.5, "GlobalShapValues"),
        ("label1", "ExpectedValue", 0.6, "ExpectedValue"),
    ]
    with pytest.raises(FormatError):
        attribution_metrics(report, label="label7")
