"""User pre- and post-processing scripts follow SageMaker's contract (spec 4.4, 4.5)."""

from __future__ import annotations

import json
import logging
import textwrap
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from modelwatch.errors import ConfigurationError, DataError, ScriptError
from modelwatch.scripts import (
    SCRIPT_LOGGER,
    InferenceRecord,
    PreprocessCounts,
    load_preprocessor,
    preprocessed_batches,
    preprocessed_line_batches,
    run_postprocessor,
)

CSV_HANDLER = """
def preprocess_handler(inference_record):
    values = inference_record.endpoint_input.data.split(",")
    row = {"label": inference_record.endpoint_output.data}
    row.update({f"f{i}": value for i, value in enumerate(values)})
    return row
"""


def script(tmp_path: Path, body: str, name: str = "pre.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return path


def capture(
    event_id: str | None,
    data: str = "1,2,3",
    output: str = "0.5",
    **metadata: Any,
) -> dict[str, Any]:
    meta = {"eventId": event_id, "inferenceTime": "2024-05-01T13:07:12Z", **metadata}
    if event_id is None:
        del meta["eventId"]
    return {
        "captureData": {
            "endpointInput": {
                "observedContentType": "text/csv",
                "mode": "INPUT",
                "data": data,
                "encoding": "CSV",
            },
            "endpointOutput": {
                "observedContentType": "text/csv; charset=utf-8",
                "mode": "OUTPUT",
                "data": output,
                "encoding": "CSV",
            },
        },
        "eventMetadata": meta,
        "eventVersion": "0",
    }


def table(records: list[dict[str, Any]], path: Path, **options: Any) -> pa.Table:
    batches = list(preprocessed_batches(records, load_preprocessor(path), **options))
    return pa.Table.from_batches(batches) if batches else pa.table({})


def test_flat_dict_gives_a_row_with_the_columns_in_key_order(tmp_path: Path) -> None:
    counts = PreprocessCounts()
    records = [capture("e1", "1,2,3", "0.1"), capture("e2", "4,5,6", "0.9")]
    result = table(records, script(tmp_path, CSV_HANDLER), counts=counts)
    assert result.column_names == ["label", "f0", "f1", "f2"]
    assert all(field.type == pa.string() for field in result.schema)
    assert result.to_pylist() == [
        {"label": "0.1", "f0": "1", "f1": "2", "f2": "3"},
        {"label": "0.9", "f0": "4", "f1": "5", "f2": "6"},
    ]
    assert counts == PreprocessCounts(records=2, rows=2)


def test_handler_with_logger_gets_the_script_logger(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = script(
        tmp_path,
        f"""
        import logging

        def preprocess_handler(inference_record, logger):
            assert logger is logging.getLogger({SCRIPT_LOGGER!r})
            logger.info("saw %s", inference_record.event_metadata.event_id)
            return {{"id": inference_record.event_metadata.event_id}}
        """,
    )
    preprocess = load_preprocessor(path)
    assert preprocess.takes_logger
    with caplog.at_level(logging.INFO, logger=SCRIPT_LOGGER):
        result = table([capture("e1")], path)
    assert result.to_pylist() == [{"id": "e1"}]
    assert [(r.name, r.getMessage()) for r in caplog.records] == [(SCRIPT_LOGGER, "saw e1")]


def test_handler_without_logger_is_called_with_the_record_only(tmp_path: Path) -> None:
    preprocess = load_preprocessor(script(tmp_path, CSV_HANDLER))
    assert not preprocess.takes_logger
    assert preprocess(InferenceRecord(capture("e1", "7"))) == {"label": "0.5", "f0": "7"}


def test_empty_list_drops_the_record(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(inference_record):
            if inference_record.event_metadata.event_id.endswith("odd"):
                return []
            return {"id": inference_record.event_metadata.event_id}
        """,
    )
    counts = PreprocessCounts()
    records = [capture("1odd"), capture("2"), capture("3odd"), capture("4")]
    assert table(records, path, counts=counts).to_pylist() == [{"id": "2"}, {"id": "4"}]
    assert counts == PreprocessCounts(records=4, rows=2, dropped=2)
    assert load_preprocessor(path)(InferenceRecord(capture("5odd"))) is None


def test_values_become_strings_and_none_becomes_null(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(inference_record):
            return {"none": None, "yes": True, "no": False, "int": 3, "float": 2.5, "str": "x", 1: "one"}
        """,
    )
    result = table([capture("e1")], path)
    assert result.column_names == ["none", "yes", "no", "int", "float", "str", "1"]
    assert result.to_pylist() == [
        {"none": None, "yes": "true", "no": "false", "int": "3", "float": "2.5", "str": "x", "1": "one"}
    ]


def test_shadow_experiment_records_are_skipped_before_the_handler(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(inference_record):
            if inference_record.event_metadata.event_id == "shadow":
                raise AssertionError("a shadow record reached the handler")
            return {"id": inference_record.event_metadata.event_id}
        """,
    )
    counts = PreprocessCounts()
    records = [capture("e1"), capture("shadow", invocationSource="ShadowExperiment"), capture("e2")]
    assert table(records, path, counts=counts).to_pylist() == [{"id": "e1"}, {"id": "e2"}]
    assert counts == PreprocessCounts(records=3, rows=2, shadow_skipped=1)


def test_inference_record_attributes(tmp_path: Path) -> None:
    raw = capture("e1", inferenceId="order-42", customAttributes=["a=1"])
    record = InferenceRecord(raw)
    assert record.event_metadata.event_id == "e1"
    assert record.event_metadata.inference_id == "order-42"
    assert record.event_metadata.event_time == "2024-05-01T13:07:12Z"
    assert record.event_metadata.custom_attribute == ["a=1"]
    assert record.event_metadata.invocation_source is None
    assert record.endpoint_input is not None
    assert record.endpoint_input.observedContentType == "text/csv"
    assert record.endpoint_output is not None
    assert record.endpoint_output.observed_content_type == "text/csv; charset=utf-8"
    assert (record.endpoint_output.mode, record.endpoint_output.encoding) == ("OUTPUT", "CSV")
    assert record.batch_transform_output is None and record.ground_truth is None
    assert record.event_version == "0"
    assert record.event_dict is raw and record.as_dict() is raw


def test_merged_record_ground_truth_is_reachable(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(inference_record):
            return {
                "prediction": inference_record.endpoint_output.data,
                "label": inference_record.ground_truth.data,
                "encoding": inference_record.ground_truth.encoding,
            }
        """,
    )
    merged = {**capture("e1", output="0.8"), "groundTruthData": {"data": "1", "encoding": "CSV"}}
    assert table([merged], path).to_pylist() == [{"prediction": "0.8", "label": "1", "encoding": "CSV"}]


def test_batch_transform_output_is_reachable(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(inference_record):
            assert inference_record.endpoint_output is None
            return {"score": inference_record.batch_transform_output.data}
        """,
    )
    record = capture("e1")
    record["captureData"] = {"batchTransformOutput": {"data": "0.3", "encoding": "CSV", "mode": "OUTPUT"}}
    assert table([record], path).to_pylist() == [{"score": "0.3"}]


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        import json


        def preprocess_handler(inference_record)
            return {}
        """,
    )
    with pytest.raises(ScriptError) as caught:
        load_preprocessor(path)
    assert caught.value.script == str(path)
    assert caught.value.line == 4
    assert "SyntaxError" in str(caught.value)
    assert str(caught.value).startswith(f"{path}, line 4: ")


def test_exception_at_import_names_the_deepest_script_line(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def configure():
            raise ValueError("no threshold configured")


        configure()


        def preprocess_handler(inference_record):
            return {}
        """,
    )
    with pytest.raises(ScriptError, match="ValueError: no threshold configured") as caught:
        load_preprocessor(path)
    assert caught.value.line == 2


def test_missing_preprocess_handler(tmp_path: Path) -> None:
    path = script(tmp_path, "def handler(inference_record):\n    return {}\n")
    with pytest.raises(ScriptError, match=r"defines no preprocess_handler\(inference_record\[, logger\]\)"):
        load_preprocessor(path)


def test_handler_that_cannot_take_a_record_is_refused_at_load(tmp_path: Path) -> None:
    path = script(tmp_path, "x = 1\n\n\ndef preprocess_handler():\n    return {}\n")
    with pytest.raises(ScriptError, match="cannot be called as") as caught:
        load_preprocessor(path)
    assert caught.value.line == 4


def test_missing_script_file(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot be read"):
        load_preprocessor(tmp_path / "absent.py")


def test_handler_raising_names_the_line_and_the_record(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def ratio(record):
            values = [float(v) for v in record.endpoint_input.data.split(",")]
            return values[0] / values[1]


        def preprocess_handler(inference_record):
            return {"ratio": ratio(inference_record)}
        """,
    )
    records = [capture("e1", "1,2"), capture("e2", "3,4"), capture("e3", "5,0"), capture("e4", "6,7")]
    with pytest.raises(ScriptError) as caught:
        table(records, path)
    message = str(caught.value)
    assert caught.value.line == 3
    assert "There is an exception raised in preprocessor script" in message
    assert "ZeroDivisionError: float division by zero" in message
    assert "eventId 'e3'" in message
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ("None", r"returned NoneType; expected a flat dict or \[\] to drop the record"),
        ("[1, 2]", r"returned list; expected a flat dict or \[\] to drop the record"),
        ("'1,2,3'", r"returned str; expected a flat dict or \[\] to drop the record"),
        ("3", r"returned int; expected a flat dict"),
        ("{'a': {'b': 1}}", r"returned a nested value for key 'a'; return a flat dict"),
        ("{'a': [1]}", r"returned a nested value for key 'a'; return a flat dict"),
        ("{'a': object()}", r"value of type object for key 'a', which json.dumps cannot write"),
        ("{(1, 2): 'x'}", r"returned a key of type tuple"),
    ],
)
def test_wrong_return_values(tmp_path: Path, returned: str, expected: str) -> None:
    path = script(tmp_path, f"def preprocess_handler(inference_record):\n    return {returned}\n")
    with pytest.raises(ScriptError, match=expected) as caught:
        table([capture("e1")], path)
    assert "eventId 'e1'" in str(caught.value)
    assert caught.value.line == 1  # the handler's definition


