"""The window reader (pyarrow.json + pyarrow.csv) gives exactly the batches, counts and errors of the
reference ``capture_batches(CaptureRead(...))``, and takes the fast path where it should."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.errors import DataError, StorageError
from modelwatch.io import capture_table
from modelwatch.io.capture import CaptureRead
from modelwatch.io.capture_table import CaptureTable, capture_batches, capture_window_batches

T0 = datetime(2024, 5, 1, 13, 0, 0, tzinfo=UTC)
START, END = T0 + timedelta(minutes=10), T0 + timedelta(minutes=50)
INSIDE = "2024-05-01T13:20:00Z"

Reader = Callable[..., Iterator[pa.RecordBatch]]


def payload(data: str | None, encoding: str | None = "CSV", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"observedContentType": "text/csv", "mode": "INPUT", **extra}
    if data is not None:
        body["data"] = data
    if encoding is not None:
        body["encoding"] = encoding
    return body


def record(
    output: Any = "0.5",
    input: Any = "1,2,3",
    when: str = INSIDE,
    source: str | None = None,
) -> dict[str, Any]:
    """A capture record; ``output`` / ``input`` are CSV data strings, payload dicts or None (absent)."""
    captured = {}
    for name, side in (("endpointInput", input), ("endpointOutput", output)):
        if side is not None:
            captured[name] = payload(side) if isinstance(side, str) else side
    metadata: dict[str, Any] = {"eventId": "e", "inferenceTime": when}
    if source is not None:
        metadata["invocationSource"] = source
    return {"captureData": captured, "eventMetadata": metadata, "eventVersion": "0"}


def line(rec: dict[str, Any], *, ascii: bool = True) -> bytes:
    return json.dumps(rec, separators=(",", ":"), ensure_ascii=ascii).encode() + b"\n"


def write(folder: Path, *contents: bytes) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, content in enumerate(contents):
        path = folder / f"{i:02d}-00-000-x.jsonl"
        path.write_bytes(content)
        paths.append(str(path))
    return paths


def reference(files: list[str], start: datetime, end: datetime, **options: Any) -> Iterator[pa.RecordBatch]:
    return capture_batches(CaptureRead(files, start, end), **options)


def outcome(read: Reader, files: list[str], **options: Any) -> tuple[Any, ...]:
    counts = CaptureTable()
    try:
        batches = list(read(files, START, END, counts=counts, **options))
    except Exception as error:
        where = (error.file, error.line) if isinstance(error, DataError) else None
        return ("error", type(error), str(error), where)
    shapes = [(b.num_rows, b.schema) for b in batches]
    table = pa.Table.from_batches(batches) if batches else None
    return ("ok", shapes, table.to_pydict() if table is not None else None, asdict(counts))


def assert_same(files: list[str], **options: Any) -> tuple[Any, ...]:
    expected = outcome(reference, files, **options)
    got = outcome(capture_window_batches, files, **options)
    assert got == expected
    return got


def went_fast(files: list[str], indexes: tuple[str, ...] = capture_table.CAPTURE_INDEXES) -> list[bool]:
    return [capture_table._cut_file(f, Path(f).read_bytes(), START, END, indexes) is not None for f in files]


# --- a table of tricky records ----------------------------------------------------------------------

OUTSIDE = "2024-05-01T13:05:00Z"
CASES: dict[str, tuple[list[bytes], bool]] = {
    "plain": ([line(record()), line(record("0.1", "4,5,6"))], True),
    "quoted fields with commas": (
        [line(record('"a,b"', '1,"x, y","say ""hi""",,""')), line(record("1", '"",2,"3"'))],
        True,
    ),
    "empty fields": ([line(record(",", ",,")), line(record("", "1")), line(record("0", ""))], True),
    "outside the window": (
        [line(record(when=OUTSIDE)), line(record()), line(record(when="2024-05-01T13:50:00Z"))],
        True,
    ),
    "other ISO forms": (
        [
            line(record(when="2024-05-01T13:20:00.250Z")),
            line(record(when="2024-05-01T15:20:00+02:00")),
            line(record(when="2024-05-01T13:09:59.999+00:00")),
            line(record(when="2024-05-01T13:20:00")),
        ],
        True,
    ),
    "trailing newlines": ([line(record("0.5\n", "1,2\n")), line(record("1\n\n", "3,4\n\n\n"))], True),
    "multi-line CSV": (
        [
            line(record("0.1\n0.9\n", "1,2\n3,4\n")),
            line(record("0.1\n0.9", "1,2")),  # misaligned
            line(record("0.1\n\n0.9", "1,2\n3,4")),  # a blank line inside
            line(record("0.3", "5,6")),
        ],
        True,
    ),
    "JSON, BASE64 and missing payloads among CSV": (
        [
            line(record()),
            line(record(payload('{"score": 0.5}', "JSON"), payload('{"a": 1, "b": {"c": "x"}}', "JSON"))),
            line(record("0.1", payload("iVBORw0KGgo=", "BASE64"))),
            line(record(None, "1,2,3")),
            line(record(payload(None), "1,2,3")),
            line(record({}, "1,2,3")),
            line(record("0.2", payload("7,8,9", None))),
            line(record("0.3", "4,5,6")),
        ],
        True,
    ),
    "JSON first names the columns": (
        [
            line(record(payload('{"p": 1}', "JSON"), payload('{"a": 1, "b": 2}', "JSON"))),
            line(record("0.1", "4,5")),
            line(record("0.1", "4,5,6,7")),
        ],
        True,
    ),
    "ragged widths": (
        [line(record("0.1", "1,2,3")), line(record("0.2", "1")), line(record("0.3", "1,2,3,4,5"))],
        True,
    ),
    "ragged first record": ([line(record("0.1\n0.2", "1\n2,3")), line(record("0.1", "1,2,3"))], True),
    "quotes Python and Arrow might read apart": (
        [
            line(record("0.1", 'a"b,c"d')),
            line(record("0.1", '"a"b,c')),
            line(record("0.1", 'a,"b')),
            line(record("0.1", ' "a,b" ,c')),
            line(record('"0.1', "1,2")),
            line(record("0.1", '"a\nb",c')),
        ],
        True,
    ),
    "line breaks and BOMs": (
        [
            line(record("\ufeff0.1", "1,2")),
            line(record("0.1", "1\r\n2")),
            line(record("0.1\r\n", "1,2\r\n")),
            line(record("0.1", "1\u20282,3")),
            line(record("0.1", "1,\x1c2")),
            line(record("0.1", "1,\x852"), ascii=False),
        ],
        True,
    ),
    "whitespace-only payloads": (
        [line(record(" ", "1,2")), line(record("0.1", "\t\xa0\u3000")), line(record("0.1", " ,\t"))],
        True,
    ),
    "unicode and control escapes": (
        [line(record("é", "ü,\u00a0x, y ,\x00,\x1f")), line(record("é", "ü,x"), ascii=False)],
        True,
    ),
    "shadow traffic": (
        [
            line(record(source="ShadowExperiment")),
            line(record("0.2", "7,8,9", source="Other")),
            line(record(source="ShadowExperiment", when=OUTSIDE)),
        ],
        True,
    ),
    "all outside the window": ([line(record(when=OUTSIDE))] * 3, True),
    "all shadow": ([line(record(source="ShadowExperiment"))] * 2, True),
    "no tabular record": ([line(record("0.1", payload("AAAA", "BASE64")))], True),
    "first payload has no column": (
        [line(record(payload("{}", "JSON"), payload("{}", "JSON"))), line(record())],
        True,
    ),
    "torn last line without newline": ([line(record()), line(record("0.9", "9,9,9")).rstrip(b"\n")], True),
    "blank tail": ([line(record()), b"  "], True),
    "torn last line with newline": ([line(record()), b'{"captureData":{"endpointIn\n'], False),
    "malformed line in the middle": ([line(record()), b"{broken\n", line(record())], False),
    "blank line": ([line(record()), b"\n", line(record())], False),
    "null line": ([b"null\n", line(record())], False),
    "null after a record": ([line(record()), b"null\n", line(record())], False),
    "two records on a line": ([line(record()).rstrip(b"\n") + b" " + line(record())], False),
    "a record and null on a line": ([line(record()).rstrip(b"\n") + b" null\n"], False),
    "invalid UTF-8 in an ignored field": ([line(record()).replace(b'"e"', b'"\xff"')], False),
    "no inference time": ([b'{"captureData":{},"eventMetadata":{}}\n'], False),
    "bad inference time": ([line(record(when="2024-02-30T10:00:00Z"))], False),
    "inference time not a string": ([line(record()).replace(b'"' + INSIDE.encode() + b'"', b"5")], False),
    "data not a string": ([line(record(payload(0.5), "1,2"))], False),  # type: ignore[arg-type]
    "array line": ([line(record()), b"[1]\n", line(record())], False),
    "CRLF lines": ([line(record()).replace(b"\n", b"\r\n") * 2], True),
    "BOM at the start of the file": ([b"\xef\xbb\xbf" + line(record())], False),
    "duplicate key": (
        [line(record()).replace(b'"eventVersion"', b'"eventMetadata":{},"eventVersion"')],
        False,
    ),
    "empty file": ([b""], False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_tricky_records_read_alike(tmp_path: Path, name: str) -> None:
    lines, fast = CASES[name]
    files = write(tmp_path, b"".join(lines), line(record("9", "9,9,9")))
    assert_same(files)
    assert_same(files, batch_rows=2)
    assert went_fast(files)[0] is fast


def test_mixed_encodings_keep_record_order(tmp_path: Path) -> None:
    lines = []
    for i in range(40):
        if i % 7 == 3:
            lines.append(line(record(payload(f'{{"s": {i}}}', "JSON"), payload(f"[{i}, {i + 1}]", "JSON"))))
        elif i % 5 == 1:
            lines.append(line(record(f"{i}\n{i}", f"{i},a\n{i},b")))
        else:
            lines.append(line(record(str(i), f"{i},x")))
    files = write(tmp_path, b"".join(lines[:25]), b"".join(lines[25:]))
    got = assert_same(files, batch_rows=8)
    assert went_fast(files) == [True, True]
    assert got[2]["_c0"][:6] == ["0", "1", "1", "2", "3", "4"]


def test_input_only_and_one_index(tmp_path: Path) -> None:
    files = write(tmp_path, line(record("0.1", "1,2")) + line(record(None, "3,4")) + line(record("x", None)))
    assert_same(files, indexes=("endpointInput",))
    assert_same(files, indexes=("endpointOutput",))
    assert_same(files, indexes=())
    assert went_fast(files, ("endpointInput",)) == [True]


def test_a_line_longer_than_a_json_block(tmp_path: Path) -> None:
    wide = ",".join(["1234567"] * 200_000)  # 1.6 MB, and fields under csv's limit
    files = write(tmp_path, line(record()) + line(record("0.1", wide)) + line(record()))
    assert_same(files)
    assert went_fast(files) == [True]


def test_a_field_over_pythons_csv_limit_takes_the_reference_path(tmp_path: Path) -> None:
    files = write(tmp_path, line(record("0.1", "x" * 200_000)))
    assert_same(files)


def test_torn_lines_and_errors_name_the_file_and_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    torn, broken = write(
        tmp_path,
        line(record()) * 2 + b'{"captureData":{"endpointIn',
        line(record()) + b"{broken\n" + line(record()),
    )
    counts = CaptureTable()
    with caplog.at_level(logging.WARNING, "modelwatch.capture"):
        batches = list(capture_window_batches([torn], START, END, counts=counts))
    assert (sum(b.num_rows for b in batches), counts.torn_lines) == (2, 1)
    assert any(torn in r.getMessage() and "line 3" in r.getMessage() for r in caplog.records)
    with pytest.raises(DataError) as info:
        list(capture_window_batches([torn, broken], START, END))
    assert (info.value.file, info.value.line) == (broken, 2)


def test_a_missing_file_fails_in_its_turn(tmp_path: Path) -> None:
    files = [*write(tmp_path, line(record())), str(tmp_path / "gone.jsonl")]
    assert assert_same(files)[:2] == ("error", StorageError)
    batches = capture_window_batches(files, START, END, batch_rows=1)
    assert next(batches).num_rows == 1  # the first file is read before the second one fails
    with pytest.raises(StorageError):
        next(batches)


def test_line_break_and_whitespace_sets_are_pythons() -> None:
    every = [chr(c) for c in range(sys.maxunicode + 1)]
    assert set(capture_table.LINE_BREAKS) == {c for c in every if len(f"a{c}b".splitlines()) > 1}
    assert set(capture_table.WHITESPACE) == {c for c in every if c.isspace()}


# --- generated records ------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.sampled_from([*'a1,", \n\t.-é', "\r", "\u2028", "\ufeff", "\xa0"]), max_size=12)
CSV_TEXT = st.text(alphabet=st.sampled_from(list('a1,", \n')), max_size=10)
TIMES = st.sampled_from(
    [INSIDE] * 4
    + [OUTSIDE, "2024-05-01T13:10:00Z", "2024-05-01T13:49:59.5Z", "2024-05-01T14:20"]
    + ["2024-13-01T00:00:00Z"]
)
SOURCES = st.sampled_from([None, None, None, "ShadowExperiment", "Other"])


@st.composite
def sides(draw: st.DrawFn, text: st.SearchStrategy[str]) -> Any:
    kind = draw(st.sampled_from(["csv"] * 6 + ["json", "base64", "absent", "no data"]))
    if kind == "csv":
        return draw(text)
    if kind == "json":
        value = draw(
            st.one_of(st.dictionaries(st.sampled_from("ab"), st.integers(0, 9)), st.lists(st.integers()))
        )
        return payload(json.dumps(value), "JSON")
    if kind == "base64":
        return payload("AAAA", "BASE64")
    return None if kind == "absent" else payload(None)


@st.composite
def capture_files(draw: st.DrawFn, text: st.SearchStrategy[str]) -> list[bytes]:
    contents = []
    for _ in range(draw(st.integers(1, 3))):
        records = draw(
            st.lists(st.tuples(sides(text), sides(text), TIMES, SOURCES, st.booleans()), max_size=12)
        )
        content = b"".join(
            line(record(out, inp, when, source), ascii=ascii) for out, inp, when, source, ascii in records
        )
        ending = draw(st.sampled_from([b"", b"", b"  ", b'{"captureData":', b"{oops}\n", b"\n"]))
        contents.append(content + ending)
    return contents


@settings(max_examples=300, deadline=None)
@given(contents=capture_files(TEXT), batch_rows=st.integers(1, 5))
def test_generated_capture_files_read_alike(
    tmp_path_factory: pytest.TempPathFactory, contents: list[bytes], batch_rows: int
) -> None:
    assert_same(write(tmp_path_factory.mktemp("gen"), *contents), batch_rows=batch_rows)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(CSV_TEXT, CSV_TEXT), min_size=1, max_size=30), batch_rows=st.integers(1, 7))
def test_generated_csv_payloads_read_alike(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str]], batch_rows: int
) -> None:
    content = b"".join(line(record(out, inp)) for out, inp in rows)
    files = write(tmp_path_factory.mktemp("csv"), content)
    assert_same(files, batch_rows=batch_rows)
    assert went_fast(files) == [True]
