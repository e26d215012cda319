"""Clarify's bias analysis.json and constraint_violations.json: byte-compatible writing and reading."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from modelwatch.errors import FormatError
from modelwatch.formats.clarify import (
    BiasMetric,
    BiasReport,
    BiasStage,
    BiasViolation,
    FacetBias,
    bias_report_from_json,
    bias_report_to_json,
    bias_violations_from_json,
    bias_violations_to_json,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "bias"
GOOD = GOLDEN / "clarify_check_step_good_analysis.json"  # written by SageMaker Clarify (SDK test data)
BAD = GOLDEN / "clarify_check_step_bad_analysis.json"


def test_a_clarify_analysis_json_is_rewritten_byte_for_byte() -> None:
    text = GOOD.read_text()
    report = bias_report_from_json(text, file=str(GOOD))
    assert report.post_training is None and report.pre_training is not None
    assert report.pre_training.label == "Label"
    assert report.pre_training.label_value_or_threshold == "1"
    (entry,) = report.pre_training.facets["F1"]
    assert entry.value_or_threshold == "(0.5, 0.9936148802477393]"
    assert entry.metric("KS") == BiasMetric("KS", "Kolmogorov-Smirnov Distance (KS)", 0.015297906602254496)
    assert bias_report_to_json(report) == text


def test_the_hand_edited_bad_file_reads_its_value() -> None:
    report = bias_report_from_json(BAD.read_text())
    assert report.pre_training is not None
    ks = report.pre_training.facets["F1"][0].metric("KS")
    assert ks is not None and ks.value == 7.906602254496e-06


def test_infinities_errors_integers_and_explanations_survive_a_round_trip() -> None:
    stage = BiasStage(
        "y",
        "1",
        {
            "sex": (
                FacetBias(
                    "F",
                    (
                        BiasMetric(
                            "CDDPL",
                            "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
                            None,
                            "boom",
                        ),
                        BiasMetric("DCR", "Difference in Conditional Rejection (DCR)", 0),
                        BiasMetric("DI", "Disparate Impact (DI)", math.inf),
                        BiasMetric("TE", "Treatment Equality (TE)", -math.inf),
                    ),
                ),
            )
        },
    )
    explanations = {"kernel_shap": {"label0": {"global_shap_values": {"a": 0.5}, "expected_value": 0.25}}}
    report = BiasReport(post_training=stage, explanations=explanations, extra={"custom": [1]})
    text = bias_report_to_json(report)
    obj = json.loads(text)
    assert list(obj) == ["version", "post_training_bias_metrics", "explanations", "custom"]
    metrics = obj["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    assert metrics[0] == {
        "name": "CDDPL",
        "description": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
        "value": None,
        "error": "boom",
    }
    assert '"value": 0\n' in text  # an int stays an int, as smclarify writes it
    assert [m["value"] for m in metrics[2:]] == ["Infinity", "-Infinity"]
    back = bias_report_from_json(text)
    assert back == report
    assert text.startswith('{\n    "version": "1.0",') and not text.endswith("\n")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"pre_training_bias_metrics": {"label": "y"}}', "pre_training_bias_metrics.facets"),
        (
            '{"pre_training_bias_metrics": {"facets": {"a": [{"metrics": []}]}}}',
            "pre_training_bias_metrics.facets.a[0].value_or_threshold",
        ),
        (
            '{"pre_training_bias_metrics": {"facets": {"a": [{"value_or_threshold": "x", '
            '"metrics": [{"name": "CI"}]}]}}}',
            "pre_training_bias_metrics.facets.a[0].metrics[0].value",
        ),
        (
            '{"pre_training_bias_metrics": {"facets": {"a": [{"value_or_threshold": "x", '
            '"metrics": [{"name": "CI", "value": "big"}]}]}}}',
            "pre_training_bias_metrics.facets.a[0].metrics[0].value",
        ),
        ('{"explanations": 3}', "explanations"),
    ],
)
def test_malformed_files_name_the_key(text: str, key: str) -> None:
    with pytest.raises(FormatError) as caught:
        bias_report_from_json(text, file="analysis.json")
    assert caught.value.key == key
    assert "analysis.json" in str(caught.value)


def test_bias_violations_file_layout_and_round_trip() -> None:
    violation = BiasViolation(
        "Age", "40", "CI", "Value 0.0751544567666083 does not meet the constraint requirement"
    )
    text = bias_violations_to_json([violation])
    assert json.loads(text) == {
        "version": "1.0",
        "violations": [
            {
                "facet": "Age",
                "facet_value": "40",
                "metric_name": "CI",
                "constraint_check_type": "bias_drift_check",
                "description": "Value 0.0751544567666083 does not meet the constraint requirement",
            }
        ],
    }
    assert bias_violations_from_json(text) == [violation]
    with pytest.raises(FormatError) as caught:
        bias_violations_from_json('{"violations": [{"facet": "a"}]}', file="v.json")
    assert caught.value.key == "violations[0].facet_value"
