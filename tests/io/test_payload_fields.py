"""SageMaker attributes (a CSV column index or a JSONPath) extracted from captured payloads."""

from __future__ import annotations

import base64
import csv
import json
import random

import numpy as np
import pyarrow as pa
import pytest

from modelwatch.errors import ConfigurationError, DataError
from modelwatch.io import payload_fields
from modelwatch.io.payload_fields import (
    FieldPath,
    extract_field,
    json_objects,
    json_string,
    parse_attribute,
)

# Two records of SageMaker's sample capture (sagemaker-python-sdk tests/data/monitor/captured-data.jsonl),
# verbatim: a pretty-printed JSON output payload.
CAPTURED = [
    '{"captureData":{"endpointInput":{"observedContentType":"application/json","mode":"INPUT",'
    '"data":"{\\"instances\\": [1.0, 2.0, 5.0]}","encoding":"JSON"},"endpointOutput":{"observedContentType":'
    '"application/json","mode":"OUTPUT","data":"{\\n    \\"predictions\\": [3.5, 4.0, 5.5\\n    ]\\n}",'
    '"encoding":"JSON"}},"eventMetadata":{"eventId":"12b73486-e916-45de-9d82-7fa23d4a39a6",'
    '"inferenceTime":"2019-11-24T07:30:50Z"},"eventVersion":"0"}',
    '{"captureData":{"endpointInput":{"observedContentType":"application/json","mode":"INPUT",'
    '"data":"{\\"instances\\": [1.0, 2.0, 5.0]}","encoding":"JSON"},"endpointOutput":{"observedContentType":'
    '"application/json","mode":"OUTPUT","data":"{\\n    \\"predictions\\": [3.5, 4.0, 5.5\\n    ]\\n}",'
    '"encoding":"JSON"}},"eventMetadata":{"eventId":"f9305ead-ba10-401d-953c-8bfb981da274",'
    '"inferenceTime":"2019-11-24T07:31:30Z"},"eventVersion":"0"}',
]


def strings(values: list[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def test_sagemakers_pretty_printed_json_output() -> None:
    outputs = [json.loads(line)["captureData"]["endpointOutput"] for line in CAPTURED]
    data = strings([o["data"] for o in outputs])
    encodings = strings([o["encoding"] for o in outputs])
    assert extract_field(data, encodings, "$.predictions[0]").to_pylist() == ["3.5", "3.5"]
    assert extract_field(data, encodings, "predictions[1]").to_pylist() == ["4", "4"]
    assert extract_field(data, encodings, "$['predictions'][2]").to_pylist() == ["5.5", "5.5"]


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("0", FieldPath("0", column=0)),
        (" 12 ", FieldPath(" 12 ", column=12)),
        ("$", FieldPath("$")),
        ("predicted_label", FieldPath("predicted_label", steps=("predicted_label",))),
        ("$.predictions[0].score", FieldPath("$.predictions[0].score", steps=("predictions", 0, "score"))),
        ("a.b[3]", FieldPath("a.b[3]", steps=("a", "b", 3))),
        ("$['a b'][\"c.d\"]", FieldPath("$['a b'][\"c.d\"]", steps=("a b", "c.d"))),
    ],
)
def test_parse_attribute(attribute: str, expected: FieldPath) -> None:
    assert parse_attribute(attribute) == expected


@pytest.mark.parametrize("attribute", ["", "  ", "$..score", "$.p[*]", "$.p[0:2]", "$[?(@.a)]", "$.a.", "a["])
def test_unsupported_attributes(attribute: str) -> None:
    with pytest.raises(ConfigurationError, match="attribute"):
        parse_attribute(attribute)


def test_csv_columns() -> None:
    data = strings(["0.83", "1,0.25\n", " 0 , 0.5 \r\n", '"a,b",7', 'x,"say ""hi"""'])
    assert extract_field(data, "CSV", "0").to_pylist() == ["0.83", "1", "0", "a,b", "x"]
    second = extract_field(data, "CSV", "1", on_error="null")
    assert second.to_pylist() == [None, "0.25", "0.5", "7", 'say "hi"']


