"""evaluate_constraints: each check at its threshold boundary, overrides, columns, ordering."""

from __future__ import annotations

import logging
import math
from dataclasses import replace

import pytest
from _checks_helpers import GOLDEN_DQ, categorical, numeric, statistics, unknown

from modelwatch.checks import evaluate, evaluate_constraints, linf_robust, linf_simple
from modelwatch.checks.config import CategoricalDriftMethod, NumericDriftMethod, resolve_config
from modelwatch.checks.distance import chi_squared, linf_categorical, linf_categorical_robust
from modelwatch.checks.suggest import default_monitoring_config, suggest_constraints
from modelwatch.errors import ConfigurationError
from modelwatch.formats import constraints_from_json, statistics_from_json
from modelwatch.formats.constraints import (
    Constraints,
    DistributionConstraints,
    FeatureConstraints,
    MonitoringConfig,
)
from modelwatch.formats.statistics import InferredType, Statistics
from modelwatch.formats.violations import CheckType, Violation

INT, F, S = InferredType.INTEGRAL, InferredType.FRACTIONAL, InferredType.STRING


def below(x: float) -> float:
    return math.nextafter(x, -math.inf)


def config(**kwargs) -> MonitoringConfig:
    dist_keys = {f for f in DistributionConstraints.__dataclass_fields__ if f != "extra"}
    dist = {k: kwargs.pop(k) for k in list(kwargs) if k in dist_keys}
    return MonitoringConfig(distribution_constraints=DistributionConstraints(**dist), **kwargs)


def constraints(*features: FeatureConstraints, **kwargs) -> Constraints:
    return Constraints(features=features, monitoring_config=config(**kwargs))


def kinds(violations) -> list[tuple[str, str]]:
    return [(v.feature_name, v.constraint_check_type) for v in violations.violations]


# ---- data_type_check ---------------------------------------------------------------------------


def _typed(counts: dict[InferredType, int], inferred: InferredType = INT) -> Statistics:
    n = sum(counts.values())
    return statistics(numeric("x", list(range(n)), inferred=inferred, type_counts=counts))


def _type_constraint(expected: InferredType) -> FeatureConstraints:
    return FeatureConstraints(name="x", inferred_type=expected)


def test_data_type_check_description_uses_java_doubles() -> None:
    current = _typed({INT: 95, F: 0, S: 5}, inferred=S)
    result = evaluate_constraints(
        current, constraints(_type_constraint(INT), perform_comparison="Disabled"), current
    )
    assert result.violations == (
        Violation(
            "x",
            "data_type_check",
            "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. "
            "Observed: Only 95.0% of data is Integral.",
        ),
    )


def test_data_type_check_threshold_boundary() -> None:
    current = _typed({INT: 95, F: 0, S: 5}, inferred=S)
    at = constraints(_type_constraint(INT), datatype_check_threshold=0.95, perform_comparison="Disabled")
    assert evaluate_constraints(current, at, current).violations == ()
    over = constraints(_type_constraint(INT), datatype_check_threshold=0.96, perform_comparison="Disabled")
    assert kinds(evaluate_constraints(current, over, current)) == [("x", "data_type_check")]


def test_fractional_expectation_accepts_integral_values() -> None:
    current = _typed({INT: 60, F: 40, S: 0}, inferred=F)
    cons = constraints(_type_constraint(F), perform_comparison="Disabled")
    assert evaluate_constraints(current, cons, current).violations == ()
    integral = constraints(_type_constraint(INT), perform_comparison="Disabled")
    (violation,) = evaluate_constraints(current, integral, current).violations
    assert violation.description.endswith("Observed: Only 60.0% of data is Integral.")


def test_string_expectation_accepts_every_value_of_a_string_column() -> None:
    current = statistics(categorical("x", {"abc": 5, "12": 10, "0.5": 5}, type_counts={INT: 10, F: 5, S: 5}))
    cons = constraints(_type_constraint(S), perform_comparison="Disabled")
    assert evaluate_constraints(current, cons, current).violations == ()


def test_string_expectation_fails_on_an_all_numeric_column() -> None:
    current = _typed({INT: 10, F: 10, S: 0}, inferred=F)
    cons = constraints(_type_constraint(S), perform_comparison="Disabled")
    (violation,) = evaluate_constraints(current, cons, current).violations
    assert violation.description.endswith("Observed: Only 0.0% of data is String.")