def test_new_keys_in_the_first_batch_add_columns(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(inference_record):
            data = inference_record.endpoint_input.data
            return dict(part.split("=") for part in data.split(";"))
        """,
    )
    records = [capture("e1", "a=1"), capture("e2", "b=2;a=3"), capture("e3", "c=4")]
    result = table(records, path)
    assert result.column_names == ["a", "b", "c"]
    assert result.to_pylist() == [
        {"a": "1", "b": None, "c": None},
        {"a": "3", "b": "2", "c": None},
        {"a": None, "b": None, "c": "4"},
    ]


def test_columns_are_fixed_after_the_first_batch(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(inference_record):
            data = inference_record.endpoint_input.data
            return dict(part.split("=") for part in data.split(";"))
        """,
    )
    preprocess = load_preprocessor(path)
    counts = PreprocessCounts()
    data = ["a=1;b=2", "b=3", "a=4", "b=5", "z=6"]
    records = [capture(f"e{i}", text) for i, text in enumerate(data, 1)]
    batches = preprocessed_batches(records, preprocess, batch_rows=2, counts=counts)
    first, second = next(batches), next(batches)
    assert first.schema == second.schema
    assert pa.Table.from_batches([first, second]).to_pylist() == [
        {"a": "1", "b": "2"},
        {"a": None, "b": "3"},
        {"a": "4", "b": None},
        {"a": None, "b": "5"},
    ]
    with pytest.raises(ScriptError, match=r"new key\(s\) 'z' after the columns were fixed") as caught:
        next(batches)
    assert "eventId 'e5'" in str(caught.value)
    assert counts.rows == 4


