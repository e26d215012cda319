"""Capture records as a table: the rows that SageMaker's analyzer builds from ``sagemakerCaptureJson`` data.

For each record the analyzer takes the payloads named by ``captureIndexNames`` and makes a row of the
output's columns followed by the input's (``output_columns_position: START``), which is why a baseline
dataset has its label/prediction columns first. Here:

* a ``CSV`` payload gives one row per line (a request with several lines gives several rows; its
  output must then have as many lines, else the record is skipped and counted);
* a ``JSON`` payload that is an object gives one row (nested objects flattened to ``a.b``), a list of
  objects one row each, a list of scalars one row of positional values, a scalar one value;
* ``BASE64`` payloads (binary, images, ...) are not tabular: such records are skipped and counted — a
  preprocessing script turns them into rows;
* records of shadow-variant traffic (``eventMetadata.invocationSource == "ShadowExperiment"``) are
  skipped and counted, as the analyzer does.

Every record skipped for its content (not tabular, misaligned) is counted, and the first few of each
kind are logged with their file and line (``capture: skipped record ...``); :meth:`CaptureTable.skipped`
and :meth:`CaptureTable.describe_skipped` sum them up with torn last lines, for the execution's log and
message. A CSV field may be as long as a capture line (``max_line_bytes``, 64 MiB by default): Python's
``csv`` field limit is raised to that.

Columns are strings (types are inferred later from the string form, as for CSV datasets) and named
``_c0``, ``_c1``, ... by position across the output and input columns, or by key for JSON objects.

Two readers give the same batches. :func:`capture_batches` takes records one by one (``json.loads``
per record, ``csv.reader`` per payload): it is the reference. :func:`capture_window_batches` reads the
files of a window whole: ``pyarrow.json`` picks the payloads and times, ``pyarrow.compute`` filters the
window, and the CSV payloads that the fast path can parse exactly (no quote that Python's ``csv`` and
Arrow's CSV parser could read differently, no line break but ``\\n``, no blank line, as many lines in
the output as in the input) are joined into ``output,input`` lines parsed at once by
``pyarrow.csv``. The other records (JSON, BASE64, the rest of CSV) go through the reference code and
their rows are put back in their place: the rows, their order, the columns and the batch sizes are
those of ``capture_batches(CaptureRead(files, start, end))``, and so are the counts. A file that
``pyarrow.json`` cannot read exactly as ``json.loads`` does (a parse error, a blank line, a line that is
not one object, ...) is read by the reference reader, which then raises its errors or skips its torn
last line.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from modelwatch.io._prefetch import prefetch
from modelwatch.io.capture import (
    MAX_LINE_BYTES,
    CaptureRead,
    check_line_lengths,
    log_torn_line,
)
from modelwatch.io.capture_columns import SHADOW_EXPERIMENT, capture_window, json_lines, whole_lines
from modelwatch.io.hours import utc
from modelwatch.io.storage import read_bytes

__all__ = [
    "CAPTURE_INDEXES",
    "SHADOW_EXPERIMENT",
    "CaptureTable",
    "capture_batches",
    "capture_window_batches",
]

log = logging.getLogger("modelwatch.capture")

CAPTURE_INDEXES = ("endpointOutput", "endpointInput")
BATCH_ROWS = 65_536
LOGGED_SKIPS = 10  # skipped records logged one by one, of each kind; the rest are counted
if csv.field_size_limit() < MAX_LINE_BYTES:  # a field may be as long as a line that is read
    csv.field_size_limit(MAX_LINE_BYTES)


@dataclass
class CaptureTable:
    """Counts of what :func:`capture_batches` / :func:`capture_window_batches` read and skipped, filled in
    while they run. ``outside_window`` and ``torn_lines`` are known when the records come from a
    :class:`~modelwatch.io.capture.CaptureRead` or the window reader."""

    rows: int = 0  # rows yielded in batches
    not_tabular: int = 0  # records with a BASE64 or missing payload
    misaligned: int = 0  # records whose output and input have different numbers of rows
    shadow_skipped: int = 0  # records of shadow-variant traffic
    records: int = 0  # records read inside the window, shadow ones included
    outside_window: int = 0  # records read but outside [start, end)
    torn_lines: int = 0  # torn last lines skipped
    first_skipped: dict[str, str] = field(default_factory=dict)  # kind -> "FILE, line N" of its first

    def skipped(self) -> int:
        """Records skipped for their content or form: not tabular, misaligned, torn last lines."""
        return self.not_tabular + self.misaligned + self.torn_lines

    def describe_skipped(self) -> str | None:
        """One line on the records skipped (None if none): how many of each kind, and where the first is."""
        kinds = [
            (self.not_tabular, "not tabular (BASE64, invalid JSON or missing payload)", "not_tabular"),
            (self.misaligned, "misaligned (output and input rows differ in number)", "misaligned"),
            (self.torn_lines, "torn last lines", "torn_lines"),
        ]
        parts = [
            f"{count} {what}" + (f", first at {self.first_skipped[key]}" if key in self.first_skipped else "")
            for count, what, key in kinds
            if count
        ]
        if not parts:
            return None
        total = self.skipped()
        return f"skipped {total} record{'s' if total != 1 else ''}: " + "; ".join(parts)

    def skip(self, kind: str, where: tuple[str, int] | None, why: str) -> None:
        """Count a record skipped for ``kind`` (``not_tabular`` or ``misaligned``); log the first few."""
        count = getattr(self, kind) + 1
        setattr(self, kind, count)
        if where is not None:
            self.first_skipped.setdefault(kind, f"{where[0]}, line {where[1]}")
        if count <= LOGGED_SKIPS:
            place = f"line {where[1]} of {where[0]}" if where is not None else "a record"
            log.warning("capture: skipped %s: %s", place, why)
            if count == LOGGED_SKIPS:
                log.warning("capture: more records skipped as %s are counted, not logged", kind)


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, str | None]:
    flat: dict[str, str | None] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = _scalar(value)
    return flat


def _not_tabular(payload: dict[str, Any] | None, index: str) -> str:
    """Why ``payload`` (the ``index`` one of a record) gave no rows."""
    if not payload:
        return f"no {index} payload"
    encoding = payload.get("encoding")
    if encoding == "JSON":
        return f"the {index} payload is not valid JSON"
    if encoding == "BASE64":
        return f"the {index} payload is BASE64, not tabular (a preprocessing script can read it)"
    return f"the {index} payload has encoding {encoding!r}, not CSV or JSON"


def _rows(payload: dict[str, Any] | None) -> list[list[tuple[str | None, str | None]]] | None:
    """The rows of one payload as (column name or None for positional, value) pairs; None if not tabular."""
    if not payload:
        return None
    encoding, data = payload.get("encoding"), payload.get("data", "")
    if encoding == "CSV":
        lines = [line for line in data.splitlines() if line.strip()]
        return [[(None, value) for value in row] for row in csv.reader(lines)]
    if encoding == "JSON":
        try:
            value = json.loads(data)
        except ValueError:
            return None
        if isinstance(value, dict):
            return [list(_flatten(value).items())]
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return [list(_flatten(v).items()) for v in value]
        if isinstance(value, list):
            return [[(None, _scalar(v)) for v in value]]
        return [[(None, _scalar(value))]]
    return None


def _record_rows(
    record: dict[str, Any],
    indexes: tuple[str, ...],
    counts: CaptureTable,
    where: tuple[str, int] | None = None,
) -> list[list[Any]]:
    data = record.get("captureData") or {}
    if not isinstance(data, dict):
        data = {}
    sides = [_rows(data.get(index)) for index in indexes]
    if any(side is None for side in sides):
        index = indexes[[side is None for side in sides].index(True)]
        counts.skip("not_tabular", where, _not_tabular(data.get(index), index))
        return []
    lengths = {len(side) for side in sides if side is not None}
    if len(lengths) > 1:
        rows = ", ".join(f"{index} {len(side or [])}" for index, side in zip(indexes, sides, strict=True))
        counts.skip("misaligned", where, f"output and input rows differ in number ({rows})")
        return []
    tables = [side for side in sides if side is not None]
    return [
        list(itertools.chain.from_iterable(side[i] for side in tables))
        for i in range(lengths.pop() if lengths else 0)
    ]


def _is_shadow(record: dict[str, Any]) -> bool:
    metadata = record.get("eventMetadata")
    return isinstance(metadata, dict) and metadata.get("invocationSource") == SHADOW_EXPERIMENT


def _batch(names: list[str], rows: list[list[str | None]]) -> pa.RecordBatch:
    columns = [pa.array([row[i] for row in rows], pa.string()) for i in range(len(names))]
    return pa.RecordBatch.from_arrays(columns, names=names)


@dataclass
class _Batcher:
    """Rows (Python lists or Arrow tables, in order) cut into batches of exactly ``batch_rows`` rows.

    ``names`` is fixed by the first tabular row; later rows with more values get their extras dropped
    and rows with fewer get nulls (columns are matched by position, as SageMaker does).
    """

    batch_rows: int
    counts: CaptureTable
    names: list[str] | None = None
    _rows: list[list[str | None]] = field(default_factory=list)
    _tables: list[pa.Table] = field(default_factory=list)
    _held: int = 0  # rows in _tables

    def fit(self, row: list[tuple[str | None, str | None]]) -> list[str | None]:
        if self.names is None:
            self.names = [key if key is not None else f"_c{i}" for i, (key, _) in enumerate(row)]
        values = [value for _, value in row][: len(self.names)]
        return values + [None] * (len(self.names) - len(values))

    def add_row(self, values: list[str | None]) -> Iterator[pa.RecordBatch]:
        self._rows.append(values)
        if self._held + len(self._rows) >= self.batch_rows:
            yield from self._flush(final=False)

    def add_table(self, table: pa.Table) -> Iterator[pa.RecordBatch]:
        """Add rows already fitted to ``names`` (which must be set and not empty)."""
        self._park()
        self._tables.append(table)
        self._held += table.num_rows
        if self._held >= self.batch_rows:
            yield from self._flush(final=False)

    def finish(self) -> Iterator[pa.RecordBatch]:
        yield from self._flush(final=True)

    def _park(self) -> None:
        if self._rows and self.names is not None:
            self._tables.append(pa.Table.from_batches([_batch(self.names, self._rows)]))
            self._held += len(self._rows)
            self._rows = []

    def _flush(self, *, final: bool) -> Iterator[pa.RecordBatch]:
        if not self._tables:
            if self._rows and self.names is not None:
                yield _batch(self.names, self._rows)
                self.counts.rows += len(self._rows)
                self._rows = []
            return
        self._park()
        table = pa.concat_tables(self._tables)
        whole = table.num_rows if final else table.num_rows - table.num_rows % self.batch_rows
        for offset in range(0, whole, self.batch_rows):
            piece = table.slice(offset, min(self.batch_rows, whole - offset))
            yield piece.combine_chunks().to_batches()[0]
            self.counts.rows += piece.num_rows
        rest = table.slice(whole)
        self._tables = [rest] if rest.num_rows else []
        self._held = rest.num_rows


def _add_records(
    records: Iterable[dict[str, Any]], indexes: tuple[str, ...], out: _Batcher, read: CaptureRead | None
) -> Iterator[pa.RecordBatch]:
    """Add ``records``; ``read``, when they come from one, tells the file and line of each."""
    for record in records:
        out.counts.records += 1
        if _is_shadow(record):
            out.counts.shadow_skipped += 1
            continue
        for row in _record_rows(record, indexes, out.counts, read.position if read is not None else None):
            yield from out.add_row(out.fit(row))


def capture_batches(
    records: Iterable[dict[str, Any]],
    *,
    indexes: tuple[str, ...] = CAPTURE_INDEXES,
    batch_rows: int = BATCH_ROWS,
    counts: CaptureTable | None = None,
) -> Iterator[pa.RecordBatch]:
    """Arrow batches of string columns built from capture records (see the module docstring).

    Columns are fixed by the first tabular record; later rows with more values get their extras
    dropped and rows with fewer get nulls (columns are matched by position, as SageMaker does).
    """
    out = _Batcher(batch_rows, counts if counts is not None else CaptureTable())
    yield from _add_records(records, indexes, out, records if isinstance(records, CaptureRead) else None)
    yield from out.finish()
    if isinstance(records, CaptureRead):
        out.counts.outside_window += records.outside_window
        out.counts.torn_lines += records.torn_lines


def capture_window_batches(
    files: list[str],
    start: datetime,
    end: datetime,
    *,
    indexes: tuple[str, ...] = CAPTURE_INDEXES,
    batch_rows: int = BATCH_ROWS,
    counts: CaptureTable | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[pa.RecordBatch]:
    """The batches of ``capture_batches(CaptureRead(files, start, end), ...)``, read file by file with
    Arrow (see the module docstring): the same rows in the same order, the same batches, the same
    counts and errors. Naive ``datetime`` arguments are taken as UTC.

    Raises:
        DataError: a malformed line before the last one of a file, a line longer than
            ``max_line_bytes``, or a record without a valid ``eventMetadata.inferenceTime``.
        StorageError: a file cannot be read.
    """
    start, end = utc(start), utc(end)
    out = _Batcher(batch_rows, counts if counts is not None else CaptureTable())
    cuts = ((uri, *_read_file(uri, start, end, indexes, max_line_bytes)) for uri in files)
    for uri, data, cut in prefetch(cuts):
        if cut is None:
            read = CaptureRead([uri], start, end, max_line_bytes=max_line_bytes)
            yield from _add_records(read.records_of(uri, io.BytesIO(data)), indexes, out, read)
            out.counts.outside_window += read.outside_window
            out.counts.torn_lines += read.torn_lines
        else:
            yield from _add_cut(cut, indexes, out)
    yield from out.finish()


# --- the fast path ----------------------------------------------------------------------------------

# What ``str.splitlines`` breaks on and what ``str.isspace`` holds (tests check both against Python).
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _re2_class(chars: Iterable[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(set(chars))) + "]"


_INLINE_SPACE = _re2_class(set(WHITESPACE) - set(LINE_BREAKS))
# Breaks other than \n, and \ufeff because Arrow drops a BOM that starts its input.
_BAD = _re2_class(set(LINE_BREAKS + "\ufeff") - {"\n"})
_BLANK = f"^{_INLINE_SPACE}*$"
_BLANK_LINE = f"(?:^|\\n){_INLINE_SPACE}*(?:\\n|$)"
# Lines whose quotes Python's csv and Arrow read alike: a field is quoted whole or has no leading quote.
_FIELD = '(?:"(?:[^"\\n]|"")*"|[^",\\n][^,\\n]*|)'
_CSV_LINES = f"^{_FIELD}(?:[,\\n]{_FIELD})*$"
_QUOTED_FIELD = '(^|,)"(?:[^"]|"")*"'
_PAYLOAD = pa.struct([("data", pa.string()), ("encoding", pa.string())])


@dataclass
class _Cut:
    """What the fast path makes of one file, before anything is counted."""

    uri: str
    records: int  # inside the window
    outside: int
    shadow: int
    torn_line: int | None  # number of a torn last line without its newline
    fast: pa.Table | None  # the rows of the fast records: string columns f0, f1, ...
    fast_keys: np.ndarray  # the record position of each fast row
    slow: list[tuple[int, dict[str, Any]]]  # (record position, record) for the reference code


def _json_schema(indexes: tuple[str, ...]) -> pa.Schema:
    payloads = [(name, _PAYLOAD) for name in dict.fromkeys(indexes)]
    metadata = [("inferenceTime", pa.string()), ("invocationSource", pa.string())]
    return pa.schema([("captureData", pa.struct(payloads)), ("eventMetadata", pa.struct(metadata))])


def _numpy(mask: pa.Array) -> np.ndarray:
    return np.asarray(mask.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _suspects(texts: pa.Array) -> np.ndarray:
    """Which texts hold a control byte, a quote or a non-ASCII byte: only those can hold a line break, a
    BOM or a quote, and they get the careful look."""
    suspects = np.zeros(len(texts), bool)
    if not len(texts):
        return suspects
    offsets = np.frombuffer(texts.buffers()[1], np.int32, len(texts) + 1, 4 * texts.offset)
    if offsets[-1] == offsets[0]:
        return suspects
    raw = np.frombuffer(texts.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    odd = np.flatnonzero(((raw - np.uint8(32)) >= 96) | (raw == ord('"'))) + offsets[0]
    suspects[np.searchsorted(offsets, odd, side="right") - 1] = True
    return suspects


def _careful_line_counts(texts: pa.Array) -> np.ndarray:
    ok = ~(
        _numpy(pc.match_substring_regex(texts, _BAD)) | _numpy(pc.match_substring_regex(texts, _BLANK_LINE))
    )
    ok &= _numpy(pc.match_substring_regex(texts, _CSV_LINES))
    lines = pc.count_substring(texts, "\n").to_numpy(zero_copy_only=False) + 1
    return np.where(ok, lines, 0)


def _csv_lines(payload: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The CSV text of each payload without its trailing newlines, and its number of lines where the
    fast path reads it exactly as :func:`_rows` does (else 0)."""
    data = pc.struct_field(payload, "data")
    texts = pc.utf8_rtrim(data, characters="\n")
    usable = _numpy(pc.equal(pc.struct_field(payload, "encoding"), "CSV")) & _numpy(pc.is_valid(data))
    usable &= _numpy(pc.less_equal(pc.binary_length(texts), csv.field_size_limit()))
    suspect = _suspects(texts)
    blank = _numpy(pc.match_substring_regex(texts, _BLANK))
    lines = np.where(usable & ~suspect & ~blank, 1, 0)
    careful = np.flatnonzero(usable & suspect)
    if careful.size:
        lines[careful] = _careful_line_counts(texts.take(pa.array(careful)))
    return texts, lines


