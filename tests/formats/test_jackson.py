"""``jackson.dumps`` reproduces Jackson's DefaultPrettyPrinter byte for byte."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelwatch.formats import jackson
from modelwatch.formats.javafloat import format_double

REAL_FILES = [
    "quality_check_step/data_quality/statistics.json",
    "quality_check_step/data_quality/good_cases/constraints.json",
    "quality_check_step/data_quality/bad_cases/constraints.json",
    "quality_check_step/model_quality/statistics.json",
    "quality_check_step/model_quality/good_cases/constraints.json",
    "quality_check_step/model_quality/bad_cases/constraints.json",
]


@pytest.mark.parametrize("relative", REAL_FILES)
def test_reprints_real_sagemaker_files_byte_for_byte(golden: Callable[[str], str], relative: str) -> None:
    text = golden(relative)
    assert not text.endswith("\n")
    assert jackson.dumps(json.loads(text)) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({}, "{ }"),
        ([], "[ ]"),
        ((), "[ ]"),
        ([[1.0, 2.0], []], "[ [ 1.0, 2.0 ], [ ] ]"),
        ([1, 1.0, True, None, "a"], '[ 1, 1.0, true, null, "a" ]'),
        ({"a": {}}, '{\n  "a" : { }\n}'),
        ({"a": []}, '{\n  "a" : [ ]\n}'),
        ([{}], "[ { } ]"),
        ([{"a": 1}, {"b": [{"c": 2.5}]}], '[ {\n  "a" : 1\n}, {\n  "b" : [ {\n    "c" : 2.5\n  } ]\n} ]'),
        ({"x": [[{"y": {"z": 1}}]]}, '{\n  "x" : [ [ {\n    "y" : {\n      "z" : 1\n    }\n  } ] ]\n}'),
        (math.nan, '"NaN"'),
        (math.inf, '"Infinity"'),
        (-math.inf, '"-Infinity"'),
        ([math.nan, 1.0, -math.inf], '[ "NaN", 1.0, "-Infinity" ]'),
        (1e-4, "1.0E-4"),
        ([1e-4, 0.5, 1.5e7, -0.0, 0.0], "[ 1.0E-4, 0.5, 1.5E7, -0.0, 0.0 ]"),
        (2**70, "1180591620717411303424"),
        (-3, "-3"),
        (False, "false"),
        (None, "null"),
        ("", '""'),
    ],
)
def test_layout_and_scalars(value: object, text: str) -> None:
    assert jackson.dumps(value) == text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        ("a/b", '"a/b"'),
        ("line\nbreak\ttab\rret\bbs\fff", r'"line\nbreak\ttab\rret\bbs\fff"'),
        ("\x00\x01\x1f", r'"\u0000\u0001\u001F"'),
        ("\x7f", '"\x7f"'),
        ("é ✓ 😀 \u2028", '"é ✓ 😀 \u2028"'),
        ("\\u00ab", r'"\\u00ab"'),
    ],
)
def test_string_escaping_like_jackson(raw: str, escaped: str) -> None:
    assert jackson.dumps(raw) == escaped
    assert jackson.dumps({raw: 1}) == "{\n  " + escaped + " : 1\n}"
    assert json.loads(escaped) == raw


def test_rejects_values_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="set"):
        jackson.dumps({"a": {1, 2}})
    with pytest.raises(TypeError, match="keys must be strings"):
        jackson.dumps({1: "a"})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.lists(st.floats(), min_size=1))
def test_float_array_fast_path_equals_item_by_item(values: list[float]) -> None:
    def item(x: float) -> str:
        text = format_double(x)
        return f'"{text}"' if not math.isfinite(x) else text

    assert jackson.dumps(values) == "[ " + ", ".join(map(item, values)) + " ]"


@given(_json)
def test_output_is_json_that_reads_back(value: object) -> None:
    text = jackson.dumps(value)
    assert not text.endswith("\n")

    def normalise(v: object) -> object:
        if isinstance(v, float) and not math.isfinite(v):
            return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
        if isinstance(v, list):
            return [normalise(x) for x in v]
        if isinstance(v, dict):
            return {k: normalise(x) for k, x in v.items()}
        return v

    assert json.loads(text) == normalise(value)
    # Jackson's layout is a fixed point: re-printing the parsed text gives the same bytes.
    assert jackson.dumps(json.loads(text)) == text
