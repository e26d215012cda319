"""KS p-values: exact for small samples, asymptotic for large, as ``ks_2samp(method="auto")`` chooses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _checks_helpers import sketch
from scipy import special, stats

from modelwatch.checks.distance import ks_test
from modelwatch.checks.distance.ks import ASYMPTOTIC_ERROR_BOUND, EXACT_MAX_N, ks_p_value


def test_raw_data_sketches_equal_ks_2samp_auto() -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=700), rng.normal(0.15, 1.0, size=450)
    oracle = stats.ks_2samp(a, b, method="auto")
    result = ks_test(sketch(a), sketch(b))
    assert result.statistic == pytest.approx(oracle.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=1e-12)


def test_compacted_sketch_up_to_the_exact_limit_uses_the_exact_distribution() -> None:
    # level 1 items weigh 2: the sketch stands for 2 * 2000 + 1000 = 5000 values
    rng = np.random.default_rng(5)
    level0, level1 = rng.normal(size=1000), rng.normal(size=2000)
    cur = rng.normal(0.1, 1.0, size=1500)
    base_values = np.concatenate((level0, np.repeat(level1, 2)))
    oracle = stats.ks_2samp(base_values, cur, method="exact")
    result = ks_test(sketch(level0, level1), sketch(cur))
    assert result.statistic == pytest.approx(oracle.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=1e-9)


def test_large_sample_with_small_effective_size_is_scipys_asymptotic() -> None:
    # n = 2**14 weighs more than 10000, m = 40: e = round(n·m/(n+m)) = 40, kstwo.sf(D, 40)
    assert ks_p_value(0.2, 2.0**14, 40.0) == stats.kstwo.sf(0.2, 40)


@pytest.mark.parametrize("effective", [EXACT_MAX_N + 1, 40_000])
@pytest.mark.parametrize("lam", [0.5, 0.75, 1.0, 1.5, 2.0])
def test_large_samples_use_the_limit_within_the_documented_bound(effective: int, lam: float) -> None:
    n = m = 2.0 * effective  # n·m/(n+m) = effective
    d = lam / math.sqrt(effective)
    p = ks_p_value(d, n, m)
    assert p == special.kolmogorov(lam)
    assert abs(p - stats.kstwo.sf(d, effective)) <= ASYMPTOTIC_ERROR_BOUND / math.sqrt(effective)


def test_large_sketches_take_the_asymptotic_branch() -> None:
    rng = np.random.default_rng(2)
    level0, level4 = rng.normal(size=100), rng.normal(size=2000)  # 100 + 16 * 2000 = 32100 values
    cur0, cur4 = rng.normal(0.02, size=60), rng.normal(0.02, size=2000)
    result = ks_test(sketch(level0, [], [], [], level4), sketch(cur0, [], [], [], cur4))
    n, m = 100 + 16 * 2000, 60 + 16 * 2000  # n·m/(n+m) ≈ 16040 > 10000
    assert result.p_value == special.kolmogorov(math.sqrt(n * m / (n + m)) * result.statistic)
    assert 0.0 < result.p_value < 1.0


def test_empty_sketch_is_nan() -> None:
    result = ks_test(sketch(), sketch([1.0, 2.0]))
    assert math.isnan(result.statistic) and math.isnan(result.p_value)
