"""Merge laws of the column profile: merge(A, B) profiles A ∪ B; merge is associative; zero is identity."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.analysis.profile import ColumnProfile

cells = st.one_of(
    st.none(),
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.4f}"),
    st.sampled_from(["red", "green", "blue", "x y"]),
)
column_values = st.lists(cells, min_size=0, max_size=400)


def profile(values: list[str | None]) -> ColumnProfile:
    p = ColumnProfile.zero("c")
    if values:
        p.update(pa.array(values, pa.string()))
    return p


def copy(p: ColumnProfile) -> ColumnProfile:
    return ColumnProfile.from_dict(p.to_dict())


def assert_same(a: ColumnProfile, b: ColumnProfile) -> None:
    assert (a.count, a.present, a.integral, a.fractional) == (b.count, b.present, b.integral, b.fractional)
    ma, mb = a.moments, b.moments
    assert ma.count == mb.count
    if ma.count:
        assert (ma.min, ma.max) == (mb.min, mb.max)
        for x, y in ((ma.sum, mb.sum), (ma.mean, mb.mean), (ma.m2, mb.m2)):
            assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
    assert a.sketch.count == b.sketch.count
    va, _ = a.sketch.weighted_items()
    vb, _ = b.sketch.weighted_items()
    if a.sketch.count <= 2049:  # a single level: the sketch is the data itself
        np.testing.assert_array_equal(va, vb)
    if a.categorical_complete and b.categorical_complete and a.categorical and b.categorical:
        assert dict(a.categorical.top()) == dict(b.categorical.top())


@settings(max_examples=150, deadline=None)
@given(column_values, column_values)
def test_merge_equals_profile_of_union(a: list[str | None], b: list[str | None]) -> None:
    merged = copy(profile(a)).merge(profile(b))
    assert_same(merged, profile(a + b))


@settings(max_examples=100, deadline=None)
@given(column_values, column_values, column_values)
def test_merge_is_associative(a: list[str | None], b: list[str | None], c: list[str | None]) -> None:
    left = copy(profile(a)).merge(profile(b)).merge(profile(c))
    right = copy(profile(a)).merge(copy(profile(b)).merge(profile(c)))
    assert_same(left, right)


@settings(max_examples=100, deadline=None)
@given(column_values)
def test_zero_is_identity(a: list[str | None]) -> None:
    assert_same(ColumnProfile.zero("c").merge(profile(a)), profile(a))
    assert_same(copy(profile(a)).merge(ColumnProfile.zero("c")), profile(a))


@settings(max_examples=10, deadline=None)
@given(st.integers(3000, 30000), st.integers(0, 2**32 - 1))
def test_merged_sketch_stays_within_its_error_bound(n: int, seed: int) -> None:
    values = np.random.default_rng(seed).normal(size=n)
    half = n // 2
    a, b = ColumnProfile.zero("c"), ColumnProfile.zero("c")
    a.update(pa.array(values[:half]))
    b.update(pa.array(values[half:]))
    merged = a.merge(b)
    points = np.quantile(values, np.linspace(0.05, 0.95, 10))
    exact = np.searchsorted(np.sort(values), points, side="right")
    assert np.max(np.abs(merged.sketch.ranks(points, inclusive=True) - exact)) / n < 0.01
