"""CSV files as Arrow record batches of strings, read in parallel chunks of whole lines.

Records are physical lines, as Spark reads CSV by default (``multiLine=false``). The file is cut
into chunks of whole lines (``CHUNK_BYTES``) and each chunk is parsed by ``pyarrow.csv.read_csv``
with threads, which keeps throughput close to one ``read_csv`` of the whole file while memory stays
bounded by the chunk. Knowing where each chunk starts also lets an error name its exact line.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from modelwatch.errors import DataError
from modelwatch.io._prefetch import prefetch
from modelwatch.io._streams import open_random_access, open_stream

__all__ = [
    "CHUNK_BYTES",
    "csv_batches",
    "csv_header",
    "csv_range_batches",
    "line_starts",
    "safe_header",
]

CHUNK_BYTES = 16 * 1024 * 1024
_BLOCK_BYTES = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_INVALID_UTF8 = re.compile("[\udc80-\udcff]")


def safe_header(names: list[str]) -> list[str]:
    """Spark's fix for bad header names: empty → ``_c{i}``, duplicates (any case) → name + position."""
    lowered = [n.lower() for n in names if n]
    duplicates = {n for n in lowered if lowered.count(n) > 1}
    fixed = [
        f"_c{i}" if not name else f"{name}{i}" if name.lower() in duplicates else name
        for i, name in enumerate(names)
    ]
    if len(set(fixed)) != len(fixed):
        clash = sorted({n for n in fixed if fixed.count(n) > 1})
        raise DataError(f"header names {clash} still clash after Spark's renaming; rename those columns")
    return fixed


def _split_line(raw: bytes) -> list[str]:
    """The fields of one physical line, invalid UTF-8 bytes kept as surrogates."""
    text = raw.rstrip(b"\r").decode("utf-8", errors="surrogateescape")
    return next(csv.reader([text], doublequote=True, quotechar='"', strict=False), [])


def _first_line(stream: pa.NativeFile, file: str) -> tuple[bytes | None, int, bytes]:
    """The first non-blank line (BOM removed), its 1-based number and the bytes read after it."""
    pending = b""
    line_no = 1
    first = True
    while True:
        cut = pending.find(b"\n")
        if cut < 0:
            data = stream.read(_BLOCK_BYTES)
            if not data:
                line = pending.rstrip(b"\r")
                return (line or None), line_no, b""
            pending += data
            if first and pending.startswith(_BOM):
                pending = pending[len(_BOM) :]
            first = False
            continue
        line, pending = pending[:cut].rstrip(b"\r"), pending[cut + 1 :]
        if line:
            return line, line_no, pending
        line_no += 1


def _header_fields(line: bytes, file: str, line_no: int) -> list[str]:
    fields = _split_line(line)
    for index, value in enumerate(fields):
        if _INVALID_UTF8.search(value):
            raise DataError("invalid UTF-8 in the first line", file=file, line=line_no, column=f"_c{index}")
    return fields


def csv_header(file: str, header: bool) -> list[str] | None:
    """The column names of ``file``: its fixed header, or ``_c0``… by count; None for an empty file."""
    with open_stream(file) as stream:
        line, line_no, _ = _first_line(stream, file)
    if line is None:
        return None
    fields = _header_fields(line, file, line_no)
    return safe_header(fields) if header else [f"_c{i}" for i in range(len(fields))]


def _fill(stream: pa.NativeFile, view: memoryview) -> int:
    """Read into ``view`` until it is full or the stream ends; the number of bytes read."""
    got = 0
    while got < len(view):
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _last_newline(view: memoryview, end: int) -> int:
    """The index of the last ``\\n`` in ``view[:end]``, or -1; looks back in small windows."""
    window = 1 << 16
    while end > 0:
        start = max(0, end - window)
        found = bytes(view[start:end]).rfind(b"\n")
        if found >= 0:
            return start + found
        end = start
        window *= 2
    return -1


def _chunks(stream: pa.NativeFile, first: bytes) -> Iterator[pa.Buffer]:
    """The stream's bytes (starting with ``first``) in chunks that end at a line break.

    Each chunk is read straight into a fresh Arrow buffer (one copy); only the partial last line
    is copied again, to the start of the next chunk.
    """
    tail = first
    while True:
        buffer = pa.allocate_buffer(CHUNK_BYTES + len(tail))
        view = memoryview(buffer).cast("B")
        view[: len(tail)] = tail
        end = len(tail) + _fill(stream, view[len(tail) :])
        if end == len(tail):
            if tail:
                yield buffer.slice(0, end)
            return
        cut = _last_newline(view, end)
        tail = bytes(view[cut + 1 : end])
        if cut >= 0:
            yield buffer.slice(0, cut + 1)


def _options(columns: list[str]) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    internal = [f"f{i}" for i in range(len(columns))]
    read = pacsv.ReadOptions(column_names=internal, block_size=_BLOCK_BYTES, use_threads=True)
    parse = pacsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, escape_char=False)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(internal, pa.string()),
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        check_utf8=True,
    )
    return read, parse, convert


