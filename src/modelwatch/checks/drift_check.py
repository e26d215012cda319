"""``baseline_drift_check``: distance between the baseline and current distribution of a feature.

Numeric features compare KLL sketches with ``comparison_method`` against ``comparison_threshold``;
string features compare category counts with ``categorical_drift_method`` against
``categorical_comparison_threshold``. Every method fires when its distance > threshold, except
``ChiSquared``, whose value is a p-value and fires when it is < threshold. The categorical
``LInfinity`` distance follows ``comparison_method``: ``Robust`` (the default) subtracts the same
KS critical value as for numeric features, as Deequ's ``categoricalDistance`` does by default;
any other method uses the plain L-infinity distance.
"""

from __future__ import annotations

import math

from modelwatch.checks.config import CategoricalDriftMethod, EffectiveConfig, NumericDriftMethod
from modelwatch.checks.distance import (
    category_counts,
    chi_squared,
    js_distance,
    js_distance_categorical,
    ks_test,
    linf_categorical,
    linf_categorical_robust,
    linf_robust,
    linf_simple,
    psi,
    psi_categorical,
    wasserstein_normalized,
)
from modelwatch.checks.outcome import CheckOutcome, SkippedCheck
from modelwatch.formats.javafloat import format_double
from modelwatch.formats.statistics import FeatureStatistics, NumericalStatistics
from modelwatch.formats.violations import CheckType, Violation

__all__ = ["baseline_drift_check", "categorical_distance", "numeric_distance"]


def numeric_distance(
    method: NumericDriftMethod, base: NumericalStatistics, cur: NumericalStatistics
) -> float:
    """Distance of two numeric features' sketches by ``method`` (NaN when undefined)."""
    match method:
        case NumericDriftMethod.SIMPLE:
            return linf_simple(base.sketch, cur.sketch)
        case NumericDriftMethod.ROBUST:
            return linf_robust(base.sketch, cur.sketch)
        case NumericDriftMethod.PSI:
            return psi(base.sketch, cur.sketch)
        case NumericDriftMethod.JENSEN_SHANNON:
            return js_distance(base.sketch, cur.sketch)
        case NumericDriftMethod.KOLMOGOROV_SMIRNOV:
            return ks_test(base.sketch, cur.sketch).statistic
        case NumericDriftMethod.WASSERSTEIN:
            return wasserstein_normalized(
                base.sketch, cur.sketch, std_dev=base.std_dev, value_range=base.max - base.min
            )


def categorical_distance(
    method: CategoricalDriftMethod,
    base: dict[str, int],
    cur: dict[str, int],
    *,
    robust: bool = True,
) -> float:
    """Distance (p-value for ``ChiSquared``) of two category count maps by ``method``."""
    match method:
        case CategoricalDriftMethod.LINFINITY:
            return linf_categorical_robust(base, cur) if robust else linf_categorical(base, cur)
        case CategoricalDriftMethod.CHI_SQUARED:
            return chi_squared(base, cur).p_value
        case CategoricalDriftMethod.PSI:
            return psi_categorical(base, cur)
        case CategoricalDriftMethod.JENSEN_SHANNON:
            return js_distance_categorical(base, cur)


def _skip(name: str, reason: str) -> SkippedCheck:
    return SkippedCheck(feature_name=name, check_type=CheckType.BASELINE_DRIFT, reason=reason)


def _violation(name: str, description: str) -> Violation:
    return Violation(
        feature_name=name, constraint_check_type=CheckType.BASELINE_DRIFT.value, description=description
    )


def _numeric(
    name: str, base: NumericalStatistics, current: FeatureStatistics, config: EffectiveConfig
) -> CheckOutcome:
    if not any(base.sketch.data):
        return _skip(name, "the baseline statistics hold no KLL sketch for this feature")
    if current.numerical is None:
        return _skip(name, f"the current column is {current.inferred_type.value}, not numeric")
    if not any(current.numerical.sketch.data):
        return _skip(name, "the current statistics hold no KLL sketch for this feature")
    distance = numeric_distance(config.comparison_method, base, current.numerical)
    if math.isnan(distance):
        return _skip(name, f"the {config.comparison_method.value} distance is undefined")
    threshold = config.comparison_threshold
    if distance <= threshold:
        return None
    return _violation(
        name,
        f"Numerical distance: {format_double(distance)} "
        f"exceeds numerical threshold: {format_double(threshold)}",
    )


def _categorical(
    name: str, base: FeatureStatistics, current: FeatureStatistics, config: EffectiveConfig
) -> CheckOutcome:
    assert base.string is not None
    if current.string is None:
        return _skip(name, f"the current column is {current.inferred_type.value}, not a string column")
    base_counts, cur_counts = category_counts(base.string), category_counts(current.string)
    if not base_counts:
        return _skip(name, "the baseline statistics hold no categorical distribution for this feature")
    if not cur_counts:
        return _skip(name, "the current statistics hold no categorical distribution for this feature")
    method = config.categorical_drift_method
    robust = config.comparison_method == NumericDriftMethod.ROBUST
    distance = categorical_distance(method, base_counts, cur_counts, robust=robust)
    if math.isnan(distance):
        return _skip(name, f"the {method.value} distance is undefined (fewer than 2 baseline categories)")
    threshold = config.categorical_comparison_threshold
    if method == CategoricalDriftMethod.CHI_SQUARED:
        if distance >= threshold:
            return None
        return _violation(
            name,
            f"Categorical chi-squared p-value: {format_double(distance)} "
            f"is below categorical threshold: {format_double(threshold)}",
        )
    if distance <= threshold:
        return None
    return _violation(
        name,
        f"Categorical distance: {format_double(distance)} "
        f"exceeds categorical threshold: {format_double(threshold)}",
    )


def baseline_drift_check(
    name: str,
    baseline: FeatureStatistics | None,
    current: FeatureStatistics,
    config: EffectiveConfig,
) -> CheckOutcome:
    """Compare the feature's baseline and current distributions.

    Returns None when the distributions are close enough or the baseline feature has no
    distribution at all (``Unknown``), a violation when they drift, and a :class:`SkippedCheck`
    when the comparison cannot be computed (no baseline statistics or sketch, the current column
    has another kind, a distance is undefined). Never raises for missing data.
    """
    if not config.perform_comparison:
        return None
    if baseline is None:
        return _skip(name, "the baseline statistics have no feature of this name")
    if current.num_present <= 0:
        return None
    if baseline.numerical is not None:
        return _numeric(name, baseline.numerical, current, config)
    if baseline.string is not None:
        return _categorical(name, baseline, current, config)
    return None