def test_golden_bad_case_fails_like_sagemaker() -> None:
    # SageMaker's QualityCheckStep fails on its baseline data with these constraints (_c5 → String)
    stats = statistics_from_json((GOLDEN_DQ / "statistics.json").read_text())
    bad = constraints_from_json((GOLDEN_DQ / "bad_cases" / "constraints.json").read_text())
    good = constraints_from_json((GOLDEN_DQ / "good_cases" / "constraints.json").read_text())
    assert evaluate_constraints(stats, good, stats).violations == ()
    assert evaluate_constraints(stats, bad, stats).violations == (
        Violation(
            "_c5",
            "data_type_check",
            "Data type match requirement is not met. Expected data type: String, Expected match: 100.0%. "
            "Observed: Only 0.0% of data is String.",
        ),
    )


def test_data_type_check_without_type_counts_uses_inferred_type() -> None:
    current = statistics(numeric("x", [0.5, 1.5], inferred=F))
    cons = constraints(_type_constraint(INT), perform_comparison="Disabled")
    (violation,) = evaluate_constraints(current, cons, current).violations
    assert violation.description.endswith("Only 0.0% of data is Integral.")
    fractional = constraints(_type_constraint(F), perform_comparison="Disabled")
    assert evaluate_constraints(current, fractional, current).violations == ()


def test_data_type_check_skipped_for_all_null_column() -> None:
    baseline = statistics(numeric("x", [1.0, 2.0], inferred=INT))
    current = statistics(unknown("x"), item_count=5)
    cons = constraints(FeatureConstraints("x", INT, completeness=0.0))
    assert evaluate_constraints(baseline, cons, current).violations == ()


# ---- completeness_check ------------------------------------------------------------------------


def test_completeness_check_boundary_and_description() -> None:
    current = statistics(numeric("x", list(range(19)), missing=1))
    at = constraints(FeatureConstraints("x", F, completeness=0.95), perform_comparison="Disabled")
    assert evaluate_constraints(current, at, current).violations == ()
    over = constraints(FeatureConstraints("x", F, completeness=below(1.0)), perform_comparison="Disabled")
    (violation,) = evaluate_constraints(current, over, current).violations
    assert violation.constraint_check_type == "completeness_check"
    assert violation.description.startswith(
        "Data completeness requirement is not met. Expected completeness: "
    )
    assert violation.description.endswith("Observed: Only 95.0% of data is complete.")
    full = constraints(FeatureConstraints("x", F, completeness=1.0), perform_comparison="Disabled")
    (violation,) = evaluate_constraints(current, full, current).violations
    assert violation.description == (
        "Data completeness requirement is not met. Expected completeness: 100.0%. "
        "Observed: Only 95.0% of data is complete."
    )


def test_completeness_of_all_null_current_column() -> None:
    baseline = statistics(numeric("x", [1.0, 2.0]))
    current = statistics(unknown("x"), item_count=4)
    cons = constraints(FeatureConstraints("x", F, completeness=1.0))
    (violation,) = evaluate_constraints(baseline, cons, current).violations
    assert violation.description.endswith("Observed: Only 0.0% of data is complete.")


# ---- categorical_values_check ------------------------------------------------------------------


def _domain_case(threshold: float) -> list[Violation]:
    current = statistics(categorical("s", {"a": 6, "b": 3, "zzz": 1}))
    cons = constraints(
        FeatureConstraints("s", S, domains=("a", "b")),
        domain_content_threshold=threshold,
        perform_comparison="Disabled",
    )
    return list(evaluate_constraints(current, cons, current).violations)


def test_categorical_values_check_boundary_and_description() -> None:
    assert _domain_case(0.9) == []
    assert _domain_case(below(1.0)) == [
        Violation("s", "categorical_values_check", "Value: 0.9 does not meet the constraint requirement! ")
    ]


def test_values_beyond_top_values_count_outside_domain() -> None:
    current = statistics(categorical("s", {"a": 8}, uncovered=2))
    cons = constraints(FeatureConstraints("s", S, domains=("a",)), perform_comparison="Disabled")
    (violation,) = evaluate_constraints(current, cons, current).violations
    assert violation.description == "Value: 0.8 does not meet the constraint requirement! "


# ---- baseline_drift_check: numeric -------------------------------------------------------------

BASE_VALUES = [float(v) for v in range(100)]
CUR_VALUES = [float(v) + 40.0 for v in range(100)]


