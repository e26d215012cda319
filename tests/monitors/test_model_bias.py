"""The model-bias monitor: bias_report, the baseline job, the bias-drift check and its metrics."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from modelwatch.analysis.bias import BiasAnalysisError
from modelwatch.errors import DataError, EmptyDatasetError, ValidationError
from modelwatch.formats.clarify import BiasMetric, BiasReport, BiasStage, FacetBias, bias_report_to_json
from modelwatch.monitors.clarify_config import parse_analysis_config
from modelwatch.monitors.model_bias import (
    INF_METRIC_VALUE,
    BiasDriftRule,
    bias_metric_points,
    bias_metrics,
    bias_report,
    check_bias_drift,
    read_bias_report,
    suggest_bias_baseline,
    write_bias_violations,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "bias"
SDK_CASE = json.loads((GOLDEN / "sagemaker_sdk_clarify_check_step.json").read_text())
SDK_CONFIG = parse_analysis_config(
    {
        "dataset_type": "text/csv",
        "headers": ["Label", "F1", "F2", "F3", "F4"],
        "label": "Label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "F1", "value_or_threshold": [0.5]}],
        "group_variable": "F2",
        "methods": {"pre_training_bias": {"methods": "all"}},
    }
)
MONITOR_CONFIG = parse_analysis_config(
    {
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}],
        "group_variable": "grp",
        "predicted_label": "yhat",
    },
    kind="bias_monitor",
)


def sdk_dataset(tmp_path: Path) -> str:
    """The SageMaker SDK's ClarifyCheck dataset without its header line (Clarify reads it with headers)."""
    path = tmp_path / "dataset.csv"
    path.write_text("\n".join(SDK_CASE["dataset_csv"].splitlines()[1:]) + "\n")
    return str(path)


def window(n: int, seed: int, *, penalty: float = 0.0) -> pa.Table:
    """Loan decisions by a model; ``penalty`` is the share of women it now refuses whatever the label."""
    r = np.random.default_rng(seed)
    female = r.random(n) < 0.4
    x1 = r.normal(size=n)
    y = (r.random(n) < 1 / (1 + np.exp(-(x1 - 0.2)))).astype(np.int64)
    yhat = np.where(r.random(n) < 0.15, 1 - y, y)
    yhat = np.where(female & (r.random(n) < penalty), 0, yhat)
    grp = r.choice(np.array(["g1", "g2", "g3"]), n)
    return pa.table({"x1": x1, "sex": np.where(female, "F", "M"), "grp": grp, "y": y, "yhat": yhat})


def test_baseline_job_writes_clarifys_analysis_json_byte_for_byte(tmp_path: Path) -> None:
    result = suggest_bias_baseline(sdk_dataset(tmp_path), SDK_CONFIG, str(tmp_path / "out"), header=False)
    written = (tmp_path / "out" / "analysis.json").read_text()
    assert written == (GOLDEN / "clarify_check_step_good_analysis.json").read_text()
    assert result.rows == 100 and result.analysis_uri.endswith("analysis.json")
    assert read_bias_report(result.analysis_uri) == result.report


def test_sdk_good_and_bad_baselines_give_the_sdk_integration_tests_outcome(tmp_path: Path) -> None:
    current = suggest_bias_baseline(
        sdk_dataset(tmp_path), SDK_CONFIG, str(tmp_path / "out"), header=False
    ).report
    good = read_bias_report(str(GOLDEN / "clarify_check_step_good_analysis.json"))
    bad = read_bias_report(str(GOLDEN / "clarify_check_step_bad_analysis.json"))
    assert check_bias_drift(good, current) == []
    (violation,) = check_bias_drift(bad, current)
    assert (violation.facet, violation.facet_value, violation.metric_name) == ("F1", "0.5", "KS")
    assert violation.description == "Value 0.015297906602254496 does not meet the constraint requirement"
    uri = write_bias_violations([violation], str(tmp_path / "check"))
    assert json.loads(Path(uri).read_text())["violations"][0]["constraint_check_type"] == "bias_drift_check"


