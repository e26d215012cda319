"""The narrow columns of capture records: who, when, what was answered, and where each line lies.

:func:`read_capture_columns` reads the capture files of a window (as listed by
:func:`~modelwatch.io.capture.capture_files`) into one Arrow table with a row per record whose
``eventMetadata.inferenceTime`` is in ``[start, end)`` and that is not shadow-variant traffic, in file
order, with the columns:

* ``key`` — ``eventMetadata.inferenceId`` when it is a non-empty string, else ``eventMetadata.eventId``
  (null when neither: such a record can never be joined);
* ``time`` — the ``inferenceTime`` as timestamp[s, UTC];
* ``output_data``, ``output_encoding`` — the ``endpointOutput`` payload (and ``input_data``,
  ``input_encoding``, the ``endpointInput`` one, with ``with_input``);
* ``begin``, ``end`` — the byte offsets of the record's line in its file (newline excluded), so that
  :func:`capture_lines` can read the captured text back without holding it;
* ``file`` — the index of the record's file in ``files``.

The rules are those of the reference reader :class:`~modelwatch.io.capture.CaptureRead`: records outside
the window and shadow records are skipped and counted, a torn last line is skipped, counted and
logged, a malformed line before the last one and a record without a valid ``inferenceTime`` are a
:class:`~modelwatch.errors.DataError` naming the file and line.

Each file is parsed by ``pyarrow.json`` with an explicit schema of just these fields; a file that it
cannot read exactly as ``json.loads`` does (a blank line, a line that is not an object, a field of
another type, bytes that are not UTF-8, an odd time form it cannot judge) is read line by line by the
reference rules instead, with the same result.

The steps that every Arrow capture reader shares are public here, so that the data-quality window reader
(:mod:`modelwatch.io.capture_table`) uses the same ones: :func:`whole_lines` (the lines of a file and its
torn last line), :func:`json_lines` (the ``pyarrow.json`` read and each line's bounds) and
:func:`capture_window` (each distinct ``inferenceTime`` parsed by the reference parser, the window test,
the outside and shadow counts).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.errors import DataError
from modelwatch.io._prefetch import prefetch
from modelwatch.io.capture import log_torn_line, parse_inference_time, record_inference_time
from modelwatch.io.hours import utc
from modelwatch.io.payload_fields import json_objects, true_mask
from modelwatch.io.storage import read_bytes

__all__ = [
    "INFERENCE_TIME",
    "INPUT_COLUMNS",
    "SHADOW_EXPERIMENT",
    "CaptureColumns",
    "CaptureWindow",
    "capture_lines",
    "capture_window",
    "in_window",
    "json_lines",
    "parse_inference_times",
    "read_capture_columns",
    "whole_lines",
]

INFERENCE_TIME = pa.timestamp("s", tz="UTC")
"""The type of the ``time`` column."""
INPUT_COLUMNS = ("input_data", "input_encoding")
"""The columns that ``with_input`` adds."""
SHADOW_EXPERIMENT = "ShadowExperiment"
"""The ``eventMetadata.invocationSource`` of shadow-variant traffic, skipped and counted by every reader."""

_PAYLOAD = pa.struct([("data", pa.string()), ("encoding", pa.string())])
_METADATA = pa.struct(
    [
        ("eventId", pa.string()),
        ("inferenceId", pa.string()),
        ("inferenceTime", pa.string()),
        ("invocationSource", pa.string()),
    ]
)


@dataclass(frozen=True)
class CaptureColumns:
    """What :func:`read_capture_columns` read: the ``table`` (see the module docstring) and what it
    skipped."""

    table: pa.Table
    outside_window: int  # records of the files outside [start, end)
    shadow_skipped: int  # shadow-variant records inside the window
    torn_lines: int  # torn last lines skipped (one per file at most)


def read_capture_columns(
    files: list[str], start: datetime, end: datetime, *, with_input: bool = False
) -> CaptureColumns:
    """The narrow columns of the records of ``files`` with ``inferenceTime`` in ``[start, end)`` (see the
    module docstring). Naive datetimes are UTC. Files are read one ahead in a background thread.

    Raises:
        DataError: a malformed line before the last one of a file, or a record without a valid
            ``eventMetadata.inferenceTime`` (names file and line).
        StorageError: a file cannot be read.
    """
    start, end = utc(start), utc(end)
    tables = []
    outside = shadow = torn = 0
    cuts: Iterator[_Cut] = prefetch(
        _cut_capture(uri, read_bytes(uri), start, end, with_input) for uri in files
    )
    for index, cut in enumerate(cuts):
        outside += cut.outside
        shadow += cut.shadow
        if cut.torn_line is not None:
            torn += 1
            log_torn_line(cut.uri, cut.torn_line, "torn or not valid JSON")
        tables.append(cut.table.append_column("file", pa.array(np.full(cut.table.num_rows, index, np.int32))))
    empty = _empty(with_input)
    table = pa.concat_tables(tables) if tables else empty.append_column("file", pa.array([], pa.int32()))
    return CaptureColumns(table, outside, shadow, torn)


def capture_lines(files: list[str], rows: pa.Table) -> pa.Array:
    """The captured lines of ``rows`` (rows of a :func:`read_capture_columns` table over ``files``, in
    file order), re-read from their files, without trailing whitespace and without the final ``}``:
    ready for more keys to be appended to each record.

    Raises:
        DataError: a file changed since it was read.
        StorageError: a file cannot be read.
    """
    file_of = np.asarray(rows.column("file").to_numpy(), np.int64)
    begins = np.asarray(rows.column("begin").to_numpy(), np.int64)
    ends = np.asarray(rows.column("end").to_numpy(), np.int64)
    parts = []
    for index in np.unique(file_of):
        picked = np.flatnonzero(file_of == index)
        uri = files[int(index)]
        data = read_bytes(uri)
        offsets = np.empty(2 * picked.size, np.int64)
        offsets[0::2], offsets[1::2] = begins[picked], ends[picked]
        if len(data) < int(offsets[-1]):
            raise DataError("capture file shrank while it was merged", file=uri)
        spans = pa.Array.from_buffers(
            pa.large_string(), offsets.size - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        lines = spans.take(pa.array(np.arange(0, offsets.size, 2))).cast(pa.string())
        try:
            lines.validate(full=True)
        except pa.ArrowInvalid as error:
            raise DataError(f"capture file changed while it was merged: {error}", file=uri) from error
        lines = pc.utf8_rtrim_whitespace(lines)
        if not true_mask(pc.ends_with(lines, "}")).all():
            raise DataError("capture file changed while it was merged: a line is not an object", file=uri)
        parts.append(pc.utf8_slice_codeunits(lines, 0, -1))
    return pa.concat_arrays(parts) if parts else pa.array([], pa.string())


def parse_inference_times(texts: pa.Array) -> pa.Array | None:
    """``inferenceTime`` texts as timestamp[s, UTC], each distinct text parsed once by the reference
    :func:`~modelwatch.io.capture.parse_inference_time`; None if a time is missing or bad (the caller then
    reads the records the reference way, or raises)."""
    parsed = _distinct_times(texts)
    if parsed is None:
        return None
    moments, index = parsed
    return pa.array(moments, INFERENCE_TIME).take(index)


def in_window(times: pa.Array, start: datetime, end: datetime) -> np.ndarray:
    """Which of ``times`` (timestamp[s, UTC]) are in ``[start, end)``, as a numpy mask."""
    low, high = pa.scalar(start, INFERENCE_TIME), pa.scalar(end, INFERENCE_TIME)
    return true_mask(pc.and_(pc.greater_equal(times, low), pc.less(times, high)))


@dataclass(frozen=True)
class CaptureWindow:
    """Where the records of one file fall against a window (see :func:`capture_window`)."""

    times: pa.Array  # each record's inferenceTime, timestamp[s, UTC]
    inside: np.ndarray  # in [start, end), shadow records included
    shadow: np.ndarray  # inside and shadow-variant traffic

    @property
    def keep(self) -> np.ndarray:
        """The records to read: inside the window and not shadow traffic."""
        return self.inside & ~self.shadow

    @property
    def outside(self) -> int:
        """How many records are outside the window."""
        return int((~self.inside).sum())


def capture_window(metadata: pa.StructArray, start: datetime, end: datetime) -> CaptureWindow | None:
    """Which records (their ``eventMetadata``, with ``inferenceTime`` and ``invocationSource`` fields) are
    in ``[start, end)`` and which of those are shadow traffic, by the rules of
    :class:`~modelwatch.io.capture.CaptureRead`: each distinct time is parsed and compared exactly (so a
    fraction of a second counts, as it does there). None if a time is missing or bad (the reference
    reader then raises its error)."""
    parsed = _distinct_times(pc.struct_field(metadata, "inferenceTime"))
    if parsed is None:
        return None
    moments, index = parsed
    positions = np.asarray(index.to_numpy(zero_copy_only=False), np.int64)
    inside = np.array([start <= moment < end for moment in moments], bool)[positions]
    shadow = inside & true_mask(pc.equal(pc.struct_field(metadata, "invocationSource"), SHADOW_EXPERIMENT))
    return CaptureWindow(pa.array(moments, INFERENCE_TIME).take(index), inside, shadow)


def whole_lines(data: bytes) -> tuple[bytes, int | None]:
    """``data`` up to its last newline, and the number of the torn last line after it (None if nothing but
    whitespace follows the last newline)."""
    size = data.rfind(b"\n") + 1
    head, tail = (data, b"") if size == len(data) else (data[:size], data[size:])
    return head, head.count(b"\n") + 1 if tail.strip() else None


def json_lines(head: bytes, schema: pa.Schema) -> tuple[pa.Table, np.ndarray, np.ndarray] | None:
    """The records of ``head`` (whole, non-empty lines) read by ``pyarrow.json`` with ``schema`` (other
    fields ignored), and the start and end byte offsets of each line (newline excluded); None where
    ``json.loads`` per line could differ (the caller then reads the lines the reference way).

    Every line must start with ``{``: that rules out blank lines (which ``pyarrow.json`` skips without a
    trace) and top-level ``null`` (which crashes pyarrow 26 at the start of a block); one row per line
    rules out lines with several values; pyarrow does not check UTF-8 in the fields it ignores, so the
    bytes are checked here.
    """
    raw = np.frombuffer(head, np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    if raw[0] != ord("{") or (raw[ends[:-1] + 1] != ord("{")).any():
        return None
    if not head.isascii():
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return None
    table = json_objects(head, ends.size, schema=schema)
    if table is None:
        return None
    return table, np.concatenate([[0], ends[:-1] + 1]).astype(np.int64), ends.astype(np.int64)


def _distinct_times(texts: pa.Array) -> tuple[list[datetime], pa.Array] | None:
    """The distinct ``texts`` parsed by the reference parser and the index of each text among them; None
    if one is missing or bad. A window's records share few distinct times (seconds), so this is cheap."""
    if texts.null_count:
        return None
    distinct = pc.unique(texts)
    try:
        moments = [parse_inference_time(text) for text in distinct.to_pylist()]
    except ValueError:
        return None
    return moments, pc.index_in(texts, value_set=distinct)


# --- one file -------------------------------------------------------------------------------------------


@dataclass
class _Cut:
    """The records of one file (narrow columns) and what was skipped in it."""

    uri: str
    table: pa.Table  # key, time, output_data, output_encoding, [input_*], begin, end (byte offsets)
    outside: int = 0
    shadow: int = 0
    torn_line: int | None = field(default=None)


def _capture_schema(with_input: bool) -> pa.Schema:
    payloads = [("endpointOutput", _PAYLOAD)] + ([("endpointInput", _PAYLOAD)] if with_input else [])
    return pa.schema([("captureData", pa.struct(payloads)), ("eventMetadata", _METADATA)])


def _columns(with_input: bool) -> list[str]:
    extra = list(INPUT_COLUMNS) if with_input else []
    return ["key", "time", "output_data", "output_encoding", *extra, "begin", "end"]


def _empty(with_input: bool) -> pa.Table:
    names = _columns(with_input)
    types = [pa.string(), INFERENCE_TIME] + [pa.string()] * (len(names) - 4) + [pa.int64(), pa.int64()]
    return pa.schema(list(zip(names, types, strict=True))).empty_table()


def _cut_capture(uri: str, data: bytes, start: datetime, end: datetime, with_input: bool) -> _Cut:
    fast = _cut_capture_fast(uri, data, start, end, with_input)
    return fast if fast is not None else _cut_capture_slow(uri, data, start, end, with_input)


def _cut_capture_fast(uri: str, data: bytes, start: datetime, end: datetime, with_input: bool) -> _Cut | None:
    head, torn = whole_lines(data)
    if not head:
        return _Cut(uri, _empty(with_input), torn_line=torn)
    read = json_lines(head, _capture_schema(with_input))
    if read is None:
        return None
    table, begins, ends = read
    metadata = table.column("eventMetadata").combine_chunks()
    window = capture_window(metadata, start, end)
    if window is None:
        return None
    captured = table.column("captureData").combine_chunks()
    output = pc.struct_field(captured, "endpointOutput")
    inference_id = pc.struct_field(metadata, "inferenceId")
    inference_id = pc.if_else(pc.equal(inference_id, ""), pa.scalar(None, pa.string()), inference_id)
    columns = [
        pc.coalesce(inference_id, pc.struct_field(metadata, "eventId")),
        window.times,
        pc.struct_field(output, "data"),
        pc.struct_field(output, "encoding"),
    ]
    if with_input:
        payload = pc.struct_field(captured, "endpointInput")
        columns += [pc.struct_field(payload, "data"), pc.struct_field(payload, "encoding")]
    columns += [pa.array(begins), pa.array(ends)]
    narrow = pa.table(columns, names=_columns(with_input)).filter(pa.array(window.keep))
    return _Cut(uri, narrow, outside=window.outside, shadow=int(window.shadow.sum()), torn_line=torn)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _cut_capture_slow(uri: str, data: bytes, start: datetime, end: datetime, with_input: bool) -> _Cut:
    """The reference path: the rules of :class:`~modelwatch.io.capture.CaptureRead`, line by line."""
    rows: list[list[Any]] = []
    cut = _Cut(uri, _empty(with_input))
    lines = list(io.BytesIO(data))
    position = 0
    for number, line in enumerate(lines, start=1):
        begin, position = position, position + len(line)
        if not line.strip():
            continue
        last = number == len(lines)
        try:
            if last and not line.endswith(b"\n"):
                raise ValueError("no final newline")
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as error:
            if not last:
                raise DataError(f"malformed capture record: {error}", file=uri, line=number) from error
            cut.torn_line = number
            continue
        moment = record_inference_time(record, uri, number)
        if not start <= moment < end:
            cut.outside += 1
            continue
        metadata = record["eventMetadata"]
        if metadata.get("invocationSource") == SHADOW_EXPERIMENT:
            cut.shadow += 1
            continue
        payloads = record.get("captureData")
        payloads = payloads if isinstance(payloads, dict) else {}
        row: list[object] = [
            _text(metadata.get("inferenceId")) or _text(metadata.get("eventId")),
            moment,
        ]
        for side in ("endpointOutput", "endpointInput") if with_input else ("endpointOutput",):
            payload = payloads.get(side)
            payload = payload if isinstance(payload, dict) else {}
            row += [_text(payload.get("data")), _text(payload.get("encoding"))]
        row += [begin, begin + len(line.rstrip(b"\n"))]
        rows.append(row)
    if rows:
        names = _columns(with_input)
        cut.table = pa.Table.from_pylist(
            [dict(zip(names, row, strict=True)) for row in rows], schema=cut.table.schema
        )
    return cut
