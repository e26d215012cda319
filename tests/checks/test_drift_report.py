"""drift_report / drift_report_to_dict on hand-built statistics."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _checks_helpers import categorical, numeric, statistics, unknown
from scipy import stats

from modelwatch.checks import (
    DriftReport,
    FeatureDrift,
    FeatureKind,
    SkippedFeature,
    drift_report,
    drift_report_to_dict,
)
from modelwatch.checks.distance import chi_squared, linf_categorical
from modelwatch.formats.statistics import InferredType


@pytest.fixture
def report() -> DriftReport:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=800), rng.normal(0.5, 1.0, size=900)
    baseline = statistics(
        numeric("x", a),
        categorical("s", {"a": 500, "b": 300, "c": 100}),
        unknown("u"),
        numeric("gone", [1.0, 2.0]),
        item_count=900,
    )
    current = statistics(
        numeric("renamed_x", b),
        categorical("s", {"a": 300, "b": 300, "c": 300}),
        numeric("u", [1.0]),
        item_count=900,
    )
    return drift_report(baseline, current)


def test_numeric_feature_has_every_numeric_distance(report: DriftReport) -> None:
    x = report.features[0]
    assert (x.name, x.kind) == ("x", FeatureKind.NUMERIC)
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=800), rng.normal(0.5, 1.0, size=900)
    assert x.linf_simple == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
    assert x.ks_pvalue == pytest.approx(stats.ks_2samp(a, b, method="exact").pvalue, rel=1e-9)
    assert x.wasserstein_normalized == pytest.approx(stats.wasserstein_distance(a, b) / a.std(), rel=1e-9)
    assert x.linf_robust < x.linf_simple and x.psi > 0 and 0 < x.js_distance < 1
    assert math.isnan(x.chi_squared_statistic) and math.isnan(x.chi_squared_pvalue)


def test_categorical_feature_has_every_categorical_distance(report: DriftReport) -> None:
    s = report.features[1]
    base, cur = {"a": 500, "b": 300, "c": 100}, {"a": 300, "b": 300, "c": 300}
    assert (s.name, s.kind) == ("s", FeatureKind.CATEGORICAL)
    assert s.linf_simple == linf_categorical(base, cur)
    assert s.chi_squared_pvalue == chi_squared(base, cur).p_value
    assert s.chi_squared_statistic == chi_squared(base, cur).statistic
    assert s.psi > 0 and s.js_distance > 0
    assert math.isnan(s.ks_statistic) and math.isnan(s.wasserstein_normalized)


def test_incomparable_features_are_skipped_with_a_reason(report: DriftReport) -> None:
    assert [f.name for f in report.features] == ["x", "s"]
    assert [s.name for s in report.skipped] == ["u", "gone"]
    assert "Unknown" in report.skipped[0].reason
    assert "no column at this position" in report.skipped[1].reason


def test_to_dict_is_plain_json_with_nan(report: DriftReport) -> None:
    as_dict = drift_report_to_dict(report)
    text = json.dumps(as_dict)  # plain types only
    back = json.loads(text)
    assert back["features"][0]["kind"] == "numeric"
    assert back["features"][1]["kind"] == "categorical"
    assert math.isnan(back["features"][1]["ks_statistic"])
    assert set(back["features"][0]) == set(FeatureDrift.__dataclass_fields__)
    assert back["skipped"][0] == {"name": "u", "reason": report.skipped[0].reason}


def test_mismatched_kinds_are_skipped() -> None:
    baseline = statistics(numeric("x", [1.0, 2.0]), categorical("s", {"a": 2}))
    current = statistics(categorical("x", {"a": 2}), numeric("s", [1.0, 2.0], inferred=InferredType.INTEGRAL))
    report = drift_report(baseline, current)
    assert report.features == ()
    assert [type(s) for s in report.skipped] == [SkippedFeature, SkippedFeature]
