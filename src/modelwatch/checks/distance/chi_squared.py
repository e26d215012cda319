"""Chi-squared goodness of fit of current category counts against the baseline frequencies.

Deequ's ``Distance.categoricalChiSquareTest`` followed by Spark's ``Statistics.chiSqTest``:

1. Only current categories that the baseline knows count; their sum ``N`` is the sample size.
2. Expected counts = baseline frequencies × ``N``.
3. Small categories are regrouped until valid: with 2 categories every expected count must be
   ≥ 10 (Cochran); with more, at most ``int(0.2·k)`` expected counts may be < 5 (Yates). Otherwise
   the smallest expected category is merged into the second smallest, and the test repeats.
4. Fewer than 2 **expected** (baseline) categories left ⇒ NaN. The current window may hold a single
   category: baseline ``{a: 20, b: 20}`` against current ``{a: 30}`` is the test of ``[30, 0]``
   against ``[15, 15]``, p = 4.3204630539861455E-8, as Deequ answers; a window that collapsed onto
   one value is drift.
5. Pearson's statistic ``Σ (o − e)² / e`` (Spark rescales ``e`` by ``Σo / Σe`` when the two sums
   differ by 1e-7 or more) with ``k − 1`` degrees of freedom; p-value = ``1 − P(χ² ≤ stat)``,
   computed as Spark does (one minus the CDF, not the survival function), so tiny p-values carry
   Spark's rounding too. An expected count of 0 with a non-zero observation gives ``inf`` and p = 0
   (Spark's answer); 0 against 0 is undefined (Spark raises), here NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from modelwatch.checks.distance.scala_hashmap import ScalaHashMap

__all__ = ["ChiSquaredResult", "chi_squared"]

_MIN_CATEGORIES = 2
_YATES_ABS = 5.0
_YATES_FRACTION = 0.2
_COCHRAN_ABS = 10.0
_SCALE_TOLERANCE = 1e-7
"""Spark's ``chiSqTest`` rescales the expected counts only when the sums differ by at least this."""


@dataclass(frozen=True)
class ChiSquaredResult:
    """Pearson's statistic, its p-value and the degrees of freedom (NaN/0 when undefined)."""

    statistic: float
    p_value: float
    degrees_of_freedom: int


_UNDEFINED = ChiSquaredResult(math.nan, math.nan, 0)


def _regroup(sample: ScalaHashMap, expected: ScalaHashMap) -> None:
    """Merge the smallest expected categories in place until the thresholds hold."""
    while len(expected) >= _MIN_CATEGORIES:
        if len(expected) > _MIN_CATEGORIES:
            abs_threshold, max_below = _YATES_ABS, int(_YATES_FRACTION * len(expected))
        else:
            abs_threshold, max_below = _COCHRAN_ABS, 0
        if sum(1 for _, value in expected.items() if value < abs_threshold) <= max_below:
            return
        smallest = expected.min_key()
        smallest_expected = expected.pop(smallest)
        smallest_sample = sample.get(smallest, 0.0)
        sample.discard(smallest)
        second = expected.min_key()
        expected[second] = expected[second] + smallest_expected
        sample[second] = smallest_sample + sample.get(second, 0.0)


def _pearson(observed: list[float], expected: list[float]) -> ChiSquaredResult:
    """Spark's ``ChiSqTest.chiSquared`` (Pearson) of two aligned vectors, sums as left folds."""
    observed_sum = 0.0
    for value in observed:
        observed_sum += value
    expected_sum = 0.0
    for value in expected:
        expected_sum += value
    scale = 1.0 if abs(observed_sum - expected_sum) < _SCALE_TOLERANCE else observed_sum / expected_sum
    dof = len(expected) - 1
    statistic = 0.0
    for obs, exp in zip(observed, expected, strict=True):
        if exp == 0.0:
            if obs == 0.0:
                return _UNDEFINED
            return ChiSquaredResult(math.inf, 0.0, dof)
        exp = exp if scale == 1.0 else exp * scale
        deviation = obs - exp
        statistic += deviation * deviation / exp
    from scipy import special  # imported when needed: scipy.special takes ~0.25 s to import

    return ChiSquaredResult(statistic, 1.0 - float(special.chdtr(dof, statistic)), dof)


def chi_squared(p_base: Mapping[str, int], p_cur: Mapping[str, int]) -> ChiSquaredResult:
    """Goodness of fit of the current counts ``p_cur`` against the baseline counts ``p_base``.

    The categories are visited in the order of Scala's ``mutable.HashMap`` filled in the mappings'
    order (:class:`~modelwatch.checks.distance.scala_hashmap.ScalaHashMap`), so that ties and sums
    fall as in Deequ, to the last digit.
    """
    expected_total = float(sum(p_base.values()))
    sample_total = float(sum(count for value, count in p_cur.items() if value in p_base))
    if expected_total <= 0 or sample_total <= 0:
        return _UNDEFINED
    expected = ScalaHashMap((value, float(count)) for value, count in p_base.items()).mapped(
        lambda count: count / expected_total * sample_total
    )
    sample = ScalaHashMap((value, float(count)) for value, count in p_cur.items()).mapped(float)
    _regroup(sample, expected)
    if len(expected) < _MIN_CATEGORIES:
        return _UNDEFINED
    keys = list(expected)
    return _pearson([sample.get(key, 0.0) for key in keys], [expected[key] for key in keys])