def _drift(method: str, threshold: float, cur_values=CUR_VALUES) -> list[Violation]:
    baseline = statistics(numeric("x", BASE_VALUES))
    current = statistics(numeric("x", cur_values))
    cons = constraints(FeatureConstraints("x", F), comparison_method=method, comparison_threshold=threshold)
    return list(evaluate_constraints(baseline, cons, current).violations)


@pytest.mark.parametrize("method", [m.value for m in NumericDriftMethod])
def test_numeric_drift_fires_only_above_threshold(method: str) -> None:
    from modelwatch.checks.drift_check import numeric_distance

    base = numeric("x", BASE_VALUES).numerical
    cur = numeric("x", CUR_VALUES).numerical
    distance = numeric_distance(NumericDriftMethod(method), base, cur)
    assert distance > 0
    assert _drift(method, distance) == []
    (violation,) = _drift(method, below(distance))
    assert violation.constraint_check_type == "baseline_drift_check"
    assert violation.description.startswith("Numerical distance: ")


def test_numeric_drift_description_and_simple_vs_robust() -> None:
    base = numeric("x", BASE_VALUES).numerical.sketch
    cur = numeric("x", CUR_VALUES).numerical.sketch
    assert linf_simple(base, cur) == pytest.approx(0.4)
    robust = linf_robust(base, cur)
    assert robust == pytest.approx(0.4 - 1.8 * math.sqrt(2 / 100))  # ≈ 0.145
    assert _drift("Robust", 0.2) == []
    assert _drift("Simple", 0.2) == [
        Violation(
            "x",
            "baseline_drift_check",
            f"Numerical distance: {linf_simple(base, cur)!r} exceeds numerical threshold: 0.2",
        )
    ]


def test_no_drift_against_itself() -> None:
    for method in NumericDriftMethod:
        assert _drift(method.value, 0.0, cur_values=BASE_VALUES) == []


def test_missing_baseline_sketch_skips_drift_without_crash(caplog) -> None:
    baseline = statistics(numeric("x", BASE_VALUES, with_sketch=False))
    current = statistics(numeric("x", CUR_VALUES))
    cons = constraints(FeatureConstraints("x", F), comparison_method="Simple", comparison_threshold=0.0)
    result = evaluate(baseline, cons, current)
    assert result.violations.violations == ()
    (skipped,) = result.skipped
    assert skipped.feature_name == "x" and skipped.check_type == CheckType.BASELINE_DRIFT
    assert "no KLL sketch" in skipped.reason
    with caplog.at_level(logging.WARNING, logger="modelwatch.checks.evaluate"):
        evaluate_constraints(baseline, cons, current)
    assert "baseline_drift_check skipped for feature 'x'" in caplog.text


def test_feature_absent_from_baseline_statistics_skips_drift() -> None:
    current = statistics(numeric("x", CUR_VALUES))
    cons = constraints(FeatureConstraints("x", F))
    result = evaluate(statistics(numeric("other", BASE_VALUES)), cons, current)
    assert result.violations.violations == ()
    assert [s.check_type for s in result.skipped] == [CheckType.BASELINE_DRIFT]


def test_numeric_baseline_vs_string_current_skips_drift() -> None:
    baseline = statistics(numeric("x", BASE_VALUES))
    current = statistics(categorical("x", {"a": 10}))
    cons = constraints(FeatureConstraints("x", F), comparison_threshold=0.0)
    result = evaluate(baseline, cons, current)
    assert kinds(result.violations) == [("x", "data_type_check")]
    assert "not numeric" in result.skipped[0].reason


# ---- baseline_drift_check: categorical ---------------------------------------------------------

BASE_COUNTS = {"a": 600, "b": 300, "c": 100}
CUR_COUNTS = {"a": 400, "b": 400, "c": 200}


def _cat_drift(**kwargs) -> list[Violation]:
    baseline = statistics(categorical("s", BASE_COUNTS))
    current = statistics(categorical("s", CUR_COUNTS))
    return list(
        evaluate_constraints(baseline, constraints(FeatureConstraints("s", S), **kwargs), current).violations
    )


def test_categorical_linf_robust_boundary() -> None:
    distance = linf_categorical_robust(BASE_COUNTS, CUR_COUNTS)
    assert 0 < distance < linf_categorical(BASE_COUNTS, CUR_COUNTS) == pytest.approx(0.2)
    assert _cat_drift(comparison_threshold=distance) == []
    assert _cat_drift(comparison_threshold=below(distance)) == [
        Violation(
            "s",
            "baseline_drift_check",
            f"Categorical distance: {distance!r} exceeds categorical threshold: {below(distance)!r}",
        )
    ]


