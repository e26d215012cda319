"""Deequ's own distance tests (``KLLDistanceTest.scala``, awslabs/deequ), ported case by case.

Deequ's ``categoricalDistance(sample, expected, ...)`` takes the **current** counts first and the
baseline second; modelwatch's functions take the baseline first. ``correctForLowNumberOfSamples =
true`` asks Deequ for the plain distance (L-infinity) or the statistic (chi-squared); otherwise it
answers the robust distance or the p-value. Values are Deequ's, compared with ``==`` where Deequ does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _checks_helpers import sketch

from modelwatch.checks.distance import (
    chi_squared,
    linf_categorical,
    linf_categorical_robust,
    linf_robust,
    linf_simple,
)
from modelwatch.checks.distance.binned import psi_proportions

# KLL distance calculator should compute correct linf_simple / linf_robust


def test_numeric_linf_simple() -> None:
    assert linf_simple(sketch([1, 2, 3, 4]), sketch([2, 3, 4, 5])) == 0.25


def test_numeric_linf_robust() -> None:
    assert linf_robust(sketch([1, 2, 3, 4]), sketch([2, 3, 4, 5])) == 0.0


_SAMPLE1 = {"a": 10, "b": 20, "c": 25, "d": 10, "e": 5}
_SAMPLE2 = {"a": 11, "b": 20, "c": 25, "d": 10, "e": 10}
_SAMPLE2_NEW_BIN = {"f": 11, "a": 20, "c": 25, "d": 10, "e": 10}


def test_categorical_linf_simple() -> None:
    assert linf_categorical(_SAMPLE2, _SAMPLE1) == 0.06015037593984962


def test_categorical_linf_robust() -> None:
    assert linf_categorical_robust(_SAMPLE2, _SAMPLE1) == 0.0


def test_categorical_linf_simple_with_a_bin_on_one_side_only() -> None:
    assert linf_categorical(_SAMPLE2_NEW_BIN, _SAMPLE1) == 0.2857142857142857


def test_categorical_linf_robust_with_a_bin_on_one_side_only() -> None:
    assert linf_categorical_robust(_SAMPLE2_NEW_BIN, _SAMPLE1) == 0.0


_ALPHA_SAMPLE1 = {"a": 207, "b": 20, "c": 25, "d": 14, "e": 25, "g": 13}
_ALPHA_SAMPLE2 = {"a": 22, "b": 20, "c": 25, "d": 12, "e": 13, "f": 15}


def test_categorical_linf_robust_alpha_0_003() -> None:
    distance = linf_categorical_robust(_ALPHA_SAMPLE2, _ALPHA_SAMPLE1, alpha=0.003)
    assert distance == pytest.approx(0.2726338046550349, abs=1e-14)


def test_categorical_linf_robust_alpha_0_1() -> None:
    assert linf_categorical_robust(_ALPHA_SAMPLE2, _ALPHA_SAMPLE1, alpha=0.1) == 0.33774199396969184


# Chi-squared: Deequ's sample1 is the current window, sample2 the baseline.

_CHI_SAMPLE = {"a": 207, "b": 20, "c": 25, "d": 14, "e": 25, "g": 13}
_CHI_EXPECTED = {"a": 223, "b": 20, "c": 25, "d": 12, "e": 13, "f": 15}


def test_chi_squared_statistic_with_missing_bin_values() -> None:
    assert chi_squared(_CHI_EXPECTED, _CHI_SAMPLE).statistic == 28.175042782458068


def test_chi_squared_p_value_with_missing_bin_values() -> None:
    assert chi_squared(_CHI_EXPECTED, _CHI_SAMPLE).p_value == 3.3640191298478506e-5


def test_chi_squared_p_value() -> None:
    sample = {"a": 207, "b": 20, "c": 25, "d": 14, "e": 25}
    expected = {"a": 223, "b": 20, "c": 25, "d": 12, "e": 13}
    assert chi_squared(expected, sample).p_value == 0.013227994814265176


def test_chi_squared_regroups_two_categories_after_normalising() -> None:
    sample = {"a": 100, "b": 20, "c": 25, "d": 10, "e": 5, "f": 2}
    expected = {"a": 100, "b": 22, "c": 25, "d": 5, "e": 13, "f": 2}
    assert chi_squared(expected, sample).statistic == 8.789790456457125


def test_chi_squared_regroups_yates() -> None:
    baseline = {"a": 100, "b": 40, "c": 30, "e": 4}
    sample = {"a": 100, "b": 40, "c": 30, "d": 10}
    assert chi_squared(baseline, sample).statistic == 0.38754325259515626


def test_chi_squared_regroups_two_categories_yates() -> None:
    baseline = {"a": 100, "b": 4, "c": 3, "d": 34}
    sample = {"a": 100, "b": 4, "c": 3, "d": 27}
    assert chi_squared(baseline, sample).statistic == 1.1507901668129925


def test_chi_squared_regroups_while_small_categories_exceed_twenty_percent() -> None:
    baseline = {"a": 100, "b": 2, "c": 1, "d": 34, "e": 20, "f": 20, "g": 20, "h": 20}
    sample = {"a": 100, "b": 4, "c": 3, "d": 27, "e": 20, "f": 20, "g": 20, "h": 20}
    assert chi_squared(baseline, sample).statistic == 6.827423492761593


def test_chi_squared_too_few_categories_after_regrouping_is_nan() -> None:
    counts = {"a": 100, "b": 4, "c": 3}
    result = chi_squared(counts, dict(counts))
    assert math.isnan(result.statistic) and math.isnan(result.p_value)


def test_chi_squared_fewer_expected_categories_than_the_minimum_is_nan() -> None:
    assert math.isnan(chi_squared({"b": 20}, {"a": 10, "b": 20}).p_value)


def test_chi_squared_categories_that_do_not_match_is_nan() -> None:
    assert math.isnan(chi_squared({"c": 20, "d": 20}, {"a": 15, "b": 20}).p_value)


def test_chi_squared_single_current_category_is_drift() -> None:
    """The window collapsed onto one value: Deequ's p-value, to the last digit."""
    result = chi_squared({"a": 20, "b": 20}, {"a": 30})
    assert result.p_value == 4.3204630539861455e-8
    assert result.statistic == 30.0
    assert result.degrees_of_freedom == 1


