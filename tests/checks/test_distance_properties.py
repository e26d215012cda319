"""Property tests: on exact sketches the distances equal brute-force and scipy values on the raw data."""

from __future__ import annotations

import math

from _checks_helpers import sketch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from modelwatch.checks.distance import linf_robust, linf_simple, wasserstein

values = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False).map(
        lambda x: round(x, 3)
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(values, values)
def test_linf_simple_is_the_ks_statistic(a: list[float], b: list[float]) -> None:
    d = linf_simple(sketch(a), sketch(b))
    brute = max(
        abs(sum(v <= x for v in a) / len(a) - sum(v <= x for v in b) / len(b)) for x in a + b
    )  # fmt: skip
    assert math.isclose(d, brute, abs_tol=1e-12)
    assert d == linf_simple(sketch(b), sketch(a))
    assert 0.0 <= linf_robust(sketch(a), sketch(b)) <= d


@settings(max_examples=150, deadline=None)
@given(values, values)
def test_wasserstein_is_scipys(a: list[float], b: list[float]) -> None:
    expected = stats.wasserstein_distance(a, b)
    assert math.isclose(wasserstein(sketch(a), sketch(b)), expected, rel_tol=1e-9, abs_tol=1e-6)