def test_batches_hold_at_most_batch_rows(tmp_path: Path) -> None:
    records = [capture(f"e{i}", str(i)) for i in range(7)]
    batches = list(
        preprocessed_batches(records, load_preprocessor(script(tmp_path, CSV_HANDLER)), batch_rows=3)
    )
    assert [batch.num_rows for batch in batches] == [3, 3, 1]
    assert pa.Table.from_batches(batches).column("f0").to_pylist() == [str(i) for i in range(7)]


def test_batch_rows_must_be_positive(tmp_path: Path) -> None:
    preprocess = load_preprocessor(script(tmp_path, CSV_HANDLER))
    with pytest.raises(ConfigurationError, match="batch_rows"):
        list(preprocessed_batches([capture("e1")], preprocess, batch_rows=0))


def test_a_record_that_is_not_an_object_is_a_data_error(tmp_path: Path) -> None:
    preprocess = load_preprocessor(script(tmp_path, CSV_HANDLER))
    with pytest.raises(DataError, match="capture record 2 is a JSON list"):
        list(preprocessed_batches([capture("e1"), []], preprocess))  # type: ignore[list-item]


def test_csv_lines_reach_the_handler_as_strings(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(line):
            assert isinstance(line, str) and not line.endswith("\\n")
            label, *features = line.split(",")
            if label == "skip":
                return []
            return {"label": label, **{f"{i:02d}": value for i, value in enumerate(features)}}
        """,
    )
    counts = PreprocessCounts()
    lines = [("data.csv", 1, "1,a,b"), ("data.csv", 2, "skip,c,d"), ("data.csv", 3, "0,e,f")]
    batches = list(preprocessed_line_batches(lines, load_preprocessor(path), counts=counts))
    assert pa.Table.from_batches(batches).to_pylist() == [
        {"label": "1", "00": "a", "01": "b"},
        {"label": "0", "00": "e", "01": "f"},
    ]
    assert counts == PreprocessCounts(records=3, rows=2, dropped=1)


def test_json_objects_reach_the_handler_parsed(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(obj):
            return {"x": obj["features"][0], "y": obj["label"]}
        """,
    )
    lines = [
        ("data.jsonl", n, json.loads(text)) for n, text in enumerate(['{"features":[1.5],"label":0}'], 1)
    ]
    batches = list(preprocessed_line_batches(lines, load_preprocessor(path)))
    assert pa.Table.from_batches(batches).to_pylist() == [{"x": "1.5", "y": "0"}]


