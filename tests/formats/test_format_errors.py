"""Malformed files raise FormatError naming the file, the key path and what was expected."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from modelwatch.errors import FormatError
from modelwatch.formats import constraints_from_json, statistics_from_json, violations_from_json

Reader = Callable[..., object]

STATS_HEAD = '{"version": 0.0, "dataset": {"item_count": 1}, "features": [%s]}'
NUMERIC = (
    '{"name": "n", "inferred_type": "Integral", "numerical_statistics": {"common": {"num_present": 1,'
    ' "num_missing": 0}, "mean": 1.0, "sum": 1.0, "std_dev": 0.0, "min": 1.0, "max": %s}}'
)


def _error(reader: Reader, text: str) -> FormatError:
    with pytest.raises(FormatError) as info:
        reader(text, file="s3://bucket/out/file.json")
    error = info.value
    assert error.file == "s3://bucket/out/file.json"
    assert str(error).startswith("s3://bucket/out/file.json")
    return error


def test_invalid_json_names_line_and_column() -> None:
    error = _error(statistics_from_json, '{\n  "version" : 0.0,\n  "dataset" : {\n    "item_count" 3\n}')
    assert error.key is None
    assert "invalid JSON at line 4, column 18" in str(error)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("[]", None, "expected an object, got an array"),
        ('{"dataset": {"item_count": 1}}', "features", "required key is missing"),
        ('{"dataset": {}, "features": []}', "dataset.item_count", "required key is missing"),
        ('{"dataset": {"item_count": 1.5}, "features": []}', "dataset.item_count", "expected an integer"),
        ('{"dataset": {"item_count": true}, "features": []}', "dataset.item_count", "got a boolean"),
        (STATS_HEAD % '{"inferred_type": "String"}', "features[0].name", "required key is missing"),
        (STATS_HEAD % (NUMERIC % "1.0") + "x", None, "invalid JSON"),
        (
            STATS_HEAD % (NUMERIC % '"big"'),
            "features[0].numerical_statistics.max",
            "expected a number, got a string",
        ),
        (STATS_HEAD % (NUMERIC % "null"), "features[0].numerical_statistics.max", "got null"),
        (
            STATS_HEAD % '{"name": "s", "inferred_type": "String"}',
            "features[0].string_statistics",
            "required key is missing",
        ),
        (
            STATS_HEAD % '{"name": "s", "inferred_type": "Integral"}',
            "features[0].numerical_statistics",
            "required key is missing",
        ),
    ],
)
def test_statistics_errors_name_the_key(text: str, key: str | None, message: str) -> None:
    error = _error(statistics_from_json, text)
    assert error.key == key
    assert message in str(error)
    if key:
        assert repr(key) in str(error)


ONE_FEATURE = '{"features": [{"name": "a", "inferred_type": %s}]}'


def test_sketch_item_errors_name_the_index() -> None:
    bad = NUMERIC.replace(
        '"max": %s}', '"max": 1.0, "distribution": {"kll": {"sketch": {"data": [[1.0], [2.0, "x"]]}}}}'
    )
    error = _error(statistics_from_json, STATS_HEAD % bad)
    assert error.key == "features[0].numerical_statistics.distribution.kll.sketch.data[1][1]"


def test_unknown_inferred_type_lists_the_allowed_values() -> None:
    text = (
        '{"features": [{"name": "a", "inferred_type": "Integral"}, {"name": "b", "inferred_type": "Bool"}]}'
    )
    error = _error(constraints_from_json, text)
    assert error.key == "features[1].inferred_type"
    assert "unknown value 'Bool'; expected one of 'Integral', 'Fractional', 'String', 'Unknown'" in str(error)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"version": 0.0}', "features"),
        ('{"features": {}}', "features"),
        (
            '{"features": [{"name": "a", "inferred_type": "String", "completeness": "high"}]}',
            "features[0].completeness",
        ),
        (
            ONE_FEATURE % '"String", "string_constraints": {"domains": [1]}',
            "features[0].string_constraints.domains[0]",
        ),
        (
            ONE_FEATURE % '"Integral", "num_constraints": {"is_non_negative": 1}',
            "features[0].num_constraints.is_non_negative",
        ),
        (
            '{"features": [{"name": "a", "inferred_type": "Integral", "monitoringConfigOverrides": []}]}',
            "features[0].monitoringConfigOverrides",
        ),
        (
            '{"features": [], "monitoring_config": {"datatype_check_threshold": "1"}}',
            "monitoring_config.datatype_check_threshold",
        ),
        (
            '{"features": [], "monitoring_config": {"distribution_constraints": {"comparison_method": 2}}}',
            "monitoring_config.distribution_constraints.comparison_method",
        ),
    ],
)
def test_constraints_errors_name_the_key(text: str, key: str) -> None:
    assert _error(constraints_from_json, text).key == key


def test_overrides_given_twice_are_an_error() -> None:
    text = (
        '{"features": [{"name": "a", "inferred_type": "String", "monitoringConfigOverrides": {},'
        ' "string_constraints": {"monitoring_config_overrides": {}}}]}'
    )
    error = _error(constraints_from_json, text)
    assert error.key == "features[0].string_constraints.monitoring_config_overrides"
    assert "also given at 'features[0].monitoringConfigOverrides'" in str(error)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("{}", "violations"),
        (
            '{"violations": [{"feature_name": "a", "constraint_check_type": "x"}]}',
            "violations[0].description",
        ),
        (
            '{"violations": [{"feature_name": 3, "constraint_check_type": "x", "description": ""}]}',
            "violations[0].feature_name",
        ),
    ],
)
def test_violations_errors_name_the_key(text: str, key: str) -> None:
    assert _error(violations_from_json, text).key == key