def test_categorical_linf_simple_follows_comparison_method() -> None:
    distance = linf_categorical(BASE_COUNTS, CUR_COUNTS)
    assert _cat_drift(comparison_method="Simple", comparison_threshold=distance) == []
    assert len(_cat_drift(comparison_method="Simple", comparison_threshold=below(distance))) == 1


def test_categorical_threshold_overrides_numeric_threshold() -> None:
    distance = linf_categorical_robust(BASE_COUNTS, CUR_COUNTS)
    assert _cat_drift(comparison_threshold=0.0, categorical_comparison_threshold=distance) == []
    assert len(_cat_drift(comparison_threshold=1.0, categorical_comparison_threshold=below(distance))) == 1


def test_chi_squared_fires_when_p_value_below_threshold() -> None:
    p_value = chi_squared(BASE_COUNTS, {"a": 590, "b": 300, "c": 110}).p_value
    assert 0.01 < p_value < 1
    baseline = statistics(categorical("s", BASE_COUNTS))
    current = statistics(categorical("s", {"a": 590, "b": 300, "c": 110}))

    def run(threshold: float) -> list[Violation]:
        cons = constraints(
            FeatureConstraints("s", S),
            categorical_drift_method="ChiSquared",
            categorical_comparison_threshold=threshold,
        )
        return list(evaluate_constraints(baseline, cons, current).violations)

    assert run(p_value) == []
    (violation,) = run(math.nextafter(p_value, math.inf))
    assert violation.description.startswith(f"Categorical chi-squared p-value: {p_value!r} is below")


@pytest.mark.parametrize("method", ["PSI", "JensenShannon"])
def test_categorical_extension_methods(method: str) -> None:
    assert _cat_drift(categorical_drift_method=method, categorical_comparison_threshold=0.01) != []
    assert _cat_drift(categorical_drift_method=method, categorical_comparison_threshold=10.0) == []


# ---- overrides and Disabled --------------------------------------------------------------------


def _failing_everything() -> tuple[Statistics, Constraints, Statistics]:
    baseline = statistics(numeric("x", BASE_VALUES), categorical("s", BASE_COUNTS))
    current = statistics(
        numeric("x", CUR_VALUES, missing=10, type_counts={INT: 50, F: 0, S: 50}),
        categorical("s", {**CUR_COUNTS, "new": 500}, missing=10),
    )
    cons = constraints(
        FeatureConstraints("x", INT, completeness=1.0),
        FeatureConstraints("s", S, completeness=1.0, domains=("a", "b", "c")),
        comparison_method="Simple",
    )
    return baseline, cons, current


def test_all_checks_fire_in_documented_order() -> None:
    baseline, cons, current = _failing_everything()
    assert kinds(evaluate_constraints(baseline, cons, current)) == [
        ("x", "data_type_check"),
        ("x", "completeness_check"),
        ("x", "baseline_drift_check"),
        ("s", "completeness_check"),
        ("s", "categorical_values_check"),
        ("s", "baseline_drift_check"),
    ]


def test_global_disabled_turns_everything_off() -> None:
    baseline, cons, current = _failing_everything()
    disabled = replace(
        cons, monitoring_config=replace(cons.monitoring_config, evaluate_constraints="Disabled")
    )
    assert evaluate_constraints(baseline, disabled, current).violations == ()


def test_feature_override_disables_one_feature() -> None:
    baseline, cons, current = _failing_everything()
    features = (replace(cons.features[0], monitoring_config_overrides={"evaluate_constraints": "Disabled"}),)
    cons = replace(cons, features=features + cons.features[1:])
    assert [name for name, _ in kinds(evaluate_constraints(baseline, cons, current))] == ["s"] * 3


def test_feature_override_enables_a_feature_under_global_disabled() -> None:
    baseline, cons, current = _failing_everything()
    features = (replace(cons.features[0], monitoring_config_overrides={"evaluate_constraints": "Enabled"}),)
    cons = Constraints(features + cons.features[1:], config(evaluate_constraints="Disabled"))
    assert {name for name, _ in kinds(evaluate_constraints(baseline, cons, current))} == {"x"}


