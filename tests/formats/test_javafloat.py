"""``format_double`` against Java's ``Double.toString``: a JDK 17 oracle table and documented rules."""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelwatch.formats.javafloat import format_double


def _read_tsv(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines() if line and not line.startswith("#")]


def _from_bits(hex_bits: str) -> float:
    return struct.unpack(">d", bytes.fromhex(hex_bits))[0]


def test_matches_jdk17_oracle_except_pinned_differences(data_dir: Path) -> None:
    table = _read_tsv(data_dir / "java17_double_tostring.tsv")
    differences = {row[0]: row for row in _read_tsv(data_dir / "java17_differences.tsv")}
    assert len(table) > 4000
    seen_differences = set()
    for hex_bits, java17 in table:
        x = _from_bits(hex_bits)
        if hex_bits in differences:
            _, java17_again, expected, _why = differences[hex_bits]
            assert java17_again == java17
            # JDK 17's text differs only in its digits: it reads back to the same double.
            assert float(java17) == x
            seen_differences.add(hex_bits)
        else:
            expected = java17
        assert format_double(x) == expected, (hex_bits, java17)
    assert seen_differences == set(differences)
    assert len(differences) < 0.01 * len(table)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (231.0, "231.0"),
        (2.31, "2.31"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (-1.0, "-1.0"),
        (0.1, "0.1"),
        (0.001, "0.001"),
        (0.0009999999999999998, "9.999999999999998E-4"),
        (1e-4, "1.0E-4"),
        (-2.5e-5, "-2.5E-5"),
        (9999999.0, "9999999.0"),
        (9999999.999999998, "9999999.999999998"),
        (1e7, "1.0E7"),
        (1.234e7, "1.234E7"),
        (123456789.0, "1.23456789E8"),
        (1e16, "1.0E16"),
        (1e21, "1.0E21"),
        (-1e300, "-1.0E300"),
        (1.7976931348623157e308, "1.7976931348623157E308"),
        (2.2250738585072014e-308, "2.2250738585072014E-308"),
        (5e-324, "4.9E-324"),  # Double.MIN_VALUE: Java always prints two digits, the closer 4.9
        (0.8330066026148891, "0.8330066026148891"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
    ],
)
def test_documented_examples(value: float, text: str) -> None:
    assert format_double(value) == text


_JAVA_SHAPE = re.compile(r"-?(?:\d+\.\d+|[1-9]\.\d+E-?[1-9]\d*)")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_double_round_trips_in_java_shape(x: float) -> None:
    text = format_double(x)
    assert _JAVA_SHAPE.fullmatch(text), text
    assert float(text) == x
    assert math.copysign(1.0, float(text)) == math.copysign(1.0, x)
    scientific = "E" in text
    assert scientific == (x != 0.0 and not 1e-3 <= abs(x) < 1e7)
    if not scientific:
        assert text == repr(x)
    elif abs(x) >= 2.2250738585072014e-308:  # normal doubles: exactly Python's shortest digits
        assert _significant(text) == _significant(repr(x))


def _significant(text: str) -> str:
    mantissa = text.lstrip("-").lower().partition("e")[0]
    return mantissa.replace(".", "").strip("0")
