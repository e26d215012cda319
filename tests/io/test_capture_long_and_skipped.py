"""Long capture lines are read up to a limit and refused past it with file and line; records skipped for
their content are counted, logged with file and line, and summed up."""

from __future__ import annotations

import base64
import io
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from test_capture_fast_path import END, START, assert_same, line, payload, record, write

from modelwatch.errors import DataError
from modelwatch.io.capture import CaptureRead, bounded_lines
from modelwatch.io.capture_table import CaptureTable, capture_batches, capture_window_batches


def reference(files: list[str], start: datetime, end: datetime, **options: Any) -> Any:
    limit = options.pop("max_line_bytes", None)
    read = (
        CaptureRead(files, start, end)
        if limit is None
        else CaptureRead(files, start, end, max_line_bytes=limit)
    )
    return capture_batches(read, **options)


READERS = {"window": capture_window_batches, "reference": reference}


def test_a_field_over_128_kib_is_read(tmp_path: Path) -> None:
    # Python's csv module refuses fields over 128 KiB unless told otherwise
    long = "x" * (200 * 1024)
    [path] = write(tmp_path, line(record()) + line(record("0.5", f"1,{long},3")) + line(record()))
    _, _, table, counts = assert_same([path])
    assert table["_c2"] == ["2", long, "2"]
    assert counts["rows"] == 3


@pytest.mark.parametrize("reader", READERS)
def test_a_line_over_the_limit_is_refused_with_its_file_and_line(tmp_path: Path, reader: str) -> None:
    [path] = write(tmp_path, line(record()) * 2 + line(record("0.5", "1," + "x" * 5000)) + line(record()))
    assert len(line(record())) < 1000
    with pytest.raises(DataError) as info:
        list(READERS[reader]([path], START, END, max_line_bytes=4096))
    assert (info.value.file, info.value.line) == (path, 3)
    assert "longer than 4096 bytes" in str(info.value)
    rows = pa.Table.from_batches(list(READERS[reader]([path], START, END, max_line_bytes=8192)))
    assert rows.num_rows == 4  # under a higher limit the same line is read


def test_a_line_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    longest = line(record("0.5", "1," + "y" * 5000))
    [path] = write(tmp_path, line(record()) + longest + line(record()))
    size = len(longest)  # its newline included
    for reader in READERS.values():
        with pytest.raises(DataError) as info:
            list(reader([path], START, END, max_line_bytes=size - 1))
        assert info.value.line == 2
        assert sum(b.num_rows for b in reader([path], START, END, max_line_bytes=size)) == 3


@pytest.mark.parametrize("reader", READERS)
def test_records_skipped_for_their_content_are_counted_and_located(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, reader: str
) -> None:
    bad = record("0.5", payload("not base64!", "BASE64"))
    image = record("0.5", payload(base64.b64encode(b"\x89PNG").decode(), "BASE64"))
    misaligned = record("0.1\n0.9", "1,2,3")
    lines = [line(record())] * 151
    lines[40], lines[90], lines[120] = line(bad), line(image), line(misaligned)
    [path] = write(tmp_path, b"".join(lines))
    counts = CaptureTable()
    with caplog.at_level(logging.WARNING, "modelwatch.capture"):
        rows = sum(b.num_rows for b in READERS[reader]([path], START, END, counts=counts))
    assert rows == 148 and counts.records == 151
    assert (counts.not_tabular, counts.misaligned, counts.skipped()) == (2, 1, 3)
    messages = [r.getMessage() for r in caplog.records]
    for number, why in ((41, "BASE64"), (91, "BASE64"), (121, "differ in number")):
        assert any(f"line {number} of {path}" in m and why in m for m in messages), messages
    assert counts.describe_skipped() == (
        f"skipped 3 records: 2 not tabular (BASE64, invalid JSON or missing payload), first at {path}, "
        f"line 41; 1 misaligned (output and input rows differ in number), first at {path}, line 121"
    )


def test_nothing_skipped_says_nothing() -> None:
    assert CaptureTable().describe_skipped() is None
    assert CaptureTable(torn_lines=1).describe_skipped() == "skipped 1 record: 1 torn last lines"


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 20])
def test_bounded_lines_splits_like_splitlines_whatever_the_chunks(chunk_size: int) -> None:
    data = b'{"a": 1}\n\n' + b"x" * 40 + b"\nlast line without newline"
    got = list(bounded_lines(io.BytesIO(data), "f.jsonl", limit=41, chunk_size=chunk_size))
    assert got == data.splitlines(keepends=True)


@pytest.mark.parametrize("chunk_size", [1, 5, 1 << 20])
def test_bounded_lines_refuses_the_first_long_line_by_number(chunk_size: int) -> None:
    data = b"ok\n" + b"y" * 10 + b"\n" + b"z" * 11 + b"\n"
    lines = bounded_lines(io.BytesIO(data), "f.jsonl", limit=11, chunk_size=chunk_size)
    assert [next(lines), next(lines)] == [b"ok\n", b"y" * 10 + b"\n"]
    with pytest.raises(DataError, match="longer than 11 bytes") as error:
        next(lines)
    assert error.value.line == 3 and error.value.file == "f.jsonl"
