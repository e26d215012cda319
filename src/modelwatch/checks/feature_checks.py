"""The per-feature checks that read only the current statistics: data type, completeness, domain.

Each takes the constraint's values and the current feature's statistics and returns a
:class:`~modelwatch.formats.violations.Violation` or None.
"""

from __future__ import annotations

from collections.abc import Collection

from modelwatch.checks.completeness import feature_completeness
from modelwatch.formats.javafloat import format_double
from modelwatch.formats.statistics import FeatureStatistics, InferredType
from modelwatch.formats.violations import CheckType, Violation

__all__ = [
    "categorical_values_check",
    "completeness_check",
    "data_type_check",
    "data_type_match_ratio",
    "domain_fraction",
    "type_matches",
]

_NUMERIC = (InferredType.INTEGRAL, InferredType.FRACTIONAL)


def type_matches(expected: InferredType, observed: InferredType) -> bool:
    """Whether a value of type ``observed`` satisfies an ``expected`` numeric column type.

    Integral ← Integral; Fractional ← Fractional or Integral (an integer is a valid fractional
    number); String ← String. (A String expectation is decided per column, see
    :func:`data_type_match_ratio`.)
    """
    if expected == InferredType.FRACTIONAL:
        return observed in _NUMERIC
    return observed == expected


def data_type_match_ratio(expected: InferredType, current: FeatureStatistics) -> float | None:
    """Share of the current present values whose type satisfies ``expected``; None when none present.

    Numeric expectations count values: ``current.type_counts`` when known (a fresh profile),
    otherwise the current feature's inferred type stands for all its values (ratio 1.0 or 0.0).

    A ``String`` expectation is met by every value of a current column that is itself ``String``
    (a text column may hold digits), and by none of a column whose values all look numeric:
    SageMaker fails its own ``bad_cases`` example, a Fractional column checked against ``String``.
    """
    present = current.num_present
    if present <= 0:
        return None
    if expected == InferredType.STRING and current.inferred_type == InferredType.STRING:
        return 1.0
    if current.type_counts is None:
        return 1.0 if type_matches(expected, current.inferred_type) else 0.0
    matching = sum(
        count for observed, count in current.type_counts.items() if type_matches(expected, observed)
    )
    return min(matching / present, 1.0)


def data_type_check(
    name: str, expected: InferredType, current: FeatureStatistics, threshold: float
) -> Violation | None:
    """Fires when the type match ratio < ``datatype_check_threshold``.

    Not evaluated for an ``Unknown`` expectation or an all-null current column (completeness covers it).
    """
    if expected == InferredType.UNKNOWN:
        return None
    ratio = data_type_match_ratio(expected, current)
    if ratio is None or ratio >= threshold:
        return None
    return Violation(
        feature_name=name,
        constraint_check_type=CheckType.DATA_TYPE.value,
        description=(
            f"Data type match requirement is not met. Expected data type: {expected.value}, "
            f"Expected match: {format_double(threshold * 100)}%. "
            f"Observed: Only {format_double(ratio * 100)}% of data is {expected.value}."
        ),
    )


def completeness_check(
    name: str, required: float | None, current: FeatureStatistics, item_count: int
) -> Violation | None:
    """Fires when the current completeness < the feature's ``completeness`` constraint."""
    if required is None:
        return None
    observed = feature_completeness(current, item_count)
    if observed is None or observed >= required:
        return None
    return Violation(
        feature_name=name,
        constraint_check_type=CheckType.COMPLETENESS.value,
        description=(
            f"Data completeness requirement is not met. Expected completeness: "
            f"{format_double(required * 100)}%. Observed: Only {format_double(observed * 100)}% "
            "of data is complete."
        ),
    )


def domain_fraction(domains: Collection[str], current: FeatureStatistics) -> float | None:
    """Share of the current present values listed in ``domains``; None without string statistics.

    Values beyond the kept top values (not in the buckets) count as outside the domain.
    """
    stats = current.string
    if stats is None or stats.num_present <= 0:
        return None
    allowed = set(domains)
    inside = sum(bucket.count for bucket in stats.buckets if bucket.value in allowed)
    return min(inside / stats.num_present, 1.0)


def categorical_values_check(
    name: str, domains: Collection[str] | None, current: FeatureStatistics, threshold: float
) -> Violation | None:
    """Fires when the share of current values inside ``domains`` < ``domain_content_threshold``."""
    if domains is None:
        return None
    fraction = domain_fraction(domains, current)
    if fraction is None or fraction >= threshold:
        return None
    return Violation(
        feature_name=name,
        constraint_check_type=CheckType.CATEGORICAL_VALUES.value,
        description=f"Value: {format_double(fraction)} does not meet the constraint requirement! ",
    )