def test_changed_treatment_of_one_facet_is_a_violation_and_a_fresh_sample_is_not() -> None:
    baseline = bias_report(MONITOR_CONFIG, window(20_000, 1))
    for seed in (2, 4, 5):  # fresh samples of the baseline's distribution
        assert check_bias_drift(baseline, bias_report(MONITOR_CONFIG, window(5_000, seed))) == []
    drifted = check_bias_drift(baseline, bias_report(MONITOR_CONFIG, window(5_000, 4, penalty=0.3)))
    names = {v.metric_name for v in drifted}
    assert {"DPPL", "DI", "CDDPL", "DCR", "AD"} <= names
    assert all(v.facet == "sex" and v.facet_value == "F" for v in drifted)
    assert all(v.stage == "post_training_bias_metrics" for v in drifted)  # the labels did not change
    # without the bootstrap (a small window) the same comparison flags noise too
    small = check_bias_drift(
        baseline, bias_report(MONITOR_CONFIG, window(5_000, 2)), rule=BiasDriftRule(bootstrap_min_rows=10**9)
    )
    assert small  # |cur| > |base| alone fires on sampling noise: why large windows use the bootstrap
    di = next(v for v in drifted if v.metric_name == "DI")
    assert isinstance(di.current, float) and abs(di.current - 1) > abs(
        float(di.baseline) - 1
    )  # DI's ideal is 1


def _report(**values: Any) -> BiasReport:
    metrics = tuple(
        BiasMetric(name, name, value, None if value is not None else "failed")
        for name, value in values.items()
    )
    return BiasReport(post_training=BiasStage("y", "1", {"sex": (FacetBias("F", metrics),)}))


def test_deterministic_rule_follows_the_documented_examples() -> None:
    base = _report(DPPL=0.2, DI=0.8, TE=1.0, AD=None, DCA=0.1, RD=-0.1)
    current = _report(DPPL=-0.3, DI=1.1, TE=math.inf, AD=0.9, DCA=0.1, RD=0.05)
    names = [v.metric_name for v in check_bias_drift(base, current)]
    assert names == ["DPPL", "TE"]  # DI: |1.1 - 1| < |0.8 - 1|; errors and equal values never violate
    assert check_bias_drift(base, _report(DPPL=0.1)) == []
    assert [
        v.metric_name for v in check_bias_drift(base, _report(DPPL=0.25), rule=BiasDriftRule(tolerance=0.01))
    ] == ["DPPL"]
    assert check_bias_drift(base, _report(DPPL=0.25), rule=BiasDriftRule(tolerance=0.1)) == []
    explicit = BiasDriftRule(thresholds={"DPPL": (-0.5, 0.5), "DCA": (None, 0.05)})
    assert [v.metric_name for v in check_bias_drift(base, current, rule=explicit)] == ["TE", "DCA"]
    only = BiasDriftRule(metrics=("TE",))
    assert [v.metric_name for v in check_bias_drift(base, current, rule=only)] == ["TE"]
    assert check_bias_drift(_report(TE=math.inf), _report(TE=5.0)) == []


def test_drift_rule_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="confidence"):
        BiasDriftRule(confidence=1.5)
    with pytest.raises(ValidationError, match="tolerance"):
        BiasDriftRule(tolerance=-1)


def test_metrics_are_named_per_facet_and_infinity_is_clamped() -> None:
    report = _report(DI=math.inf, DPPL=0.25, AD=None)
    assert bias_metrics(report) == [
        ("bias_metric_DI/sex/F", INF_METRIC_VALUE),
        ("bias_metric_DPPL/sex/F", 0.25),
    ]
    (point, _) = bias_metric_points(report)
    assert point["MetricName"] == "bias_metric_DI"
    assert {d["Name"]: d["Value"] for d in point["Dimensions"]} == {
        "BiasStage": "Post-Training",
        "Label": "y",
        "LabelValue": "1",
        "Facet": "sex",
        "FacetValue": "F",
    }


def test_predicted_label_from_scores_uses_the_probability_threshold() -> None:
    table = window(400, 7)
    scores = np.where(table.column("yhat").to_numpy() == 1, 0.7, 0.55)
    config = parse_analysis_config(
        {**MONITOR_CONFIG.raw, "predicted_label": None, "probability_threshold": 0.6}, kind="bias_monitor"
    )
    by_score = bias_report(
        config, table.drop_columns(["yhat"]).append_column("score", pa.array(scores)), probability="score"
    )
    by_label = bias_report(MONITOR_CONFIG, table)
    assert bias_report_to_json(by_score) == bias_report_to_json(by_label)


