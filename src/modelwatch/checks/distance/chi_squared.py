"""Chi-squared goodness of fit of current category counts against the baseline frequencies.

Deequ's ``Distance.categoricalChiSquareTest`` followed by Spark's ``Statistics.chiSqTest``:

1. Only current categories that the baseline knows count; their sum ``N`` is the sample size.
2. Expected counts = baseline frequencies × ``N``.
3. Small categories are regrouped until valid: with 2 categories every expected count must be
   ≥ 10 (Cochran); with more, at most ``int(0.2·k)`` expected counts may be < 5 (Yates). Otherwise
   the smallest expected category is merged into the second smallest, and the test repeats.
4. Fewer than 2 categories left on either side ⇒ NaN (as is a current sample with no baseline category).
5. Pearson's statistic ``Σ (o − e)² / e`` with ``k − 1`` degrees of freedom; p-value = ``P(χ² ≥ stat)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ChiSquaredResult", "chi_squared"]

_MIN_CATEGORIES = 2
_YATES_ABS = 5.0
_YATES_FRACTION = 0.2
_COCHRAN_ABS = 10.0


@dataclass(frozen=True)
class ChiSquaredResult:
    """Pearson's statistic, its p-value and the degrees of freedom (NaN/0 when undefined)."""

    statistic: float
    p_value: float
    degrees_of_freedom: int


_UNDEFINED = ChiSquaredResult(math.nan, math.nan, 0)


def _regroup(sample: dict[str, float], expected: dict[str, float]) -> None:
    """Merge the smallest expected categories in place until the thresholds hold."""
    while len(expected) >= _MIN_CATEGORIES:
        if len(expected) > _MIN_CATEGORIES:
            abs_threshold, max_below = _YATES_ABS, int(_YATES_FRACTION * len(expected))
        else:
            abs_threshold, max_below = _COCHRAN_ABS, 0
        if sum(1 for value in expected.values() if value < abs_threshold) <= max_below:
            return
        smallest = min(expected, key=lambda key: (expected[key], key))
        smallest_expected = expected.pop(smallest)
        smallest_sample = sample.pop(smallest, 0.0)
        second = min(expected, key=lambda key: (expected[key], key))
        expected[second] += smallest_expected
        sample[second] = sample.get(second, 0.0) + smallest_sample


def chi_squared(p_base: Mapping[str, int], p_cur: Mapping[str, int]) -> ChiSquaredResult:
    """Goodness of fit of the current counts ``p_cur`` against the baseline counts ``p_base``.

    Ties between equally small categories are broken by category name (Deequ leaves it to hash
    order), so the result is deterministic.
    """
    expected_total = float(sum(p_base.values()))
    sample_total = float(sum(count for value, count in p_cur.items() if value in p_base))
    if expected_total <= 0 or sample_total <= 0:
        return _UNDEFINED
    expected = {value: count / expected_total * sample_total for value, count in p_base.items()}
    sample = {value: float(count) for value, count in p_cur.items()}
    _regroup(sample, expected)
    if len(sample) < _MIN_CATEGORIES or len(expected) < _MIN_CATEGORIES:
        return _UNDEFINED
    keys = sorted(expected)
    statistic = 0.0
    for key in keys:
        exp = expected[key]
        obs = sample.get(key, 0.0)
        if exp == 0.0:
            if obs == 0.0:
                return _UNDEFINED
            return ChiSquaredResult(math.inf, 0.0, len(keys) - 1)
        statistic += (obs - exp) ** 2 / exp
    dof = len(keys) - 1
    from scipy import stats as scipy_stats  # imported when needed: scipy takes ~0.5 s to import

    return ChiSquaredResult(statistic, float(scipy_stats.chi2.sf(statistic, dof)), dof)
