"""``baseline_drift_check`` on Deequ's edge cases: one category, categories on one side only, empty
and all-null sides, a single value per side. Each outcome is a value (None, a violation or a typed
skip with its reason), never an exception."""

from __future__ import annotations

from _checks_helpers import categorical, numeric, unknown

from modelwatch.checks.config import CategoricalDriftMethod, EffectiveConfig, NumericDriftMethod
from modelwatch.checks.drift_check import baseline_drift_check
from modelwatch.checks.outcome import SkippedCheck
from modelwatch.formats.violations import CheckType, Violation

CHI = EffectiveConfig(
    categorical_drift_method=CategoricalDriftMethod.CHI_SQUARED, categorical_comparison_threshold=0.05
)
LINF = EffectiveConfig(comparison_method=NumericDriftMethod.SIMPLE)


def test_chi_squared_flags_a_window_collapsed_onto_one_category() -> None:
    outcome = baseline_drift_check(
        "c", categorical("c", {"a": 20, "b": 20}), categorical("c", {"a": 30}), CHI
    )
    assert isinstance(outcome, Violation)
    assert outcome.description == (
        "Categorical chi-squared p-value: 4.3204630539861455E-8 is below categorical threshold: 0.05"
    )


def test_chi_squared_with_a_single_baseline_category_is_skipped_with_its_reason() -> None:
    outcome = baseline_drift_check(
        "c", categorical("c", {"a": 40}), categorical("c", {"a": 10, "b": 30}), CHI
    )
    assert isinstance(outcome, SkippedCheck)
    assert outcome.check_type == CheckType.BASELINE_DRIFT
    assert outcome.reason == "the ChiSquared distance is undefined (fewer than 2 baseline categories)"


def test_chi_squared_with_only_new_categories_is_skipped() -> None:
    outcome = baseline_drift_check("c", categorical("c", {"a": 20, "b": 20}), categorical("c", {"z": 9}), CHI)
    assert isinstance(outcome, SkippedCheck)


def test_linf_with_categories_on_one_side_only_is_total_drift() -> None:
    outcome = baseline_drift_check("c", categorical("c", {"a": 5}), categorical("c", {"b": 7}), LINF)
    assert isinstance(outcome, Violation)
    assert outcome.description == "Categorical distance: 1.0 exceeds categorical threshold: 0.1"


def test_numeric_single_value_each_side() -> None:
    same = baseline_drift_check("x", numeric("x", [3.0]), numeric("x", [3.0]), LINF)
    assert same is None
    moved = baseline_drift_check("x", numeric("x", [3.0]), numeric("x", [4.0]), LINF)
    assert isinstance(moved, Violation)
    assert moved.description == "Numerical distance: 1.0 exceeds numerical threshold: 0.1"


def test_all_null_current_column_is_left_to_completeness() -> None:
    current = numeric("x", [], missing=50, with_sketch=False)
    assert baseline_drift_check("x", numeric("x", [1.0, 2.0]), current, LINF) is None


def test_all_null_baseline_column_has_no_distribution_to_compare() -> None:
    assert baseline_drift_check("x", unknown("x"), numeric("x", [1.0, 2.0]), LINF) is None


def test_numeric_baseline_without_sketch_is_skipped() -> None:
    base = numeric("x", [1.0, 2.0], with_sketch=False)
    outcome = baseline_drift_check("x", base, numeric("x", [1.0, 2.0]), LINF)
    assert isinstance(outcome, SkippedCheck)
    assert outcome.reason == "the baseline statistics hold no KLL sketch for this feature"
