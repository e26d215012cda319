"""The shared steps of the capture readers (io.capture_columns): whole lines, the pyarrow.json read, and
the window test, which agree with the reference reader ``CaptureRead`` on every time it can meet."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from modelwatch.errors import DataError
from modelwatch.io import capture_table
from modelwatch.io.capture import CaptureRead
from modelwatch.io.capture_columns import (
    SHADOW_EXPERIMENT,
    capture_window,
    json_lines,
    parse_inference_times,
    read_capture_columns,
    whole_lines,
)

START = datetime(2024, 5, 1, 13, 10, tzinfo=UTC)
END = datetime(2024, 5, 1, 13, 50, tzinfo=UTC)
METADATA = pa.struct([("inferenceTime", pa.string()), ("invocationSource", pa.string())])


def metadata(*times: str | None, source: str | None = None) -> pa.StructArray:
    return pa.array([{"inferenceTime": t, "invocationSource": source} for t in times], METADATA)


def test_shadow_experiment_is_one_name() -> None:
    assert capture_table.SHADOW_EXPERIMENT is SHADOW_EXPERIMENT


def test_whole_lines_split_off_a_torn_last_line() -> None:
    assert whole_lines(b'{"a":1}\n{"a":2}\n') == (b'{"a":1}\n{"a":2}\n', None)
    assert whole_lines(b'{"a":1}\n  \n ') == (b'{"a":1}\n  \n', None)
    assert whole_lines(b'{"a":1}\n{"a"') == (b'{"a":1}\n', 2)
    assert whole_lines(b'{"a"') == (b"", 1)


def test_json_lines_gives_rows_and_line_bounds() -> None:
    schema = pa.schema([("a", pa.int64())])
    read = json_lines(b'{"a":1}\n{"a":22,"b":0}\n', schema)
    assert read is not None
    table, begins, ends = read
    assert table.column("a").to_pylist() == [1, 22]
    assert begins.tolist() == [0, 8] and ends.tolist() == [7, 22]
    # what json.loads per line could read otherwise goes back to the reference path
    assert json_lines(b'{"a":1}\n\n{"a":2}\n', schema) is None  # a blank line
    assert json_lines(b'{"a":1}\nnull\n', schema) is None  # not an object
    assert json_lines(b'{"a":1}{"a":2}\n', schema) is None  # two values on a line
    assert json_lines(b'{"a":1,"b":"\xff"}\n', schema) is None  # not UTF-8


def test_capture_window_counts_inside_outside_and_shadow() -> None:
    window = capture_window(
        metadata("2024-05-01T13:20:00Z", "2024-05-01T13:50:00Z", "2024-05-01T13:10:00Z"), START, END
    )
    assert window is not None
    assert window.inside.tolist() == [True, False, True]
    assert window.outside == 1 and not window.shadow.any()
    shadow = capture_window(metadata("2024-05-01T13:20:00Z", source=SHADOW_EXPERIMENT), START, END)
    assert shadow is not None and shadow.shadow.tolist() == [True] and shadow.keep.tolist() == [False]
    assert window.times.type == pa.timestamp("s", tz="UTC")


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T13:20:00+01:00",  # ISO 8601 with an offset
        "2024-5-1T13:20:00Z",  # not zero-padded: Python's strptime takes it
        "2024-05-01T13:09:59.5Z",  # a fraction of a second just before the window
        "2024-05-01T13:49:59.999Z",  # and just before its end
    ],
)
def test_capture_window_judges_a_time_as_the_reference_reader(text: str, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"eventMetadata": {"inferenceTime": text}}) + "\n")
    reference = CaptureRead([str(path)], START, END)
    kept = list(reference)
    window = capture_window(metadata(text), START, END)
    assert window is not None
    assert window.inside.tolist() == [bool(kept)]


@pytest.mark.parametrize(
    "text", [" 2024-05-01T13:20:00Z", "2024-05-01T13:20:60Z", "02024-05-01T13:20:00Z", "yesterday", None]
)
def test_a_time_the_reference_refuses_goes_back_to_it(text: str | None, tmp_path: Path) -> None:
    assert capture_window(metadata(text), START, END) is None
    assert parse_inference_times(pa.array([text], pa.string())) is None
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"eventMetadata": {"inferenceTime": text}}) + "\n")
    with pytest.raises(DataError, match="inferenceTime") as error:
        read_capture_columns([str(path)], START, END)
    assert error.value.line == 1
    with pytest.raises(DataError, match="inferenceTime"):
        list(CaptureRead([str(path)], START, END))