def test_csv_errors_name_the_record_and_the_attribute() -> None:
    data = strings(["1,0.2", "0.7", "0,0.1\n1,0.9\n", None])
    ids = strings(["e1", "e2", "e3", "e4"])
    with pytest.raises(DataError) as info:
        extract_field(data, "CSV", "1", ids=ids, source="window")
    assert str(info.value) == (
        "window, column '1': record 'e2': attribute '1': CSV payload has 1 columns (2 more records fail too)"
    )
    assert info.value.column == "1"
    result = extract_field(data, "CSV", "1", ids=ids, on_error="null")
    assert result.to_pylist() == ["0.2", None, None, None]
    with pytest.raises(DataError, match=r"record 'e3': attribute '0': CSV payload has 2 lines"):
        extract_field(data.slice(2, 1), "CSV", "0", ids=ids.slice(2, 1))
    with pytest.raises(DataError, match=r"record 1: attribute '0': no payload"):
        extract_field(strings(["1", None]), "CSV", "0")


def test_json_paths_on_regular_payloads() -> None:
    data = strings(
        [
            '{"predictions":[{"score":0.8,"label":"yes"}],"model":"m1"}',
            '{"predictions":[{"score":1,"label":"no"},{"score":0.1,"label":"x"}]}',
            '{"predictions":[{"score":1.0e-7,"label":"yes"}]}',
        ]
    )
    assert extract_field(data, "JSON", "$.predictions[0].score").to_pylist() == ["0.8", "1", "1e-7"]
    assert extract_field(data, "JSON", "predictions[0].label").to_pylist() == ["yes", "no", "yes"]
    assert extract_field(data, "JSON", "$.predictions[1].label", on_error="null").to_pylist() == [
        None,
        "x",
        None,
    ]
    with pytest.raises(DataError, match=r"record 0: attribute 'model': no such value"):
        extract_field(data.slice(1), "JSON", "model", ids=None)
    with pytest.raises(
        DataError, match=r"record 'r1': attribute '\$.predictions\[0\]': the value is an object"
    ):
        extract_field(data, "JSON", "$.predictions[0]", ids=strings(["r1", "r2", "r3"]))