def test_line_batch_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = script(tmp_path, "def preprocess_handler(obj):\n    return {'y': obj['label']}\n")
    lines = [("part-1.jsonl", 1, {"label": 1}), ("part-1.jsonl", 2, {"other": 2})]
    with pytest.raises(ScriptError, match=r"KeyError: 'label' \(at part-1.jsonl, line 2\)") as caught:
        list(preprocessed_line_batches(lines, load_preprocessor(path)))
    assert caught.value.line == 2


def test_scripts_load_as_separate_modules(tmp_path: Path) -> None:
    body = """
    from dataclasses import dataclass

    calls = []


    @dataclass
    class Row:
        id: str


    def preprocess_handler(inference_record):
        calls.append(1)
        return {"id": Row(inference_record.event_metadata.event_id).id, "calls": len(calls)}
    """
    first = load_preprocessor(script(tmp_path, body, "a.py"))
    second = load_preprocessor(script(tmp_path, body, "b.py"))
    record = InferenceRecord(capture("e1"))
    assert first(record) == {"id": "e1", "calls": "1"}
    assert first(record) == {"id": "e1", "calls": "2"}
    assert second(record) == {"id": "e1", "calls": "1"}


def test_postprocess_handler_is_called_once(tmp_path: Path) -> None:
    marker = tmp_path / "done.txt"
    path = script(
        tmp_path,
        f"""
        from pathlib import Path

        def postprocess_handler():
            marker = Path({str(marker)!r})
            marker.write_text(marker.read_text() + "x" if marker.exists() else "x")
            return "ignored"
        """,
        "post.py",
    )
    assert run_postprocessor(path) is None
    assert marker.read_text() == "x"


def test_missing_postprocess_handler(tmp_path: Path) -> None:
    path = script(tmp_path, "def preprocess_handler(inference_record):\n    return {}\n", "post.py")
    with pytest.raises(ScriptError, match=r"defines no postprocess_handler\(\)"):
        run_postprocessor(path)


def test_postprocess_handler_that_needs_arguments(tmp_path: Path) -> None:
    path = script(tmp_path, "def postprocess_handler(result):\n    pass\n", "post.py")
    with pytest.raises(ScriptError, match="cannot be called with no arguments"):
        run_postprocessor(path)


def test_raising_postprocess_handler(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        import os


        def postprocess_handler():
            os.environ["MODELWATCH_TEST_UNSET_VARIABLE"]
        """,
        "post.py",
    )
    with pytest.raises(ScriptError) as caught:
        run_postprocessor(path, logging.getLogger("test"))
    assert caught.value.line == 5
    assert "There is an exception raised in postprocessor script: KeyError" in str(caught.value)


def test_rows_without_keys_wait_for_the_first_column(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def preprocess_handler(inference_record):
            event_id = inference_record.event_metadata.event_id
            return {} if event_id != "e3" else {"id": event_id}
        """,
    )
    counts = PreprocessCounts()
    records = [capture(f"e{i}") for i in range(1, 5)]
    batches = list(preprocessed_batches(records, load_preprocessor(path), batch_rows=1, counts=counts))
    assert [batch.num_rows for batch in batches] == [1, 1, 1, 1]
    assert pa.Table.from_batches(batches).column("id").to_pylist() == [None, None, "e3", None]
    assert counts == PreprocessCounts(records=4, rows=4)
    assert (
        list(preprocessed_batches(records[:2], load_preprocessor(path), counts=(empty := PreprocessCounts())))
        == []
    )
    assert empty == PreprocessCounts(records=2, dropped=2)