def test_headers_and_indexes_name_the_columns_and_batches_stream() -> None:
    table = window(300, 8)
    config = parse_analysis_config(
        {
            "headers": ["a", "s", "g", "label", "prediction"],
            "label": 3,
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": 1, "value_or_threshold": ["F"]}],
            "group_variable": "g",
            "predicted_label": "prediction",
        },
        kind="bias_monitor",
    )
    report = bias_report(config, table.to_batches(max_chunksize=37))
    expected = bias_report(MONITOR_CONFIG, table)
    assert report.post_training is not None and expected.post_training is not None
    assert report.post_training.facets["s"] == expected.post_training.facets["sex"]


def test_methods_select_metrics_and_the_report_sorts_them() -> None:
    report = bias_report(MONITOR_CONFIG, window(200, 9), methods=["DI", "CI", "DPPL"])
    assert report.pre_training is not None and report.post_training is not None
    assert [m.name for m in report.pre_training.facets["sex"][0].metrics] == ["CI"]
    assert [m.name for m in report.post_training.facets["sex"][0].metrics] == ["DI", "DPPL"]
    with pytest.raises(ValidationError, match="unknown bias metrics"):
        bias_report(MONITOR_CONFIG, window(50, 9), methods=["DCAcc"])


def test_flip_test_needs_numeric_features_and_reports_an_error_beyond_its_row_limit() -> None:
    # the string group column is a feature too, as in smclarify
    (ft,) = (
        bias_report(MONITOR_CONFIG, window(300, 10), methods=["FT"]).post_training.facets["sex"][0].metrics
    )  # type: ignore[union-attr]
    assert (ft.value, ft.error) == (None, "FlipTest does not support non-numeric columns")
    config = parse_analysis_config({**MONITOR_CONFIG.raw, "group_variable": None}, kind="bias_monitor")
    numeric = window(300, 10).drop_columns(["grp"])
    report = bias_report(config, numeric, methods=["FT"], ft_max_rows=100)
    assert report.post_training is not None
    (ft,) = report.post_training.facets["sex"][0].metrics
    assert ft.value is None and ft.error is not None and "ft_max_rows" in ft.error
    (ft,) = bias_report(config, numeric, methods=["FT"]).post_training.facets["sex"][0].metrics  # type: ignore[union-attr]
    assert ft.error is None and isinstance(ft.value, float) and -1 <= ft.value <= 1


def test_bad_input_gives_clear_errors() -> None:
    table = window(200, 11)
    missing_facet = parse_analysis_config(
        {**MONITOR_CONFIG.raw, "facet": [{"name_or_index": "gender"}]}, kind="bias_monitor"
    )
    with pytest.raises(BiasAnalysisError, match="Facet column gender is not present in the dataset"):
        bias_report(missing_facet, table)
    with pytest.raises(DataError, match="label column") as caught:
        bias_report(
            parse_analysis_config({**MONITOR_CONFIG.raw, "label": "target"}, kind="bias_monitor"), table
        )
    assert caught.value.column == "target"
    with pytest.raises(DataError, match="group variable"):
        bias_report(
            parse_analysis_config({**MONITOR_CONFIG.raw, "group_variable": "zip"}, kind="bias_monitor"), table
        )
    with pytest.raises(ValidationError, match="out of range"):
        bias_report(parse_analysis_config({**MONITOR_CONFIG.raw, "label": 9}, kind="bias_monitor"), table)
    with pytest.raises(EmptyDatasetError):
        bias_report(MONITOR_CONFIG, table.slice(0, 0))
    # label values never present: pre-training metrics error one by one, post-training fails as a whole
    absent = parse_analysis_config(
        {**MONITOR_CONFIG.raw, "label_values_or_threshold": [7]}, kind="bias_monitor"
    )
    with pytest.raises(BiasAnalysisError, match="No Label values are present in the predicted Label Column"):
        bias_report(absent, table)
    pre = bias_report(absent, table, methods=["CDDL", "CI"])
    assert pre.pre_training is not None
    cddl, ci = pre.pre_training.facets["sex"][0].metrics
    assert (cddl.value, cddl.error) == (None, "No positive labels in set") and ci.error is None