def _locate_error(chunk: bytes, first_line: int, columns: list[str], file: str, exc: Exception) -> DataError:
    """The exact line and reason of a parse failure inside ``chunk`` (which starts at ``first_line``)."""
    expected = len(columns)
    for offset, raw in enumerate(chunk.split(b"\n")):
        if not raw.rstrip(b"\r"):
            continue
        line = first_line + offset
        try:
            fields = _split_line(raw)
        except csv.Error as err:
            return DataError(f"malformed CSV: {err}", file=file, line=line)
        if len(fields) != expected:
            hint = " (a quoted value spanning lines is not supported)" if raw.count(b'"') % 2 else ""
            return DataError(f"expected {expected} fields, found {len(fields)}{hint}", file=file, line=line)
        for index, value in enumerate(fields):
            if _INVALID_UTF8.search(value):
                return DataError("invalid UTF-8", file=file, line=line, column=columns[index])
    last = first_line + chunk.count(b"\n")
    return DataError(f"cannot parse CSV between lines {first_line} and {last}: {exc}", file=file)


def _line_at(file: str, header: bool, offset: int) -> int:
    """The 1-based line number at byte ``offset`` of ``file``'s data (read again: errors only)."""
    with open_stream(file) as stream:
        start = _data_start(stream, file, header)
        if start is None:
            return 1
        line, data = start
        while offset > 0 and data:
            line += data.count(b"\n", 0, offset)
            offset -= len(data)
            data = stream.read(CHUNK_BYTES)
        return line


def _line_of_byte(file: str, position: int) -> int:
    """The 1-based line number of the line that starts at byte ``position`` (read again: errors only)."""
    line = 1
    with open_stream(file) as stream:
        while position > 0:
            data = stream.read(min(CHUNK_BYTES, position))
            if not data:
                break
            line += data.count(b"\n")
            position -= len(data)
    return line


def _tables(
    stream: pa.NativeFile, first: bytes, columns: list[str], file: str, line_of: Callable[[int], int]
) -> Iterator[pa.Table]:
    """Each chunk of the stream parsed into a table of strings; errors name their exact line.

    ``line_of(offset)`` gives the line number at a byte offset of the data (``first`` starts at 0).
    """
    read, parse, convert = _options(columns)
    offset = 0
    for chunk in _chunks(stream, first):
        try:
            table = pacsv.read_csv(
                pa.BufferReader(chunk), read_options=read, parse_options=parse, convert_options=convert
            )
        except pa.ArrowException as exc:
            raise _locate_error(chunk.to_pybytes(), line_of(offset), columns, file, exc) from exc
        yield table.combine_chunks()
        offset += chunk.size


def _data_start(stream: pa.NativeFile, file: str, header: bool) -> tuple[int, bytes] | None:
    """The line number of the first data line and the bytes from it on already read; None if empty."""
    line, line_no, rest = _first_line(stream, file)
    if line is None:
        return None
    return (line_no + 1, rest) if header else (line_no, line + b"\n" + rest)


def csv_batches(file: str, columns: list[str], header: bool) -> Iterator[pa.RecordBatch]:
    """The rows of ``file`` as batches of string columns named ``columns`` (matched by position)."""
    with open_stream(file) as stream:
        line, line_no, rest = _first_line(stream, file)
        if line is None:
            return
        found = len(_header_fields(line, file, line_no))
        if found != len(columns):
            raise DataError(
                f"expected {len(columns)} fields, found {found} (all files must have the same columns)",
                file=file,
                line=line_no,
            )
        first = rest if header else line + b"\n" + rest
        tables = _tables(stream, first, columns, file, lambda offset: _line_at(file, header, offset))
        yield from _batches(tables, columns)


def _batches(tables: Iterator[pa.Table], columns: list[str]) -> Iterator[pa.RecordBatch]:
    with contextlib.closing(prefetch(tables)) as parsed:
        for table in parsed:
            for batch in table.to_batches():
                if batch.num_rows:
                    yield pa.RecordBatch.from_arrays(batch.columns, names=columns)


class _Window:
    """``length`` bytes of a file from ``start``, as the small stream interface ``_chunks`` uses."""

    def __init__(self, raw: pa.NativeFile, start: int, length: int) -> None:
        raw.seek(start)
        self._raw, self._left = raw, length

    def read(self, size: int) -> bytes:
        data = self._raw.read(min(size, self._left))
        self._left -= len(data)
        return data

    def readinto(self, view: memoryview) -> int:
        if self._left <= 0:
            return 0
        got = self._raw.readinto(view[: min(len(view), self._left)])
        self._left -= got
        return got


def line_starts(file: str, positions: list[int]) -> list[int]:
    """For each byte position, where the first line starting at or after it begins (uncompressed local
    files only). Used to cut a large file into parts of whole lines."""
    found = []
    with open_random_access(file) as raw:
        size = raw.size()
        for position in positions:
            if position <= 0 or position >= size:
                found.append(min(max(position, 0), size))
                continue
            raw.seek(position - 1)
            skipped = 0
            while True:
                block = raw.read(_BLOCK_BYTES)
                cut = block.find(b"\n")
                if cut >= 0 or not block:
                    found.append(min(position - 1 + skipped + (cut + 1 if cut >= 0 else len(block)), size))
                    break
                skipped += len(block)
    return found


def csv_range_batches(file: str, columns: list[str], start: int, end: int) -> Iterator[pa.RecordBatch]:
    """The rows of the lines of ``file`` in bytes ``[start, end)``, where ``start`` > 0 begins a line and
    ``end`` ends one (see :func:`line_starts`): one part of a file split across workers."""
    with open_random_access(file) as raw:
        window = _Window(raw, start, end - start)
        tables = _tables(window, b"", columns, file, lambda offset: _line_of_byte(file, start + offset))
        yield from _batches(tables, columns)
