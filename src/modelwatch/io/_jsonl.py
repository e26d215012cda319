"""JSON Lines files as Arrow record batches: nested objects flattened to ``a.b``, lists as JSON text.

The fast path is ``pyarrow.json.open_json``. When it cannot read a file (a key whose values mix
types, such as ``1`` and ``"x"``, a key that appears only after the first block, a malformed line),
the file is read again by a slower exact path in Python, which either names the bad line or reads
the mixed column as strings. Rows already yielded by the fast path are not yielded twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.json as pajson

from modelwatch.errors import DataError
from modelwatch.io._streams import open_stream

__all__ = ["json_batches", "json_columns"]

_BLOCK_BYTES = 8 * 1024 * 1024
_LINE_BYTES = 1024 * 1024


# ----------------------------------------------------------------------------------- fast path


def _without_timestamps(schema: pa.Schema) -> pa.Schema | None:
    """``schema`` with inferred timestamps turned back into strings, or None when it has none."""

    def fix(dtype: pa.DataType) -> pa.DataType:
        if pa.types.is_timestamp(dtype):
            return pa.string()
        if pa.types.is_struct(dtype):
            return pa.struct([pa.field(f.name, fix(f.type)) for f in dtype])
        if pa.types.is_list(dtype):
            return pa.list_(fix(dtype.value_type))
        return dtype

    fixed = pa.schema([pa.field(f.name, fix(f.type)) for f in schema])
    return None if fixed.equals(schema) else fixed


def _open_json(file: str, schema: pa.Schema | None = None) -> Any:
    read = pajson.ReadOptions(block_size=_BLOCK_BYTES, use_threads=True)
    parse = pajson.ParseOptions(explicit_schema=schema, newlines_in_values=False)
    return pajson.open_json(open_stream(file), read_options=read, parse_options=parse)


def _open_reader(file: str) -> Any:
    """A streaming reader for ``file`` whose string columns stay strings (no timestamp inference)."""
    reader = _open_json(file)
    fixed = _without_timestamps(reader.schema)
    if fixed is None:
        return reader
    reader.close()
    return _open_json(file, fixed)


def _as_json_text(array: pa.Array) -> pa.Array:
    return pa.array(
        [
            None if v is None else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
            for v in array.to_pylist()
        ],
        type=pa.string(),
    )


def _flatten(name: str, array: pa.Array, out: dict[str, pa.Array]) -> None:
    dtype = array.type
    if pa.types.is_struct(dtype):
        for field, child in zip(dtype, array.flatten(), strict=True):
            _flatten(f"{name}.{field.name}", child, out)
    elif pa.types.is_list(dtype) or pa.types.is_large_list(dtype) or pa.types.is_map(dtype):
        out[name] = _as_json_text(array)
    elif pa.types.is_timestamp(dtype):
        out[name] = array.cast(pa.string())
    else:
        out[name] = array


def flatten_batch(batch: pa.RecordBatch) -> dict[str, pa.Array]:
    """The columns of ``batch`` with nested structs flattened to dotted names."""
    out: dict[str, pa.Array] = {}
    for field, column in zip(batch.schema, batch.columns, strict=True):
        _flatten(field.name, column, out)
    return out


class _Mismatch(Exception):
    """The fast path met a column that the dataset does not have; the slow path names the line."""


def _conform(columns: dict[str, pa.Array], names: list[str], rows: int) -> pa.RecordBatch:
    if not set(columns) <= set(names):
        raise _Mismatch
    arrays = [columns[n] if n in columns else pa.nulls(rows) for n in names]
    return pa.RecordBatch.from_arrays(arrays, names=names)


# ----------------------------------------------------------------------------------- slow path


def _flat_record(value: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            _flat_record(item, f"{name}.", out)
        elif isinstance(item, list | dict):
            out[name] = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
        else:
            out[name] = item


def _records(file: str) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """Each object of ``file`` flattened, with its 1-based line number and the bytes read so far.

    Bad lines raise DataError.
    """
    with open_stream(file) as stream:
        pending = b""
        line_no = 0
        offset = 0
        while True:
            data = stream.read(_LINE_BYTES)
            pending += data
            lines = pending.split(b"\n")
            pending = lines.pop() if data else b""
            for raw in lines:
                line_no += 1
                offset += len(raw) + 1
                if raw.strip():
                    yield line_no, offset, _parse_line(raw, file, line_no)
            if not data:
                return


def _parse_line(raw: bytes, file: str, line_no: int) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"invalid UTF-8 at byte {exc.start} of the line", file=file, line=line_no) from exc
    except json.JSONDecodeError as exc:
        raise DataError(
            f"malformed JSON: {exc.msg} at character {exc.pos + 1}", file=file, line=line_no
        ) from exc
    if not isinstance(value, dict):
        raise DataError(f"expected a JSON object, found {type(value).__name__}", file=file, line=line_no)
    out: dict[str, Any] = {}
    _flat_record(value, "", out)
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -(2**63) <= value < 2**63 else "float"
    return "float" if isinstance(value, float) else "str"


_TYPES = {
    frozenset(): pa.null(),
    frozenset({"bool"}): pa.bool_(),
    frozenset({"int"}): pa.int64(),
    frozenset({"float"}): pa.float64(),
    frozenset({"int", "float"}): pa.float64(),
}


def _scan_types(file: str, names: list[str]) -> dict[str, pa.DataType]:
    """First pass of the slow path: check every line and choose one type per column."""
    kinds: dict[str, set[str]] = {n: set() for n in names}
    for line_no, _, record in _records(file):
        for key, value in record.items():
            if key not in kinds:
                raise DataError(
                    f"key {key!r} is not among the dataset's columns, which come from the first records "
                    f"of the first file ({', '.join(names)}); put every key in the first records",
                    file=file,
                    line=line_no,
                )
            kinds[key].add(_kind(value))
    return {n: _TYPES.get(frozenset(kinds[n] - {"null"}), pa.string()) for n in names}


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _build(rows: list[dict[str, Any]], types: dict[str, pa.DataType]) -> pa.RecordBatch:
    arrays = []
    for name, dtype in types.items():
        values = [row.get(name) for row in rows]
        if pa.types.is_string(dtype):
            values = [_as_text(v) for v in values]
        elif pa.types.is_floating(dtype):
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=dtype))
    return pa.RecordBatch.from_arrays(arrays, names=list(types))


def _slow_batches(file: str, names: list[str], skip: int, batch_rows: int) -> Iterator[pa.RecordBatch]:
    types = _scan_types(file, names)
    rows: list[dict[str, Any]] = []
    for index, (_, _, record) in enumerate(_records(file)):
        if index < skip:
            continue
        rows.append(record)
        if len(rows) == batch_rows:
            yield _build(rows, types)
            rows = []
    if rows:
        yield _build(rows, types)


def _slow_columns(file: str) -> list[str] | None:
    """The keys of the records in the first block of ``file``, in order of appearance."""
    keys: dict[str, None] = {}
    for _, offset, record in _records(file):
        keys.update(dict.fromkeys(record))
        if offset >= _BLOCK_BYTES:
            break
    return list(keys) or None


# ----------------------------------------------------------------------------------- public


def json_columns(file: str) -> list[str] | None:
    """The flattened column names of ``file``'s first block of records; None for an empty file."""
    try:
        reader = _open_reader(file)
    except pa.ArrowException:
        return _slow_columns(file)
    with reader:
        for batch in reader:
            if batch.num_rows:
                return list(flatten_batch(batch))
    return None


def json_batches(file: str, names: list[str], batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The records of ``file`` as batches with columns ``names`` (matched by key, missing keys null)."""
    done = 0
    try:
        with _open_reader(file) as reader:
            for batch in reader:
                if batch.num_rows:
                    batch.validate(full=True)  # pyarrow lets invalid UTF-8 through; the slow path names it
                    out = _conform(flatten_batch(batch), names, batch.num_rows)
                    yield out
                    done += out.num_rows
        return
    except (pa.ArrowException, _Mismatch):
        pass
    yield from _slow_batches(file, names, done, batch_rows)