def test_feature_override_of_thresholds_and_method() -> None:
    baseline, cons, current = _failing_everything()
    overrides = {
        "datatype_check_threshold": 0.5,
        "distribution_constraints": {"comparison_method": "Robust", "comparison_threshold": 0.5},
    }
    features = (replace(cons.features[0], monitoring_config_overrides=overrides),)
    cons = replace(cons, features=features + cons.features[1:])
    assert [k for k in kinds(evaluate_constraints(baseline, cons, current)) if k[0] == "x"] == [
        ("x", "completeness_check")
    ]


def test_override_disables_drift_only() -> None:
    baseline, cons, current = _failing_everything()
    features = tuple(
        replace(f, monitoring_config_overrides={"perform_comparison": "Disabled"}) for f in cons.features
    )
    cons = replace(cons, features=features)
    assert all(
        kind != "baseline_drift_check" for _, kind in kinds(evaluate_constraints(baseline, cons, current))
    )


def test_resolve_config_defaults_and_errors() -> None:
    resolved = resolve_config(default_monitoring_config())
    assert resolved.categorical_comparison_threshold == 0.1
    assert resolved.categorical_drift_method == CategoricalDriftMethod.LINFINITY
    assert resolved.comparison_method == NumericDriftMethod.ROBUST
    flat = resolve_config(
        default_monitoring_config(), {"comparison_threshold": "0.3", "comparison_method": "simple"}
    )
    assert flat.comparison_threshold == 0.3 and flat.categorical_comparison_threshold == 0.3
    assert flat.comparison_method == NumericDriftMethod.SIMPLE
    with pytest.raises(ConfigurationError, match=r"comparison_method' of feature 'x' must be one of"):
        resolve_config(default_monitoring_config(), {"comparison_method": "Euclid"}, feature="x")
    with pytest.raises(ConfigurationError, match="must be 'Enabled' or 'Disabled'"):
        resolve_config(default_monitoring_config(), {"evaluate_constraints": "maybe"})
    with pytest.raises(ConfigurationError, match="must be a number"):
        resolve_config(default_monitoring_config(), {"comparison_threshold": "high"})


# ---- columns -----------------------------------------------------------------------------------


def test_missing_columns_one_violation_each() -> None:
    baseline = statistics(numeric("a", [1.0]), numeric("b", [1.0]), numeric("c", [1.0]))
    cons = suggest_constraints(baseline)
    current = statistics(numeric("a", [1.0]))
    result = evaluate_constraints(baseline, cons, current)
    assert result.violations == tuple(
        Violation(
            name,
            "missing_column_check",
            "There are missing columns in current dataset. Number of columns in current dataset: 1, "
            "Number of columns in baseline constraints: 3",
        )
        for name in ("b", "c")
    )


def test_extra_columns_one_violation_each() -> None:
    baseline = statistics(numeric("a", [1.0]))
    cons = suggest_constraints(baseline)
    current = statistics(numeric("a", [1.0]), numeric("x", [1.0]), categorical("y", {"v": 1}))
    assert evaluate_constraints(baseline, cons, current).violations == tuple(
        Violation(
            name,
            "extra_column_check",
            "There are extra columns in current dataset. Number of columns in current dataset: 3, "
            "Number of columns in baseline constraints: 1",
        )
        for name in ("x", "y")
    )


def test_columns_are_matched_by_position() -> None:
    baseline = statistics(numeric("churn", [0.0, 1.0] * 10, inferred=INT), categorical("state", {"CA": 20}))
    cons = suggest_constraints(baseline)
    # same names, swapped positions: each position is checked against the other column's constraints
    current = statistics(
        categorical("state", {"CA": 20}, type_counts={INT: 0, F: 0, S: 20}),
        numeric("churn", [0.0, 1.0] * 10, inferred=INT, type_counts={INT: 20, F: 0, S: 0}),
    )
    result = evaluate(baseline, cons, current)
    assert kinds(result.violations) == [("churn", "data_type_check"), ("state", "data_type_check")]
    assert result.violations.violations[0].description.endswith("Only 0.0% of data is Integral.")
    assert result.violations.violations[1].description.endswith("Only 0.0% of data is String.")
    assert {s.feature_name for s in result.skipped} == {"churn", "state"}  # drift across kinds
    # renamed columns in the same positions pass
    renamed = statistics(numeric("_c0", [0.0, 1.0] * 10, inferred=INT), categorical("_c1", {"CA": 20}))
    assert evaluate_constraints(baseline, cons, renamed).violations == ()


def test_suggested_constraints_pass_on_the_baseline_itself() -> None:
    baseline, _, _ = _failing_everything()
    assert evaluate_constraints(baseline, suggest_constraints(baseline), baseline).violations == ()
