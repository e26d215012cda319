"""What the execution page and report.html draw, against independent computations: numpy histograms of
the raw data, pandas-free category counts, the checks' own violations, scikit-learn's confusion matrix
and ROC curve, and hand-written Clarify analyses. Also the overview's queries on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve
from ui_data import EVIL_FEATURE, SCHEDULE, T0, build, tables, write_execution_files

from modelwatch.analysis.profile import profile_table
from modelwatch.formats import statistics_to_json
from modelwatch.reports.files import read_json_file, without_sketch_data
from modelwatch.reports.results import load_results
from modelwatch.service import endpoints, schedules
from modelwatch.service.db import open_database
from modelwatch.service.executions import claim_executions, finish_execution
from modelwatch.service.metrics import record_metrics
from modelwatch.service.models import Execution
from modelwatch.service.schemas import EndpointSpec, ExecutionStatus, ScheduleSpec
from modelwatch.ui.overview import load_overview


def _results(tmp_path: Path):
    baseline, current = tables()
    output = tmp_path / "execution"
    statistics, constraints, _ = write_execution_files(output, baseline, current)
    return (
        load_results(str(output), baseline_statistics_uri=str(statistics), constraints_uri=str(constraints)),
        baseline,
        current,
        output,
    )


def test_numeric_histograms_over_the_same_range_are_the_exact_bucket_counts(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    values = rng.normal(5.0, 2.0, 1500)  # ≤ 2049 values: the KLL buckets count exactly
    folder = tmp_path / "same"
    folder.mkdir()
    (folder / "statistics.json").write_text(statistics_to_json(profile_table(pa.table({"x": values}))))
    results = load_results(str(folder), baseline_statistics_uri=str(folder / "statistics.json"))
    assert results.data_quality is not None
    (feature,) = results.data_quality.features
    expected, edges = np.histogram(values, bins=np.linspace(values.min(), values.max(), 11))
    baseline, current = feature.figure["data"]
    assert baseline["name"] == "baseline" and current["name"] == "current"
    for trace in (baseline, current):
        np.testing.assert_allclose(trace["y"], expected / values.size, rtol=1e-12)
        np.testing.assert_allclose(trace["x"], (edges[:-1] + edges[1:]) / 2, rtol=1e-12)


def test_histograms_over_different_ranges_share_their_bins_and_keep_mean_and_mass(tmp_path: Path) -> None:
    results, baseline, current, _ = _results(tmp_path)
    feature = next(f for f in results.data_quality.features if f.name == EVIL_FEATURE)
    base_trace, cur_trace = feature.figure["data"]
    assert base_trace["x"] is cur_trace["x"] or np.allclose(base_trace["x"], cur_trace["x"])
    width = float(np.asarray(base_trace["width"])[0])
    for trace, raw in ((base_trace, baseline[EVIL_FEATURE]), (cur_trace, current[EVIL_FEATURE])):
        shares = np.asarray(trace["y"])
        assert shares.sum() == pytest.approx(1.0)
        # spreading each KLL bucket evenly keeps the distribution's mean within a bin width
        assert float(np.dot(shares, trace["x"])) == pytest.approx(float(raw.mean()), abs=width)
    assert feature.current.mean == pytest.approx(float(current[EVIL_FEATURE].mean()))


def test_categorical_bars_are_the_share_of_each_category(tmp_path: Path) -> None:
    results, baseline, current, _ = _results(tmp_path)
    feature = next(f for f in results.data_quality.features if f.name == "plan")
    base_trace, cur_trace = feature.figure["data"]
    for trace, raw in ((base_trace, baseline["plan"]), (cur_trace, current["plan"])):
        names, counts = np.unique(raw, return_counts=True)
        expected = dict(zip(names.tolist(), (counts / raw.size).tolist(), strict=True))
        drawn = dict(zip(trace["x"], trace["y"], strict=True))
        assert drawn == pytest.approx({k: expected.get(k, 0.0) for k in drawn})
        assert set(expected) <= set(drawn)


def test_the_drift_chart_marks_the_features_that_the_checks_found_drifting(tmp_path: Path) -> None:
    results, _, _, output = _results(tmp_path)
    drift = json.loads((output / "drift.json").read_text())["features"]
    violated = {
        v["feature_name"]
        for v in json.loads((output / "constraint_violations.json").read_text())["violations"]
        if v["constraint_check_type"] == "baseline_drift_check"
    }
    assert violated  # the fixture's data drifts
    rows = {r.name: r for r in results.data_quality.drift_rows}
    for item in drift:
        row = rows[item["name"]]
        assert row.threshold == 0.1 and row.method in ("Robust", "LInfinity")
        assert row.checked == pytest.approx(item["linf_robust"])
        assert row.exceeded == (item["name"] in violated), item["name"]
    bars = results.data_quality.drift_figure["data"][0]
    red = {name for name, color in zip(bars["x"], bars["marker"]["color"], strict=True) if color == "#b00020"}
    assert red == {n.replace("<", "&lt;").replace(">", "&gt;") for n in violated}
    # violated features come first, each with its violations
    first = results.data_quality.features[0]
    assert first.violations and first.name in violated | {"income"}


def test_statistics_are_read_without_the_sketches(tmp_path: Path) -> None:
    _, _, _, output = _results(tmp_path)
    text = (output / "statistics.json").read_text()
    full, light = json.loads(text), json.loads(without_sketch_data(text))
    for a, b in zip(full["features"], light["features"], strict=True):
        sketch = a.get("numerical_statistics", {}).get("distribution", {}).get("kll", {}).get("sketch")
        if sketch is not None:
            assert sketch["data"] and b["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"] == []
            a["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"] = []
        assert a == b
    problems: list[str] = []
    assert read_json_file(str(output / "statistics.json"), problems, skip_sketches=True) == light
    (output / "broken.json").write_text("{not json")
    assert read_json_file(str(output / "broken.json"), problems) is None
    assert problems and "broken.json is not JSON" in problems[0]


def test_a_malformed_result_file_is_a_problem_not_a_failure(tmp_path: Path) -> None:
    _, _, _, output = _results(tmp_path)
    (output / "drift.json").write_text("[1, 2")
    results = load_results(str(output))
    assert any("drift.json is not JSON" in p for p in results.problems)
    assert results.data_quality is not None and results.data_quality.drift_rows == ()


def _binary_files(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 400)
    scores = np.clip(labels * 0.35 + rng.random(400) * 0.65, 0, 1)
    predicted = (scores > 0.5).astype(int)
    matrix = confusion_matrix(labels, predicted)
    fpr, tpr, _ = roc_curve(labels, scores)
    precision, recall, _ = precision_recall_curve(labels, scores)
    accuracy = float((labels == predicted).mean())
    block = {
        "confusion_matrix": {str(a): {str(p): float(matrix[a, p]) for p in range(2)} for a in range(2)},
        "accuracy": {"value": accuracy, "standard_deviation": 0.01},
        "auc": {"value": 0.9, "standard_deviation": "NaN"},
        "receiver_operating_characteristic_curve": {
            "false_positive_rates": fpr.tolist(),
            "true_positive_rates": tpr.tolist(),
        },
        "precision_recall_curve": {"precisions": precision.tolist(), "recalls": recall.tolist()},
    }
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"version": 0.0, "dataset": {"item_count": 400}, "binary_classification_metrics": block}
    (folder / "statistics.json").write_text(json.dumps(doc))
    base = {**doc, "binary_classification_metrics": {**block, "accuracy": {"value": 0.97}}}
    (folder / "baseline.json").write_text(json.dumps(base))
    limits = {
        "version": 0.0,
        "binary_classification_constraints": {
            "accuracy": {"threshold": 0.97, "comparison_operator": "LessThanThreshold"},
            "auc": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"},
        },
    }
    (folder / "constraints.json").write_text(json.dumps(limits))
    return matrix, fpr, tpr


def test_model_quality_metrics_confusion_matrix_and_curves(tmp_path: Path) -> None:
    matrix, fpr, tpr = _binary_files(tmp_path)
    results = load_results(
        str(tmp_path),
        baseline_statistics_uri=str(tmp_path / "baseline.json"),
        constraints_uri=str(tmp_path / "constraints.json"),
    )
    quality = results.model_quality
    assert quality is not None and results.data_quality is None
    assert quality.problem_type == "binary_classification" and quality.item_count == 400
    metrics = {m.name: m for m in quality.metrics}
    assert metrics["accuracy"].violated and metrics["accuracy"].baseline == 0.97
    assert (
        not metrics["auc"].violated and metrics["auc"].standard_deviation != metrics["auc"].standard_deviation
    )
    heat = quality.confusion_figure["data"][0]
    assert heat["z"] == matrix.tolist()  # rows: actual, columns: predicted, as scikit-learn
    current, baseline, chance = quality.roc_figure["data"]
    np.testing.assert_allclose(current["x"], fpr)
    np.testing.assert_allclose(current["y"], tpr)
    assert baseline["name"] == "baseline" and chance["name"] == "chance"
    assert quality.pr_figure is not None


def test_bias_metrics_per_facet_and_attributions_beside_the_baseline(tmp_path: Path) -> None:
    def analysis(shift: float) -> dict:
        metric = lambda name, value: {"name": name, "description": f"{name} of the facet", "value": value}  # noqa: E731
        return {
            "version": "1.0",
            "post_training_bias_metrics": {
                "label": "churn",
                "label_value_or_threshold": "1",
                "facets": {
                    "gender": [
                        {
                            "value_or_threshold": "F",
                            "metrics": [metric("DPPL", 0.1 + shift), metric("DI", "Infinity")],
                        },
                        {
                            "value_or_threshold": "M",
                            "metrics": [
                                {"name": "AD", "description": "", "value": None, "error": "no labels"}
                            ],
                        },
                    ]
                },
            },
            "explanations": {
                "kernel_shap": {
                    "label0": {
                        "global_shap_values": {"age": 0.3 + shift, "income": -0.5, EVIL_FEATURE: 0.01},
                        "expected_value": 0.4,
                    }
                }
            },
        }

    (tmp_path / "analysis.json").write_text(json.dumps(analysis(0.1)))
    (tmp_path / "baseline.json").write_text(json.dumps(analysis(0.0)))
    results = load_results(str(tmp_path), constraints_uri=str(tmp_path / "baseline.json"))
    female, male = results.bias
    assert (female.facet, female.value_or_threshold, female.stage) == ("gender", "F", "post-training")
    dppl, di = female.metrics
    assert dppl.value == pytest.approx(0.2) and dppl.baseline == pytest.approx(0.1)
    assert di.value == float("inf")
    assert male.metrics[0].error == "no labels"
    (label,) = results.explanations
    current, baseline = label.figure["data"][1], label.figure["data"][0]
    assert current["y"][:2] == ["income", "age"]  # by |attribution|
    assert current["x"][:2] == pytest.approx([-0.5, 0.4]) and baseline["x"][:2] == pytest.approx([-0.5, 0.3])
    assert "&lt;/script&gt;" in current["y"][2]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_overview_queries_on_both_databases(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, data_dir: Path
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'o.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    db = open_database(url)
    try:
        demo = build(db, tmp_path / "files")
        with db.session() as session:
            endpoints.create_endpoint(session, EndpointSpec(name="fraud"))
            spec = {
                "name": "fraud-mq",
                "monitoring_type": "ModelQuality",
                "schedule_expression": "cron(0 * ? * * *)",
                "definition": {
                    "endpoint_input": {"endpoint_name": "fraud", "inference_attribute": "0"},
                    "problem_type": "BinaryClassification",
                    "ground_truth_uri": str(tmp_path / "labels"),
                },
            }
            schedules.create_schedule(session, ScheduleSpec.model_validate(spec), now=T0)
            ids = []
            for hour in range(1, 31):  # more than a sparkline holds
                moment = T0 + timedelta(hours=hour)
                view = schedules.run_now(
                    session,
                    "fraud-mq",
                    window_start=moment - timedelta(hours=1),
                    window_end=moment,
                    now=moment,
                )
                ids.append(view.id)
            claim_executions(session, ids, "test")
            for i, ident in enumerate(ids):
                finish_execution(session, ident, ExecutionStatus.COMPLETED, violation_count=0)
                row = session.get(Execution, ident)
                record_metrics(session, row, [("auc", row.scheduled_time, 0.5 + i / 100)])
        with db.session(write=False) as session:
            page = load_overview(session, sort="health")
        rows = {r.name: r for r in page.rows}
        assert [r.name for r in page.rows] == ["churn", "fraud"]  # running before ok
        (churn,) = rows["churn"].schedules
        assert (churn.name, churn.last_id, churn.last_status) == (SCHEDULE, demo.running_id, "InProgress")
        assert churn.spark_label == "violations" and churn.spark == ""  # one known count only
        (fraud,) = rows["fraud"].schedules
        assert fraud.last_id == ids[-1] and fraud.spark_label == "auc"
        assert fraud.spark_last == pytest.approx(0.79)
        assert len(fraud.spark.split()) == 24  # the last 24 points
        assert rows["churn"].running == 1 and page.running == 1
    finally:
        db.dispose()