def test_json_payloads_of_any_shape() -> None:
    data = strings(["[0.5, 1]", '{"a": "x"}', "nope", '{"a": {"b": true}}', "0.25", '{"a": null}', "true"])
    assert extract_field(data, "JSON", "$[1]", on_error="null").to_pylist() == [
        "1",
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    assert extract_field(data, "JSON", "a", on_error="null").to_pylist() == [
        None,
        "x",
        None,
        None,
        None,
        None,
        None,
    ]
    assert extract_field(data, "JSON", "a.b", on_error="null").to_pylist() == [
        None,
        None,
        None,
        "true",
        None,
        None,
        None,
    ]
    assert extract_field(data, "JSON", "$", on_error="null").to_pylist() == [
        None,
        None,
        None,
        None,
        "0.25",
        None,
        "true",
    ]
    with pytest.raises(DataError, match=r"record '2': attribute 'a': JSON payload is not valid JSON"):
        extract_field(data.slice(1, 2), "JSON", "a", ids=strings(["0", "2"]))


def test_attribute_and_encoding_must_fit() -> None:
    with pytest.raises(DataError, match="a JSONPath applies to JSON, not to CSV payloads"):
        extract_field(strings(["1,2"]), "CSV", "$.a")
    with pytest.raises(DataError, match="a column index applies to CSV payloads, not to JSON payloads"):
        extract_field(strings(['{"a":1}']), "JSON", "0")
    with pytest.raises(DataError, match="payload has no encoding"):
        extract_field(strings(["1"]), strings([None]), "0")


def test_base64_payloads_are_decoded() -> None:
    data = strings(
        [
            base64.b64encode(b"0.25,1").decode(),
            base64.b64encode(b'{"p": 0.1}').decode(),
            "!!not base64!!",
            base64.b64encode(b"\xff\xfe").decode(),
        ]
    )
    encodings = strings(["BASE64", "base64", "BASE64", "BASE64"])
    assert extract_field(data, encodings, "1", on_error="null").to_pylist() == ["1", None, None, None]
    assert extract_field(data, encodings, "p", on_error="null").to_pylist() == [None, "0.1", None, None]
    with pytest.raises(
        DataError, match=r"record 'c': attribute 'p': BASE64 payload is not base64-encoded UTF-8"
    ):
        extract_field(data.slice(2), encodings.slice(2), "p", ids=strings(["c", "d"]))


def test_mixed_encodings_in_one_array() -> None:
    data = strings(["0.9,1", '{"score": 0.4}', base64.b64encode(b"0.3,0").decode()])
    encodings = strings(["CSV", "JSON", "BASE64"])
    assert extract_field(data, encodings, "0", on_error="null").to_pylist() == ["0.9", None, "0.3"]
    assert extract_field(data, encodings, "score", on_error="null").to_pylist() == [None, "0.4", None]


def _oracle_json(text: str, steps: tuple[str | int, ...]) -> object:
    value: object = json.loads(text)
    for step in steps:
        if isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        elif isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        else:
            return None
    return value


def _same(found: str | None, expected: object) -> bool:
    if expected is None or isinstance(expected, (dict, list)):
        return found is None
    if isinstance(expected, bool):
        return found == ("true" if expected else "false")
    if isinstance(expected, (int, float)):
        return found is not None and float(found) == float(expected)
    return found == expected


@pytest.mark.parametrize("mixed", [False, True])
def test_many_json_payloads_match_a_per_record_oracle(mixed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    slow_calls = []
    reference = payload_fields._json_field_slow

    def slow(*args: object) -> pa.Array:
        slow_calls.append(1)
        return reference(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(payload_fields, "_json_field_slow", slow)
    rng = random.Random(5)
    payloads = []
    for i in range(5000):
        score: object = round(rng.random(), rng.randint(0, 9)) if rng.random() < 0.8 else rng.randint(0, 3)
        if mixed and i % 97 == 0:
            score = rng.choice(["high", True, None, [1], {"x": 1}])
        record: dict[str, object] = {
            "predictions": [{"score": score, "label": rng.choice("ab")}] * rng.randint(0, 2)
        }
        if rng.random() < 0.1:
            record = {"other": 1}
        payloads.append(json.dumps(record, indent=2 if rng.random() < 0.05 else None))
    data = strings(payloads)
    path = parse_attribute("$.predictions[0].score")
    found = extract_field(data, "JSON", path, on_error="null").to_pylist()
    expected = [_oracle_json(p, path.steps) for p in payloads]
    assert all(_same(f, e) for f, e in zip(found, expected, strict=True))
    assert sum(f is not None for f in found) > 2500
    assert len(slow_calls) == (1 if mixed else 0)  # regular payloads are parsed by pyarrow.json at once


def test_many_csv_payloads_match_csv_reader() -> None:
    rng = random.Random(9)
    payloads = []
    for _ in range(5000):
        fields = [str(round(rng.random(), 4)) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.05:
            fields[0] = '"quoted, with comma"'
        payloads.append(",".join(fields) + ("\n" if rng.random() < 0.3 else ""))
    for column in (0, 2):
        found = extract_field(strings(payloads), "CSV", str(column), on_error="null").to_pylist()
        rows = [next(csv.reader([p.rstrip("\n")])) for p in payloads]
        expected = [row[column].strip() if len(row) > column else None for row in rows]
        assert found == expected


def test_json_string_is_valid_json() -> None:
    texts = ["plain", 'quote " and \\ backslash', "tab\tnew\nline\x01", "ünïcødé ✓", "", "\u2028"]
    literals = json_string(strings(texts)).to_pylist()
    assert [json.loads(literal) for literal in literals] == texts
    assert literals[0] == '"plain"'
    assert literals[3] == '"ünïcødé ✓"'  # non-ASCII kept, as SageMaker's compact records do


def test_json_objects_refuses_what_it_cannot_read_exactly() -> None:
    assert json_objects(b'{"a":1}\n{"a":2}\n', 2).column("a").to_pylist() == [1, 2]
    assert json_objects(b'{"a":1}{"a":2}\n', 1) is None  # two objects on one line
    assert json_objects(b'{"a":1}\n{"a":"x"}\n', 2) is None  # types differ
    schema = pa.schema([("a", pa.int64())])
    assert json_objects(b'{"a":1,"b":"ignored"}\n', 1, schema=schema).to_pylist() == [{"a": 1}]
    long_line = b'{"a":"' + b"x" * (3 << 20) + b'"}\n'
    assert json_objects(long_line + b'{"a":"y"}\n', 2).num_rows == 2  # a line longer than a block
    assert np.array_equal(
        json_objects(b'{"v":{\n"p":[1,\n2]}}\n{"v":{"p":[3]}}\n', 2, multiline=True).column("v").to_pylist(),
        [{"p": [1, 2]}, {"p": [3]}],
    )
