"""The fast type classification agrees with Deequ's two regular expressions on every string."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.analysis.types import FRACTIONAL_PATTERN, INTEGRAL_PATTERN, classify, infer_type
from modelwatch.formats.statistics import InferredType

INTEGRAL = re.compile(INTEGRAL_PATTERN)
FRACTIONAL = re.compile(FRACTIONAL_PATTERN)

numberish = st.text(alphabet="0123456789.eE+- naifINFtyx", min_size=0, max_size=8)
numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-1e6, 1e6).map(lambda x: f"{x:.3f}"),
    st.sampled_from([".5", "5.", "-.5", "+5", "5.e3", "1e5", "1E-5", "- 5", " 5", "nan", "Infinity", "007"]),
)


def oracle(values: list[str]) -> tuple[int, int]:
    integral = sum(bool(INTEGRAL.match(v)) for v in values)
    fractional = sum(bool(FRACTIONAL.match(v)) for v in values)
    return integral, fractional


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(numberish, numbers), min_size=1, max_size=40))
def test_classification_matches_deequ_regexes(values: list[str]) -> None:
    typed = classify(pa.array(values))
    assert (typed.integral, typed.fractional) == oracle(values)
    assert typed.present == len(values)
    numeric = [float(v.replace(" ", "")) for v in values if INTEGRAL.match(v) or FRACTIONAL.match(v)]
    np.testing.assert_array_equal(typed.numeric, np.array(numeric, dtype=float))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(numbers, st.none()), min_size=1, max_size=30), st.integers(0, 5))
def test_sliced_and_dictionary_arrays_classify_alike(values: list[str | None], cut: int) -> None:
    array = pa.array(["pad"] * cut + values).slice(cut)
    present = [v for v in values if v is not None]
    expected = oracle(present)
    assert (classify(array).integral, classify(array).fractional) == expected
    encoded = classify(array.dictionary_encode())
    assert (encoded.integral, encoded.fractional, encoded.present) == (*expected, len(present))


def test_typed_columns() -> None:
    assert classify(pa.array([1, None, 3])).integral == 2
    floats = classify(pa.array([1.5, float("nan"), None, 2.0]))
    assert (floats.present, floats.fractional) == (2, 2)
    assert classify(pa.array([True, False])).string == 2
    assert classify(pa.array([None, None], pa.string())).present == 0


def test_inferred_type_rules() -> None:
    assert infer_type(0, 0, 0) is InferredType.UNKNOWN
    assert infer_type(5, 0, 0) is InferredType.INTEGRAL
    assert infer_type(5, 1, 0) is InferredType.FRACTIONAL
    assert infer_type(5, 1, 1) is InferredType.STRING


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-1e6, 1e6).map(lambda x: f"{x:.2f}"),
            st.integers(-999, 999).map(str),
            st.sampled_from([".5", "5.", "-.5", "+.5", "3.0", "-0.0", "nan", "inf", "-Infinity", "+7"]),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_plain_decimals_without_exponents(values: list[str]) -> None:
    """The no-exponent fast path (decided from parsed values) agrees with the regexes too."""
    typed = classify(pa.array(values))
    assert (typed.integral, typed.fractional) == oracle(values)
