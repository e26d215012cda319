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
from modelwatch.io.capture import _inference_time, log_torn_line, parse_inference_time
from modelwatch.io.capture_table import SHADOW_EXPERIMENT
from modelwatch.io.hours import utc
from modelwatch.io.payload_fields import _mask, json_objects
from modelwatch.io.storage import read_bytes

__all__ = [
    "INFERENCE_TIME",
    "INPUT_COLUMNS",
    "CaptureColumns",
    "capture_lines",
    "in_window",
    "parse_inference_times",
    "read_capture_columns",
]

INFERENCE_TIME = pa.timestamp("s", tz="UTC")
"""The type of the ``time`` column."""
INPUT_COLUMNS = ("input_data", "input_encoding")
"""The columns that ``with_input`` adds."""

_PAYLOAD = pa.struct([("data", pa.string()), ("encoding", pa.string())])
_METADATA = pa.struct(
    [
        ("eventId", pa.string()),
        ("inferenceId", pa.string()),
        ("inferenceTime", pa.string()),
        ("invocationSource", pa.string()),
    ]
)
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


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
        if not _mask(pc.ends_with(lines, "}")).all():
            raise DataError("capture file changed while it was merged: a line is not an object", file=uri)
        parts.append(pc.utf8_slice_codeunits(lines, 0, -1))
    return pa.concat_arrays(parts) if parts else pa.array([], pa.string())


def parse_inference_times(texts: pa.Array) -> pa.Array | None:
    """``inferenceTime`` texts as timestamp[s, UTC] (SageMaker's form parsed by Arrow, any other ISO 8601
    form by :func:`~modelwatch.io.capture.parse_inference_time` once per distinct text); None if a time
    is missing or bad (the caller then reads the records the reference way, or raises)."""
    if texts.null_count:
        return None
    parsed = pc.strptime(texts, format=_TIME_FORMAT, unit="s", error_is_null=True).cast(INFERENCE_TIME)
    if not parsed.null_count:
        return parsed
    odd = pc.unique(texts.filter(pc.is_null(parsed)))
    try:
        moments = [parse_inference_time(text) for text in odd.to_pylist()]
    except ValueError:
        return None
    fixed = pa.array(moments, INFERENCE_TIME).take(pc.index_in(texts, value_set=odd))
    return pc.coalesce(parsed, fixed)


def in_window(times: pa.Array, start: datetime, end: datetime) -> np.ndarray:
    """Which of ``times`` (timestamp[s, UTC]) are in ``[start, end)``, as a numpy mask."""
    low, high = pa.scalar(start, INFERENCE_TIME), pa.scalar(end, INFERENCE_TIME)
    return _mask(pc.and_(pc.greater_equal(times, low), pc.less(times, high)))


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


def _line_bounds(head: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Start and end byte offsets of the lines of ``head`` (whole lines); None unless each starts with
    ``{`` and the bytes are UTF-8 (else the reference path must judge them)."""
    raw = np.frombuffer(head, np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    if raw[0] != ord("{") or (raw[ends[:-1] + 1] != ord("{")).any():
        return None
    if not head.isascii():
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return np.concatenate([[0], ends[:-1] + 1]).astype(np.int64), ends.astype(np.int64)


def _cut_capture_fast(uri: str, data: bytes, start: datetime, end: datetime, with_input: bool) -> _Cut | None:
    size = data.rfind(b"\n") + 1
    head, tail = data[:size], data[size:]
    torn = head.count(b"\n") + 1 if tail.strip() else None
    if not head:
        return _Cut(uri, _empty(with_input), torn_line=torn)
    bounds = _line_bounds(head)
    if bounds is None:
        return None
    table = json_objects(head, bounds[0].size, schema=_capture_schema(with_input))
    if table is None:
        return None
    metadata = table.column("eventMetadata").combine_chunks()
    times = parse_inference_times(pc.struct_field(metadata, "inferenceTime"))
    if times is None:
        return None
    inside = in_window(times, start, end)
    shadow = inside & _mask(pc.equal(pc.struct_field(metadata, "invocationSource"), SHADOW_EXPERIMENT))
    keep = pa.array(inside & ~shadow)
    captured = table.column("captureData").combine_chunks()
    output = pc.struct_field(captured, "endpointOutput")
    inference_id = pc.struct_field(metadata, "inferenceId")
    inference_id = pc.if_else(pc.equal(inference_id, ""), pa.scalar(None, pa.string()), inference_id)
    columns = [
        pc.coalesce(inference_id, pc.struct_field(metadata, "eventId")),
        times,
        pc.struct_field(output, "data"),
        pc.struct_field(output, "encoding"),
    ]
    if with_input:
        payload = pc.struct_field(captured, "endpointInput")
        columns += [pc.struct_field(payload, "data"), pc.struct_field(payload, "encoding")]
    columns += [pa.array(bounds[0]), pa.array(bounds[1])]
    narrow = pa.table(columns, names=_columns(with_input)).filter(keep)
    outside = int((~inside).sum())
    return _Cut(uri, narrow, outside=outside, shadow=int(shadow.sum()), torn_line=torn)


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
        moment = _inference_time(record, uri, number)
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