def test_psi_of_deequ_deciles() -> None:
    """Deequ's PSI of two decile histograms (no empty bin, so no epsilon)."""
    expected = np.array([428, 425, 414, 427, 440, 447, 380, 386, 444, 386], dtype=np.float64)
    actual = np.array([426, 437, 429, 391, 469, 433, 360, 443, 371, 418], dtype=np.float64)
    distance = psi_proportions(expected / expected.sum(), actual / actual.sum())
    assert distance == 0.007406694184014186


# Edge cases beyond Deequ's file, with Deequ's semantics.


def test_chi_squared_empty_sides_are_nan() -> None:
    assert math.isnan(chi_squared({}, {"a": 3}).p_value)
    assert math.isnan(chi_squared({"a": 3, "b": 4}, {}).p_value)


def test_chi_squared_current_categories_unknown_to_the_baseline_are_ignored() -> None:
    with_new = chi_squared({"a": 20, "b": 20}, {"a": 30, "zzz": 1000})
    assert with_new.p_value == 4.3204630539861455e-8


def test_linf_empty_sides_are_nan() -> None:
    assert math.isnan(linf_categorical({}, {"a": 1}))
    assert math.isnan(linf_categorical_robust({"a": 1}, {}))
    assert math.isnan(linf_simple(sketch([]), sketch([1.0])))
    assert math.isnan(linf_robust(sketch([1.0]), sketch()))


def test_linf_single_bucket_each_side() -> None:
    assert linf_simple(sketch([1.0]), sketch([1.0])) == 0.0
    assert linf_simple(sketch([1.0]), sketch([2.0])) == 1.0
    assert linf_categorical({"a": 5}, {"b": 7}) == 1.0