def _field_counts(lines: pa.Array) -> np.ndarray:
    """Fields per CSV line (lines that passed ``_CSV_LINES``): commas outside quoted fields, plus one."""
    unquoted = pc.replace_substring_regex(lines, _QUOTED_FIELD, "\\1")
    return np.asarray(pc.count_substring(unquoted, ",").to_numpy(zero_copy_only=False)) + 1


def _joined_lines(texts: list[pa.Array], lines: np.ndarray, keys: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The ``output,input`` CSV lines of the fast records, and the record position of each line."""
    if lines.size and lines.max() > 1:
        parts = [pc.split_pattern(text, "\n") for text in texts]
        keys = keys[np.asarray(pc.list_parent_indices(parts[0]).to_numpy(zero_copy_only=False))]
        texts = [pc.list_flatten(part) for part in parts]
    joined = pc.binary_join_element_wise(*texts, ",") if len(texts) > 1 else texts[0]
    return joined, keys


def _parse_csv(joined: pa.Array) -> pa.Table | None:
    """All lines parsed at once into string columns; None if their numbers of fields differ."""
    width = len(next(csv.reader([joined[0].as_py()])))
    text = pc.binary_join_element_wise(joined, "", "\n")
    offsets = np.frombuffer(text.buffers()[1], np.int32, len(text) + 1, 4 * text.offset)
    buffer = text.buffers()[2][int(offsets[0]) : int(offsets[-1])]
    ragged: list[object] = []

    def invalid(row: object) -> str:
        ragged.append(row)
        return "skip"

    longest = int(pc.max(pc.binary_length(text)).as_py())
    table = pcsv.read_csv(
        pa.BufferReader(buffer),
        read_options=pcsv.ReadOptions(autogenerate_column_names=True, block_size=max(1 << 20, 2 * longest)),
        parse_options=pcsv.ParseOptions(invalid_row_handler=invalid),
        convert_options=pcsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(width)}),
    )
    return None if ragged or table.num_rows != len(joined) else table


def _fast_rows(
    texts: list[pa.Array], lines: np.ndarray, keys: np.ndarray
) -> tuple[pa.Table | None, np.ndarray, np.ndarray]:
    """The rows of the fast records, their record positions, and the records sent back to the reference
    code because one of their lines has another number of fields than most lines."""
    if not keys.size:
        return None, keys, keys
    joined, line_keys = _joined_lines(texts, lines, keys)
    table = _parse_csv(joined)
    if table is not None:
        return table, line_keys, keys[:0]
    widths = _field_counts(joined)
    demoted = np.unique(line_keys[widths != np.bincount(widths).argmax()])
    staying = ~np.isin(keys, demoted)
    if not staying.any():
        return None, keys[:0], demoted
    texts = [text.filter(pa.array(staying)) for text in texts]
    joined, line_keys = _joined_lines(texts, lines[staying], keys[staying])
    table = _parse_csv(joined)
    if table is None:  # not expected: then every record takes the reference code
        return None, keys[:0], keys
    return table, line_keys, demoted


def _read_file(
    uri: str, start: datetime, end: datetime, indexes: tuple[str, ...], max_line_bytes: int
) -> tuple[bytes, _Cut | None]:
    """A file's bytes and what the fast path makes of them (in the prefetch thread: counts nothing)."""
    data = read_bytes(uri)
    check_line_lengths(uri, data, max_line_bytes)
    return data, _cut_file(uri, data, start, end, indexes) if indexes else None


def _cut_file(uri: str, data: bytes, start: datetime, end: datetime, indexes: tuple[str, ...]) -> _Cut | None:
    """Read one file the fast way; None where the reference reader must read it."""
    head, torn = whole_lines(data)
    read = json_lines(head, _json_schema(indexes)) if head else None
    if read is None:
        return None
    table = read[0]
    window = capture_window(table.column("eventMetadata").combine_chunks(), start, end)
    if window is None:
        return None
    keys = np.flatnonzero(window.keep)
    captured = table.column("captureData").combine_chunks()
    payloads = [pc.struct_field(captured, name).take(pa.array(keys)) for name in indexes]
    sides = [_csv_lines(payload) for payload in payloads]
    lines = sides[0][1]
    for _, other in sides[1:]:
        lines = np.where(other == lines, lines, 0)
    fast = lines > 0
    mask = pa.array(fast)
    rows, fast_keys, demoted = _fast_rows([t.filter(mask) for t, _ in sides], lines[fast], keys[fast])
    slow = _slow_records(head, np.union1d(keys[~fast], demoted))
    if slow is None:
        return None
    records = int(window.inside.sum())
    return _Cut(uri, records, window.outside, int(window.shadow.sum()), torn, rows, fast_keys, slow)


def _slow_records(head: bytes, positions: np.ndarray) -> list[tuple[int, dict[str, Any]]] | None:
    if not positions.size:
        return []
    lines = head.split(b"\n")
    try:
        records = [(int(p), json.loads(lines[p])) for p in positions]
    except (ValueError, RecursionError):
        return None
    return records if all(isinstance(r, dict) for _, r in records) else None


def _fitted(table: pa.Table, names: list[str]) -> pa.Table:
    columns = table.columns[: len(names)]
    columns += [pa.chunked_array([pa.nulls(table.num_rows, pa.string())])] * (len(names) - len(columns))
    return pa.Table.from_arrays(columns, names=names)


def _add_cut(cut: _Cut, indexes: tuple[str, ...], out: _Batcher) -> Iterator[pa.RecordBatch]:
    counts = out.counts
    counts.records += cut.records
    counts.outside_window += cut.outside
    counts.shadow_skipped += cut.shadow
    if cut.torn_line is not None:
        counts.torn_lines += 1
        log_torn_line(cut.uri, cut.torn_line, "no final newline")
    positional = [f"_c{i}" for i in range(cut.fast.num_columns)] if cut.fast is not None else None
    first_fast = int(cut.fast_keys[0]) if cut.fast_keys.size else None
    slow_rows: list[list[str | None]] = []
    slow_keys: list[int] = []
    for position, record in cut.slow:
        if out.names is None and first_fast is not None and first_fast < position:
            out.names = positional
        for row in _record_rows(record, indexes, counts, (cut.uri, position + 1)):
            slow_rows.append(out.fit(row))
            slow_keys.append(position)
    if out.names is None:
        out.names = positional
    if not out.names:  # no tabular row yet, or rows of no column (a first JSON payload ``{}``)
        for _ in range(len(slow_rows) + (cut.fast.num_rows if cut.fast is not None else 0)):
            yield from out.add_row([])
        return
    parts = [_fitted(cut.fast, out.names)] if cut.fast is not None else []
    if slow_rows:
        parts.append(pa.Table.from_batches([_batch(out.names, slow_rows)]))
    if not parts:
        return
    table = pa.concat_tables(parts)
    if slow_rows and cut.fast is not None:
        order = np.argsort(np.concatenate([cut.fast_keys, np.asarray(slow_keys)]), kind="stable")
        table = table.take(pa.array(order))
    yield from out.add_table(table)
