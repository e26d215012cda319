"""Reading capture windows: hour folders, inferenceTime filtering, torn last lines."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelwatch.errors import ConfigurationError, DataError
from modelwatch.io.capture import capture_files, parse_inference_time, read_capture

T0 = datetime(2024, 5, 1, 13, 0, 0, tzinfo=UTC)


def line(event: str, when: datetime) -> bytes:
    record = {
        "captureData": {"endpointInput": {"mode": "INPUT", "data": "1", "encoding": "CSV"}},
        "eventMetadata": {"eventId": event, "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0",
    }
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def put(root: Path, hour: datetime, name: str, data: bytes) -> Path:
    path = root / "ep" / "AllTraffic" / f"{hour:%Y/%m/%d/%H}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    put(tmp_path, T0 - timedelta(hours=1), "59-00-000-a.jsonl", line("before", T0 - timedelta(minutes=1)))
    put(tmp_path, T0, "30-00-000-b.jsonl", line("b1", T0 + timedelta(minutes=30)))
    put(
        tmp_path,
        T0,
        "05-00-000-a.jsonl",
        line("a1", T0 + timedelta(minutes=5)) + line("a2", T0 + timedelta(minutes=6)),
    )
    put(tmp_path, T0, "_SUCCESS", b"")
    put(tmp_path, T0, "notes.txt", b"x")
    put(
        tmp_path,
        T0 + timedelta(hours=1),
        "00-10-000-c.jsonl",
        line("c1", T0 + timedelta(hours=1, seconds=10)),
    )
    put(tmp_path, T0 + timedelta(hours=2), "00-00-000-d.jsonl", line("d1", T0 + timedelta(hours=2)))
    return tmp_path


def test_files_of_the_overlapping_hours_in_time_order(tree: Path) -> None:
    found = capture_files(
        str(tree), "ep", "AllTraffic", T0 + timedelta(minutes=10), T0 + timedelta(hours=1, minutes=1)
    )
    assert [Path(f).relative_to(tree).as_posix() for f in found] == [
        "ep/AllTraffic/2024/05/01/13/05-00-000-a.jsonl",
        "ep/AllTraffic/2024/05/01/13/30-00-000-b.jsonl",
        "ep/AllTraffic/2024/05/01/14/00-10-000-c.jsonl",
    ]
    # end is exclusive: a window ending exactly at 15:00 does not list hour 15
    assert len(capture_files(str(tree), "ep", "AllTraffic", T0, T0 + timedelta(hours=2))) == 3


def test_records_are_filtered_by_inference_time(tree: Path) -> None:
    read = read_capture(
        str(tree), "ep", "AllTraffic", T0 + timedelta(minutes=6), T0 + timedelta(hours=1, seconds=10)
    )
    assert [r["eventMetadata"]["eventId"] for r in read] == ["a2", "b1"]
    assert (read.records, read.outside_window, read.torn_lines) == (2, 2, 0)
    with pytest.raises(RuntimeError):
        list(read)


def test_naive_times_are_utc(tree: Path) -> None:
    read = read_capture(str(tree), "ep", "AllTraffic", datetime(2024, 5, 1, 14), datetime(2024, 5, 1, 15))
    assert [r["eventMetadata"]["eventId"] for r in read] == ["c1"]


def test_missing_tree_gives_nothing(tmp_path: Path) -> None:
    assert capture_files(str(tmp_path / "none"), "ep", "v", T0, T0 + timedelta(hours=3)) == []


def test_empty_window_is_an_error(tree: Path) -> None:
    with pytest.raises(ConfigurationError, match="not after"):
        capture_files(str(tree), "ep", "AllTraffic", T0, T0)


@pytest.mark.parametrize(
    "torn", [b'{"captureData":{"endpointIn', line("x", T0).rstrip(b"\n"), b"{not json}\n"]
)
def test_torn_last_line_is_skipped_and_counted(
    tmp_path: Path, torn: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = put(tmp_path, T0, "00-00-000-x.jsonl", line("ok1", T0) + line("ok2", T0) + torn)
    read = read_capture(str(tmp_path), "ep", "AllTraffic", T0, T0 + timedelta(hours=1))
    assert [r["eventMetadata"]["eventId"] for r in read] == ["ok1", "ok2"]
    assert (read.records, read.torn_lines) == (2, 1)
    assert any(str(path) in r.getMessage() and "line 3" in r.getMessage() for r in caplog.records)
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_malformed_line_before_the_end_is_a_data_error(tmp_path: Path) -> None:
    path = put(tmp_path, T0, "00-00-000-x.jsonl", line("ok", T0) + b"{broken\n" + line("later", T0))
    read = read_capture(str(tmp_path), "ep", "AllTraffic", T0, T0 + timedelta(hours=1))
    with pytest.raises(DataError) as info:
        list(read)
    assert (info.value.file, info.value.line) == (str(path), 2)


def test_record_without_inference_time_is_a_data_error(tmp_path: Path) -> None:
    put(tmp_path, T0, "00-00-000-x.jsonl", b'{"captureData":{},"eventMetadata":{}}\n')
    read = read_capture(str(tmp_path), "ep", "AllTraffic", T0, T0 + timedelta(hours=1))
    with pytest.raises(DataError, match="inferenceTime"):
        list(read)


def test_blank_lines_are_ignored(tmp_path: Path) -> None:
    put(tmp_path, T0, "00-00-000-x.jsonl", line("a", T0) + b"\n" + line("b", T0))
    read = read_capture(str(tmp_path), "ep", "AllTraffic", T0, T0 + timedelta(hours=1))
    assert len(list(read)) == 2
    assert read.torn_lines == 0


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2024-05-01T13:07:12Z", datetime(2024, 5, 1, 13, 7, 12, tzinfo=UTC)),
        ("2024-05-01T13:07:12.5Z", datetime(2024, 5, 1, 13, 7, 12, 500_000, tzinfo=UTC)),
        ("2024-05-01T15:07:12+02:00", datetime(2024, 5, 1, 13, 7, 12, tzinfo=UTC)),
        ("2024-05-01T13:07:12", datetime(2024, 5, 1, 13, 7, 12, tzinfo=UTC)),
    ],
)
def test_inference_time_forms(text: str, moment: datetime) -> None:
    assert parse_inference_time(text) == moment


@pytest.mark.parametrize("text", ["2024-02-30T10:00:00Z", "yesterday", ""])
def test_bad_inference_times(text: str) -> None:
    with pytest.raises(ValueError):
        parse_inference_time(text)
