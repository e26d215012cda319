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
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from modelwatch.errors import DataError
from modelwatch.io._prefetch import prefetch
from modelwatch.io._streams import open_stream

__all__ = ["CHUNK_BYTES", "csv_batches", "csv_header", "safe_header"]

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


def _chunks(stream: pa.NativeFile, first: bytes) -> Iterator[bytes]:
    """The stream's bytes (starting with ``first``) in chunks that end at a line break."""
    pending = first
    while True:
        data = stream.read(CHUNK_BYTES)
        if not data:
            if pending:
                yield pending
            return
        buffer = pending + data if pending else data
        cut = buffer.rfind(b"\n")
        if cut < 0:
            pending = buffer
            continue
        pending = buffer[cut + 1 :]
        yield buffer[: cut + 1]


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


def _parse_chunk(chunk: bytes, first_line: int, columns: list[str], file: str) -> pa.Table:
    read, parse, convert = _options(columns)
    try:
        return pacsv.read_csv(
            pa.py_buffer(chunk), read_options=read, parse_options=parse, convert_options=convert
        )
    except pa.ArrowException as exc:
        raise _locate_error(chunk, first_line, columns, file, exc) from exc


def _tables(chunks: Iterator[bytes], first_line: int, columns: list[str], file: str) -> Iterator[pa.Table]:
    for chunk in chunks:
        yield _parse_chunk(chunk, first_line, columns, file)
        first_line += chunk.count(b"\n")


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
        tables = _tables(_chunks(stream, first), line_no + 1 if header else line_no, columns, file)
        with contextlib.closing(prefetch(tables)) as parsed:
            for table in parsed:
                for batch in table.to_batches():
                    if batch.num_rows:
                        yield pa.RecordBatch.from_arrays(batch.columns, names=columns)
