"""Capture records become the rows SageMaker's analyzer builds: output columns first, then input."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from modelwatch.analysis.profile import profile_table
from modelwatch.capture.config import DataCaptureConfig
from modelwatch.capture.record import build_record
from modelwatch.io.capture import read_capture
from modelwatch.io.capture_table import CaptureTable, capture_batches

GOLDEN = Path(__file__).parents[1] / "golden" / "sagemaker-sdk" / "monitor" / "capture.jsonl"
CONFIG = DataCaptureConfig(destination_uri="unused")


def record(request: bytes, request_type: str | None, response: bytes, response_type: str) -> dict:
    return build_record(
        CONFIG,
        request_body=request,
        request_content_type=request_type,
        response_body=response,
        response_content_type=response_type,
        inference_time=datetime(2026, 11, 27, 10, tzinfo=UTC),
    )


def table(records: Iterable[dict], counts: CaptureTable | None = None, **options: object) -> pa.Table:
    return pa.Table.from_batches(list(capture_batches(records, counts=counts, **options)))


def test_sagemakers_own_capture_records() -> None:
    records = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]
    result = table(records)
    assert result.num_rows == len(records)
    assert result.column_names == [f"_c{i}" for i in range(8)]  # 1 output column, then 7 input columns
    first = records[0]["captureData"]
    assert result.column(0)[0].as_py() == first["endpointOutput"]["data"]
    assert ",".join(c[0].as_py() for c in result.columns[1:]) == first["endpointInput"]["data"]
    statistics = profile_table(result)
    assert statistics.features[0].inferred_type == "Fractional"
    assert statistics.item_count == len(records)


def test_multi_line_csv_json_and_base64() -> None:
    counts = CaptureTable()
    records = [
        record(b"1,2\n3,4\n", "text/csv", b"0.1\n0.9\n", "text/csv"),
        record(
            b'{"age": 31, "geo": {"zip": "AB1"}}', "application/json", b'{"score": 0.5}', "application/json"
        ),
        record(b"\x89PNG", "image/png", b"0.3", "text/csv"),
        record(b"5,6\n", "text/csv", b"0.2\n0.8\n", "text/csv"),
    ]
    csv_rows = table(records[:1] + records[2:], counts)
    assert csv_rows.to_pylist() == [
        {"_c0": "0.1", "_c1": "1", "_c2": "2"},
        {"_c0": "0.9", "_c1": "3", "_c2": "4"},
    ]
    assert (counts.rows, counts.not_tabular, counts.misaligned) == (2, 1, 1)
    json_rows = table(records[1:2])
    assert json_rows.to_pylist() == [{"score": "0.5", "age": "31", "geo.zip": "AB1"}]


def test_input_only_and_batches() -> None:
    records = [record(f"{i},{i * 2}".encode(), "text/csv", b"1", "text/csv") for i in range(10)]
    batches = list(capture_batches(records, indexes=("endpointInput",), batch_rows=4))
    assert [b.num_rows for b in batches] == [4, 4, 2]
    assert pa.Table.from_batches(batches).column("_c1").to_pylist()[-1] == "18"


def test_shadow_traffic_is_skipped_and_counted() -> None:
    shadow = record(b"1,2", "text/csv", b"0.1", "text/csv")
    shadow["eventMetadata"]["invocationSource"] = "ShadowExperiment"
    other = record(b"3,4", "text/csv", b"0.2", "text/csv")
    other["eventMetadata"]["invocationSource"] = "SomethingElse"
    counts = CaptureTable()
    rows = table([shadow, other, shadow], counts)
    assert rows.to_pylist() == [{"_c0": "0.2", "_c1": "3", "_c2": "4"}]
    assert (counts.records, counts.shadow_skipped, counts.rows) == (3, 2, 1)


def test_counts_of_a_capture_read(tmp_path: Path) -> None:
    folder = tmp_path / "ep" / "v" / "2026" / "11" / "27" / "10"
    folder.mkdir(parents=True)
    inside = record(b"1,2", "text/csv", b"0.1", "text/csv")
    outside = json.loads(json.dumps(inside))
    outside["eventMetadata"]["inferenceTime"] = "2026-11-27T10:59:59Z"
    lines = [json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in (inside, outside)]
    (folder / "00-00-000-a.jsonl").write_bytes(b"".join(lines) + b'{"torn')
    counts = CaptureTable()
    read = read_capture(str(tmp_path), "ep", "v", datetime(2026, 11, 27, 10), datetime(2026, 11, 27, 10, 30))
    assert table(read, counts).num_rows == 1
    assert (counts.records, counts.outside_window, counts.torn_lines) == (1, 1, 1)
