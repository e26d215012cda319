"""Constraint suggestion: the golden SageMaker output and each rule's boundaries."""

from __future__ import annotations

from _checks_helpers import GOLDEN_DQ, categorical, numeric, statistics, unknown

from modelwatch.checks.suggest import (
    RULES,
    CompletenessRule,
    DomainsRule,
    NonNegativeRule,
    default_monitoring_config,
    suggest_constraints,
    suggest_feature,
)
from modelwatch.formats import constraints_from_json, constraints_to_json, statistics_from_json
from modelwatch.formats.constraints import DistributionConstraints, FeatureConstraints, MonitoringConfig
from modelwatch.formats.statistics import InferredType


def _golden_suggestion():
    stats = statistics_from_json((GOLDEN_DQ / "statistics.json").read_text())
    return suggest_constraints(stats)


def test_golden_constraints_equal_sagemaker_output() -> None:
    expected = constraints_from_json((GOLDEN_DQ / "good_cases" / "constraints.json").read_text())
    assert _golden_suggestion() == expected


def test_golden_constraints_bytes_equal_sagemaker_output() -> None:
    expected = (GOLDEN_DQ / "good_cases" / "constraints.json").read_text()
    assert constraints_to_json(_golden_suggestion()) == expected


def test_default_monitoring_config_is_sagemakers() -> None:
    assert default_monitoring_config() == MonitoringConfig(
        evaluate_constraints="Enabled",
        emit_metrics="Enabled",
        datatype_check_threshold=1.0,
        domain_content_threshold=1.0,
        distribution_constraints=DistributionConstraints(
            perform_comparison="Enabled", comparison_threshold=0.1, comparison_method="Robust"
        ),
    )


def test_completeness_is_observed_ratio() -> None:
    feature = numeric("x", [1.0, 2.0, 3.0], missing=1)
    assert suggest_feature(feature, 4).completeness == 0.75
    assert suggest_feature(numeric("x", [1.0]), 1).completeness == 1.0


def test_completeness_of_all_null_feature_is_zero() -> None:
    constraint = suggest_feature(unknown("empty"), 12)
    assert constraint == FeatureConstraints(
        name="empty", inferred_type=InferredType.UNKNOWN, completeness=0.0
    )


def test_completeness_rule_does_not_apply_to_empty_dataset() -> None:
    assert not CompletenessRule().applies(unknown("empty"), 0)


def test_non_negative_only_when_min_is_not_negative() -> None:
    assert suggest_feature(numeric("x", [0.0, 5.0]), 2).is_non_negative is True
    assert suggest_feature(numeric("x", [-0.5, 5.0]), 2).is_non_negative is None
    assert not NonNegativeRule().applies(categorical("s", {"a": 3}), 3)


def test_domains_sorted_by_count_then_value() -> None:
    feature = categorical("s", {"b": 5, "c": 9, "a": 5, "d": 2})
    assert suggest_feature(feature, 21).domains == ("c", "a", "b", "d")


def test_domains_need_every_present_value_covered() -> None:
    assert DomainsRule().applies(categorical("s", {"a": 5, "b": 5}), 10)
    assert not DomainsRule().applies(categorical("s", {"a": 5, "b": 5}, uncovered=1), 11)


def test_domains_at_most_120_categories() -> None:
    at_limit = {f"v{i:03d}": 2 for i in range(120)}
    assert DomainsRule().applies(categorical("s", at_limit), 240)
    over = {f"v{i:03d}": 2 for i in range(121)}
    assert not DomainsRule().applies(categorical("s", over), 242)


def test_domains_at_most_ten_percent_singletons() -> None:
    counts = {f"v{i}": 3 for i in range(9)}
    assert DomainsRule().applies(categorical("s", {**counts, "one": 1}), 28)  # 1 of 10
    assert not DomainsRule().applies(categorical("s", {**counts, "one": 1, "two": 1}), 29)  # 2 of 11


def test_domains_not_for_numeric_features() -> None:
    assert suggest_feature(numeric("x", [1.0, 2.0]), 2).domains is None


def test_suggest_constraints_keeps_feature_order_and_types() -> None:
    stats = statistics(numeric("n", [1.0, -2.0]), categorical("s", {"a": 2}), unknown("u"))
    result = suggest_constraints(stats)
    assert [(f.name, f.inferred_type) for f in result.features] == [
        ("n", InferredType.FRACTIONAL),
        ("s", InferredType.STRING),
        ("u", InferredType.UNKNOWN),
    ]
    assert result.features[1].domains == ("a",)
    assert result.monitoring_config == default_monitoring_config()


def test_every_rule_has_a_description() -> None:
    assert all(rule.description for rule in RULES)
