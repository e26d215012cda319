"""Drift distances against independent oracles (scipy on the raw data, hand-computed cases)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _checks_helpers import sketch
from scipy import stats
from scipy.spatial.distance import jensenshannon

from modelwatch.checks.distance import (
    OTHER_CATEGORY,
    PSI_EPSILON,
    category_counts,
    chi_squared,
    decile_edges,
    js_distance,
    js_distance_categorical,
    ks_test,
    linf_categorical,
    linf_categorical_robust,
    linf_robust,
    linf_simple,
    psi,
    psi_categorical,
    total_weight,
    wasserstein,
    wasserstein_normalized,
    weighted_items,
)
from modelwatch.formats.statistics import CategoricalBucket, KLLSketchData, StringStatistics


@pytest.fixture
def samples() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.normal(0.0, 1.0, 1500), rng.normal(0.3, 1.2, 1100)


def test_weighted_items_sorts_and_weights_levels() -> None:
    values, weights = weighted_items(sketch([3.0, 1.0], [2.0], [], [0.5]))
    assert values.tolist() == [0.5, 1.0, 2.0, 3.0]
    assert weights.tolist() == [8.0, 1.0, 2.0, 1.0]
    assert total_weight(sketch([3.0, 1.0], [2.0], [], [0.5])) == 12.0


def test_weighted_items_of_empty_sketch() -> None:
    values, weights = weighted_items(KLLSketchData())
    assert values.size == 0 and weights.size == 0


def test_linf_simple_hand_computed() -> None:
    # F_base: 1→.25 2→.5 3→.75 4→1 ; F_cur: 1→.25 2→.5 3→.75 5→1 ; at 4: 1 vs .75
    assert linf_simple(sketch([1, 2, 3, 4]), sketch([1, 2, 3, 5])) == 0.25
    assert linf_simple(sketch([1, 2, 3, 4]), sketch([4, 3, 2, 1])) == 0.0
    assert linf_simple(sketch([0, 0]), sketch([1, 1, 1])) == 1.0


def test_linf_simple_uses_level_weights() -> None:
    # one level-1 item weighs as much as two identical level-0 items
    weighted = sketch([1.0, 5.0], [3.0])
    exact = sketch([1.0, 3.0, 3.0, 5.0])
    other = sketch([2.0, 3.0, 4.0, 6.0, 7.0])
    assert linf_simple(weighted, other) == linf_simple(exact, other)


def test_linf_simple_equals_ks_statistic_on_exact_sketches(samples) -> None:
    a, b = samples
    expected = stats.ks_2samp(a, b).statistic
    assert linf_simple(sketch(a), sketch(b)) == pytest.approx(expected, abs=1e-12)


def test_linf_simple_of_empty_sketch_is_nan() -> None:
    assert math.isnan(linf_simple(KLLSketchData(), sketch([1.0])))


def test_linf_robust_subtracts_ks_critical_value(samples) -> None:
    a, b = samples
    simple = stats.ks_2samp(a, b).statistic
    n, m = a.size, b.size
    expected = max(0.0, simple - 1.8 * math.sqrt((n + m) / (n * m)))
    assert expected > 0
    assert linf_robust(sketch(a), sketch(b)) == pytest.approx(expected, abs=1e-12)


def test_linf_robust_clips_at_zero_for_small_samples() -> None:
    assert linf_simple(sketch([1, 2, 3, 4]), sketch([1, 2, 3, 5])) == 0.25
    assert linf_robust(sketch([1, 2, 3, 4]), sketch([1, 2, 3, 5])) == 0.0


def test_linf_categorical_hand_computed() -> None:
    # base a=.5 b=.5 ; cur a=.25 b=.25 c=.5
    assert linf_categorical({"a": 2, "b": 2}, {"a": 1, "b": 1, "c": 2}) == 0.5
    assert linf_categorical({"a": 3, "b": 1}, {"a": 30, "b": 10}) == 0.0
    assert math.isnan(linf_categorical({"a": 1}, {}))


def test_linf_categorical_robust() -> None:
    base, cur = {"a": 600, "b": 400}, {"a": 300, "b": 700}
    expected = 0.3 - 1.8 * math.sqrt(2000 / (1000 * 1000))
    assert linf_categorical_robust(base, cur) == pytest.approx(expected, abs=1e-12)


def test_category_counts_adds_other_for_uncovered_values() -> None:
    stats_ = StringStatistics(
        num_present=10, num_missing=2, distinct_count=4.0,
        buckets=(CategoricalBucket("a", 5), CategoricalBucket("b", 3)),
    )  # fmt: skip
    assert category_counts(stats_) == {"a": 5, "b": 3, OTHER_CATEGORY: 2}
    covered = StringStatistics(num_present=8, num_missing=0, distinct_count=2.0, buckets=stats_.buckets)
    assert category_counts(covered) == {"a": 5, "b": 3}


def test_chi_squared_matches_scipy_without_regrouping() -> None:
    base = {"a": 500, "b": 300, "c": 200}
    cur = {"a": 380, "b": 420, "c": 200}
    oracle = stats.chisquare([380, 420, 200], [500.0, 300.0, 200.0])
    result = chi_squared(base, cur)
    assert result.statistic == pytest.approx(oracle.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=1e-9)
    assert result.degrees_of_freedom == 2


def test_chi_squared_scales_baseline_to_current_total_and_ignores_new_categories() -> None:
    base = {"a": 50, "b": 30, "c": 20}
    cur = {"a": 400, "b": 400, "c": 200, "new": 1000}
    oracle = stats.chisquare([400, 400, 200], [500.0, 300.0, 200.0])
    result = chi_squared(base, cur)
    assert result.statistic == pytest.approx(oracle.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=1e-9)


def test_chi_squared_regroups_small_expected_categories() -> None:
    # current total 100; expected a=60 b=30 c=6 d=3 e=1 → 5 categories allow int(0.2*5)=1 below 5,
    # two are below (d, e): merge e into d → a b c d(4): int(.8)=0 allowed, d<5 → merge d into c (10)
    base = {"a": 600, "b": 300, "c": 60, "d": 30, "e": 10}
    cur = {"a": 50, "b": 30, "c": 10, "d": 6, "e": 4}
    oracle = stats.chisquare([50, 30, 20], [60.0, 30.0, 10.0])
    result = chi_squared(base, cur)
    assert result.degrees_of_freedom == 2
    assert result.statistic == pytest.approx(oracle.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=1e-9)


def test_chi_squared_two_categories_need_ten_expected() -> None:
    # expected a=95 b=5 → b < 10 with 2 categories → merged → one category → NaN
    result = chi_squared({"a": 95, "b": 5}, {"a": 90, "b": 10})
    assert math.isnan(result.statistic) and math.isnan(result.p_value)


def test_chi_squared_fewer_than_two_categories_is_nan() -> None:
    assert math.isnan(chi_squared({"a": 10}, {"a": 10}).p_value)
    assert math.isnan(chi_squared({"a": 10, "b": 10}, {"c": 5}).p_value)


def _psi_oracle(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.unique(np.quantile(a, np.arange(1, 10) / 10, method="inverted_cdf"))
    bins = np.concatenate(([-np.inf], edges, [np.inf]))
    # right-closed bins (e_{i-1}, e_i]: histogram of the negated values with negated edges
    p = np.histogram(-a, bins=-bins[::-1])[0][::-1] / a.size
    q = np.histogram(-b, bins=-bins[::-1])[0][::-1] / b.size
    return p, q


def test_decile_edges_are_the_baseline_deciles(samples) -> None:
    a, _ = samples
    expected = np.quantile(a, np.arange(1, 10) / 10, method="inverted_cdf")
    np.testing.assert_array_equal(decile_edges(sketch(a)), expected)


def test_psi_against_independent_binning(samples) -> None:
    a, b = samples
    p, q = _psi_oracle(a, b)
    assert (p > 0).all() and (q > 0).all()
    expected = float(np.sum((q - p) * np.log(q / p)))
    assert psi(sketch(a), sketch(b)) == pytest.approx(expected, rel=1e-12)
    assert psi(sketch(a), sketch(a)) == 0.0


def test_psi_hand_computed_with_empty_bin() -> None:
    # baseline 1..10: deciles 1..9 → bins (-inf,1] … (8,9] (9,inf): every bin holds 0.1
    # current: 10 values all equal 0.5 → everything in bin 0, other bins empty → epsilon
    base = sketch(range(1, 11))
    cur = sketch([0.5] * 10)
    eps = PSI_EPSILON
    expected = (1.0 - 0.1) * math.log(1.0 / 0.1) + 9 * (eps - 0.1) * math.log(eps / 0.1)
    assert psi(base, cur) == pytest.approx(expected, rel=1e-12)


def test_js_distance_against_scipy(samples) -> None:
    a, b = samples
    p, q = _psi_oracle(a, b)
    assert js_distance(sketch(a), sketch(b)) == pytest.approx(jensenshannon(p, q, base=2), rel=1e-9)


def test_js_distance_hand_computed() -> None:
    # baseline 0..9: 10 bins of 0.1 each; current all beyond the last decile → last bin holds 1.0
    kl_base = 0.9 * math.log2(0.1 / 0.05) + 0.1 * math.log2(0.1 / 0.55)
    kl_cur = math.log2(1.0 / 0.55)
    expected = math.sqrt((kl_base + kl_cur) / 2)
    assert js_distance(sketch(range(10)), sketch([100.0] * 5)) == pytest.approx(expected, rel=1e-12)


def test_categorical_psi_and_js() -> None:
    base, cur = {"a": 50, "b": 50}, {"a": 20, "b": 60, "c": 20}
    p = np.array([0.5, 0.5, 0.0])
    q = np.array([0.2, 0.6, 0.2])
    p_eps = np.where(p > 0, p, PSI_EPSILON)
    assert psi_categorical(base, cur) == pytest.approx(float(np.sum((q - p_eps) * np.log(q / p_eps))))
    assert js_distance_categorical(base, cur) == pytest.approx(jensenshannon(p, q, base=2), rel=1e-12)


def test_ks_test_matches_scipy_exact_for_small_samples(samples) -> None:
    a, b = samples
    oracle = stats.ks_2samp(a, b, method="exact")
    result = ks_test(sketch(a), sketch(b))
    assert result.statistic == pytest.approx(oracle.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=1e-9)
    assert oracle.pvalue < 0.01


def test_ks_test_no_drift_on_itself(samples) -> None:
    a, _ = samples
    result = ks_test(sketch(a), sketch(a))
    assert result.statistic == 0.0 and result.p_value == 1.0


def test_wasserstein_matches_scipy(samples) -> None:
    a, b = samples
    assert wasserstein(sketch(a), sketch(b)) == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9)


def test_wasserstein_with_weights_matches_scipy() -> None:
    weighted = sketch([1.0, 4.0], [2.0, 7.0])
    u, w = [1.0, 4.0, 2.0, 7.0], [1, 1, 2, 2]
    v = [0.0, 3.0, 3.0, 9.0]
    expected = stats.wasserstein_distance(u, v, u_weights=w)
    assert wasserstein(weighted, sketch(v)) == pytest.approx(expected, rel=1e-12)


def test_wasserstein_normalized_by_std_then_range(samples) -> None:
    a, b = samples
    w1 = stats.wasserstein_distance(a, b)
    assert wasserstein_normalized(sketch(a), sketch(b)) == pytest.approx(w1 / a.std(), rel=1e-9)
    assert wasserstein_normalized(sketch(a), sketch(b), std_dev=2.0, value_range=9.0) == pytest.approx(w1 / 2)
    assert wasserstein_normalized(sketch(a), sketch(b), std_dev=0.0, value_range=4.0) == pytest.approx(w1 / 4)


def test_wasserstein_normalized_constant_baseline() -> None:
    constant = sketch([2.0, 2.0, 2.0])
    assert wasserstein_normalized(constant, sketch([2.0])) == 0.0
    assert wasserstein_normalized(constant, sketch([3.0])) == math.inf


@pytest.mark.parametrize(
    "func", [linf_simple, linf_robust, psi, js_distance, wasserstein, wasserstein_normalized]
)
def test_numeric_distances_of_empty_sketch_are_nan(func) -> None:
    assert math.isnan(func(KLLSketchData(), sketch([1.0, 2.0])))
    assert math.isnan(func(sketch([1.0, 2.0]), KLLSketchData()))
