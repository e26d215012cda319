"""One field of captured payloads: SageMaker's ``inference_attribute`` / ``probability_attribute``.

In model-quality monitoring an attribute locates the prediction (or its probability) inside the
``endpointOutput`` payload of each record (spec 5.1):

* a **column index** (``"0"``, ``"1"``, ...) picks that field of a ``CSV`` payload (``"0.83"`` or
  ``"1,0.83"``); the payload must hold one line (a trailing newline is ignored);
* a **JSONPath** picks a value of a ``JSON`` payload: ``$``, then ``.name``, ``['name']`` or ``[k]``
  steps (``$.predictions[0].score``); a path without ``$`` starts at the root (``predicted_label``,
  ``predictions[0].score``). Wildcards, slices, filters and ``..`` are not supported;
* a ``BASE64`` payload is decoded (it must be UTF-8 text) and read as CSV for a column index, as JSON
  for a JSONPath.

The value comes back as a string, the label's form in ground truth: a CSV field with surrounding
whitespace removed; a JSON string as it is; a JSON number or boolean as Arrow casts it to a string
(``1`` and ``1.0`` give ``"1"``, ``0.5`` gives ``"0.5"``, ``true`` gives ``"true"``). A missing value,
``null``, an object or a list is an error naming the record (its event id when given) and the
attribute.

Both payload forms are read vectorised: CSV payloads without quotes are split with
``pyarrow.compute``; JSON payloads are each wrapped as ``{"v":payload}`` and parsed at once by
``pyarrow.json`` (:func:`json_objects`). Payloads that the fast path cannot read exactly as ``csv`` /
``json.loads`` would (quoted CSV, JSON whose types differ between records, invalid JSON) go through a
per-record reference path that gives the same strings.
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from modelwatch.errors import ConfigurationError, DataError

__all__ = [
    "FieldPath",
    "extract_field",
    "joined_bytes",
    "json_objects",
    "json_string",
    "parse_attribute",
    "true_mask",
]

_JSON_BLOCK = 1 << 20
_INT64 = (-(2**63), 2**63 - 1)
_STEP = re.compile(r"""\.([^.\[\]'"$*?@()]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]""")
_CONTROL = "[\\x00-\\x1f]"


@dataclass(frozen=True)
class FieldPath:
    """A parsed attribute: a CSV column index, or the steps of a JSONPath (names and list indexes)."""

    attribute: str
    column: int | None = None
    steps: tuple[str | int, ...] = ()

    @property
    def is_column(self) -> bool:
        return self.column is not None


def parse_attribute(attribute: str) -> FieldPath:
    """Parse an attribute (see the module docstring).

    Raises:
        ConfigurationError: the attribute is empty or uses JSONPath syntax that is not supported.
    """
    text = attribute.strip()
    if not text:
        raise ConfigurationError("attribute is empty: give a CSV column index like '0' or a JSONPath")
    if text.isdigit():
        return FieldPath(attribute, column=int(text))
    path = text[1:] if text.startswith("$") else "." + text
    steps: list[str | int] = []
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise ConfigurationError(
                f"attribute {attribute!r}: unsupported JSONPath at {path[position:]!r} "
                "(use $.name, ['name'] and [index] steps)"
            )
        name, index, single, double = match.groups()
        steps.append(
            int(index) if index is not None else next(s for s in (name, single, double) if s is not None)
        )
        position = match.end()
    return FieldPath(attribute, steps=tuple(steps))


# --- shared Arrow helpers -----------------------------------------------------------------------------


def json_objects(
    data: bytes | pa.Buffer, rows: int, *, schema: pa.Schema | None = None, multiline: bool = False
) -> pa.Table | None:
    """``rows`` JSON objects of ``data`` parsed by ``pyarrow.json``; None when it fails or finds another
    number of objects (the caller then reads the text another way).

    With a ``schema`` only its fields are read (others ignored) and a value of another type fails. With
    ``multiline`` an object may span lines (slower: blocks cannot be split at newlines).
    """
    options = pj.ParseOptions(
        explicit_schema=schema,
        unexpected_field_behavior="ignore" if schema is not None else "infer",
        newlines_in_values=multiline,
    )
    size = len(data) if isinstance(data, bytes) else data.size
    for block in (_JSON_BLOCK, size + 1):
        try:
            table = pj.read_json(
                pa.BufferReader(data), read_options=pj.ReadOptions(block_size=block), parse_options=options
            )
        except pa.ArrowException as error:
            if "straddling" in str(error) and block == _JSON_BLOCK:
                continue  # an object longer than a block: read the data as one block
            return None
        return table if table.num_rows == rows else None
    return None


def json_string(texts: pa.Array) -> pa.Array:
    """Each string as a JSON string literal (quotes included; compact, non-ASCII kept), vectorised.

    Strings holding a control character are encoded by ``json.dumps`` (rare in labels and payloads).
    """
    texts = texts.cast(pa.string())
    escaped = pc.replace_substring(pc.replace_substring(texts, "\\", "\\\\"), '"', '\\"')
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    control = true_mask(pc.match_substring_regex(texts, _CONTROL))
    if control.any():
        rows = np.flatnonzero(control)
        special = [json.dumps(value, ensure_ascii=False) for value in texts.take(pa.array(rows)).to_pylist()]
        quoted = _put(quoted, rows, pa.array(special, pa.string()))
    return quoted


def true_mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy, nulls as False."""
    return np.asarray(values.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _put(target: pa.Array, rows: np.ndarray, values: pa.Array) -> pa.Array:
    """``target`` with ``target[rows] = values`` (``rows`` ascending)."""
    mask = np.zeros(len(target), bool)
    mask[rows] = True
    return pc.replace_with_mask(target, pa.array(mask), values.cast(target.type))


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


# --- extraction -----------------------------------------------------------------------------------------


@dataclass
class _Found:
    """Values found so far (strings, null where not found) and the reason for each failed row."""

    values: pa.Array
    reasons: dict[int, str]

    def fail(self, rows: np.ndarray | Sequence[int], reason: str) -> None:
        for row in rows:
            self.reasons.setdefault(int(row), reason)


def extract_field(
    data: pa.Array | pa.ChunkedArray,
    encoding: pa.Array | pa.ChunkedArray | str,
    attribute: str | FieldPath,
    *,
    ids: pa.Array | pa.ChunkedArray | None = None,
    on_error: Literal["raise", "null"] = "raise",
    source: str | None = None,
) -> pa.Array:
    """The value of ``attribute`` in each payload of ``data`` (strings; see the module docstring).

    ``encoding`` is each payload's ``"CSV"``, ``"JSON"`` or ``"BASE64"`` (an array, or one value for
    all). ``ids`` (the records' event ids) name the records in errors, else their positions do. With
    ``on_error="null"`` a payload without the value gives null instead of an error.

    Raises:
        ConfigurationError: the attribute is not a column index or a supported JSONPath.
        DataError: a payload lacks the value (``on_error="raise"``); the message names the first such
            record, the reason and the attribute, and counts the others. ``column`` is the attribute,
            ``file`` is ``source``.
    """
    path = attribute if isinstance(attribute, FieldPath) else parse_attribute(attribute)
    texts = _array(data).cast(pa.string())
    n = len(texts)
    if isinstance(encoding, str):
        encodings = pa.repeat(encoding.upper(), n).cast(pa.string())
    else:
        encodings = pc.utf8_upper(_array(encoding).cast(pa.string()))
    found = _Found(pa.nulls(n, pa.string()), {})
    found.fail(np.flatnonzero(~true_mask(pc.is_valid(texts))), "no payload")
    base64_rows = np.flatnonzero(true_mask(pc.equal(encodings, "BASE64")) & true_mask(pc.is_valid(texts)))
    if base64_rows.size:
        texts = _decode_base64(texts, base64_rows, found)
    kind = "CSV" if path.is_column else "JSON"
    wanted = true_mask(pc.equal(encodings, kind)) | true_mask(pc.equal(encodings, "BASE64"))
    wanted &= true_mask(pc.is_valid(texts))
    other = ~wanted & true_mask(pc.is_valid(encodings)) & true_mask(pc.is_valid(texts))
    if other.any():
        what = "a column index applies to CSV payloads" if path.is_column else "a JSONPath applies to JSON"
        for name in pc.unique(encodings.filter(pa.array(other))).to_pylist():
            rows_of = np.flatnonzero(other & true_mask(pc.equal(encodings, name)))
            found.fail(rows_of, f"{what}, not to {name} payloads")
    found.fail(np.flatnonzero(~true_mask(pc.is_valid(encodings))), "payload has no encoding")
    rows = np.flatnonzero(wanted)
    rows = rows[~np.isin(rows, np.fromiter(found.reasons, np.int64, len(found.reasons)))]
    if rows.size:
        subset = texts.take(pa.array(rows))
        if path.is_column:
            assert path.column is not None
            values = _csv_field(subset, path.column, rows, found)
        else:
            values = _json_field(subset, path.steps, rows, found)
        found.values = _put(found.values, rows, values)
    if found.reasons:
        bad = np.fromiter(sorted(found.reasons), np.int64, len(found.reasons))
        if on_error == "raise":
            first = int(bad[0])
            record = f"record {ids[first].as_py()!r}" if ids is not None else f"record {first}"
            more = f" ({len(bad) - 1} more records fail too)" if len(bad) > 1 else ""
            raise DataError(
                f"{record}: attribute {path.attribute!r}: {found.reasons[first]}{more}",
                file=source,
                column=path.attribute,
            )
        found.values = _put(found.values, bad, pa.nulls(len(bad), pa.string()))
    return found.values


def _decode_base64(texts: pa.Array, rows: np.ndarray, found: _Found) -> pa.Array:
    """``texts`` with the BASE64 payloads at ``rows`` decoded to text (failures recorded)."""
    decoded: list[str | None] = []
    for row, value in zip(rows, texts.take(pa.array(rows)).to_pylist(), strict=True):
        try:
            decoded.append(base64.b64decode(value, validate=True).decode("utf-8"))
        except (binascii.Error, ValueError):
            found.fail([row], "BASE64 payload is not base64-encoded UTF-8 text")
            decoded.append(None)
    return _put(texts, rows, pa.array(decoded, pa.string()))


def _csv_field(texts: pa.Array, column: int, rows: np.ndarray, found: _Found) -> pa.Array:
    """Field ``column`` of one-line CSV payloads; ``rows`` are their positions for error reports."""
    texts = pc.utf8_rtrim(texts, characters="\r\n")
    multiline = true_mask(pc.match_substring(texts, "\n"))
    if multiline.any():
        lines = pc.add(pc.count_substring(texts, "\n"), 1).to_numpy(zero_copy_only=False)
        for position in np.flatnonzero(multiline):
            found.fail(
                [rows[position]],
                f"CSV payload has {lines[position]} lines; one prediction per record is needed",
            )
    quoted = true_mask(pc.match_substring(texts, '"')) & ~multiline
    fields = pc.split_pattern(texts, ",")
    lengths = pc.list_value_length(fields).to_numpy(zero_copy_only=False)
    plain = ~multiline & ~quoted & (lengths > column)
    short = np.flatnonzero(~multiline & ~quoted & (lengths <= column))
    for position in short:
        found.fail([rows[position]], f"CSV payload has {lengths[position]} columns")
    values = pa.nulls(len(texts), pa.string())
    keep = np.flatnonzero(plain)
    if keep.size:
        picked = pc.list_element(fields.take(pa.array(keep)), column)
        values = _put(values, keep, pc.utf8_trim_whitespace(picked))
    slow = np.flatnonzero(quoted)
    if slow.size:
        parsed: list[str | None] = []
        for position, text in zip(slow, texts.take(pa.array(slow)).to_pylist(), strict=True):
            try:
                line = next(csv.reader([text]), [])
            except csv.Error as error:
                found.fail([rows[position]], f"CSV payload is malformed: {error}")
                parsed.append(None)
                continue
            if len(line) <= column:
                found.fail([rows[position]], f"CSV payload has {len(line)} columns")
                parsed.append(None)
            else:
                parsed.append(line[column].strip())
        values = _put(values, slow, pa.array(parsed, pa.string()))
    return values


def _json_field(texts: pa.Array, steps: tuple[str | int, ...], rows: np.ndarray, found: _Found) -> pa.Array:
    """The value at ``steps`` of JSON payloads, parsed at once when ``pyarrow.json`` can."""
    wrapped = pc.binary_join_element_wise('{"v":', texts, "}\n", "")
    multiline = bool(true_mask(pc.match_substring(texts, "\n")).any())
    buffer = joined_bytes(wrapped)
    table = json_objects(buffer, len(texts), multiline=multiline)
    if table is None or table.column_names != ["v"]:
        return _json_field_slow(texts, steps, rows, found)
    value: pa.Array = table.column("v").combine_chunks()
    missing = np.zeros(len(texts), bool)
    for step in steps:
        value, gone = _step(value, step)
        missing |= gone
    missing |= ~true_mask(pc.is_valid(value))
    found.fail(rows[missing], "no such value in the JSON payload")
    if pa.types.is_nested(value.type):
        found.fail(rows[~missing], "the value is an object or a list, not a single value")
        return pa.nulls(len(texts), pa.string())
    if pa.types.is_null(value.type):
        return pa.nulls(len(texts), pa.string())
    return value.cast(pa.string())


def joined_bytes(strings: pa.Array) -> pa.Buffer:
    """The concatenated bytes of a string array (zero copy where possible)."""
    strings = strings.combine_chunks() if isinstance(strings, pa.ChunkedArray) else strings
    offsets = np.frombuffer(strings.buffers()[1], np.int32, len(strings) + 1, 4 * strings.offset)
    data = strings.buffers()[2]
    if data is None:
        return pa.py_buffer(b"")
    return data.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def _step(value: pa.Array, step: str | int) -> tuple[pa.Array, np.ndarray]:
    """One path step over a whole column; rows where the step does not apply become null."""
    n = len(value)
    if isinstance(step, str):
        if not pa.types.is_struct(value.type) or value.type.get_field_index(step) < 0:
            return pa.nulls(n), np.ones(n, bool)
        return pc.struct_field(value, step), np.zeros(n, bool)
    if not pa.types.is_list(value.type):
        return pa.nulls(n), np.ones(n, bool)
    sliced = pc.list_slice(value, step, step + 1)
    parents = np.asarray(pc.list_parent_indices(sliced).to_numpy(zero_copy_only=False))
    index = np.full(n, -1, np.int64)
    index[parents] = np.arange(parents.size)
    gone = index < 0
    return pc.list_flatten(sliced).take(pa.array(index, mask=gone)), gone


def _json_field_slow(
    texts: pa.Array, steps: tuple[str | int, ...], rows: np.ndarray, found: _Found
) -> pa.Array:
    """The reference path: ``json.loads`` per payload; scalars converted to strings as Arrow casts them."""
    floats: dict[int, float] = {}
    ints: dict[int, int] = {}
    bools: dict[int, bool] = {}
    strings: dict[int, str] = {}
    for position, text in enumerate(texts.to_pylist()):
        try:
            value: Any = json.loads(text)
        except (ValueError, RecursionError) as error:
            found.fail([rows[position]], f"JSON payload is not valid JSON: {error}")
            continue
        for step in steps:
            if isinstance(step, str) and isinstance(value, dict):
                value = value.get(step)
            elif isinstance(step, int) and isinstance(value, list) and step < len(value):
                value = value[step]
            else:
                value = None
                break
        if value is None:
            found.fail([rows[position]], "no such value in the JSON payload")
        elif isinstance(value, (dict, list)):
            found.fail([rows[position]], "the value is an object or a list, not a single value")
        elif isinstance(value, bool):
            bools[position] = value
        elif isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
            ints[position] = value
        elif isinstance(value, (int, float)):
            floats[position] = float(value)
        else:
            strings[position] = str(value)
    result = pa.nulls(len(texts), pa.string())
    for values, kind in ((floats, pa.float64()), (ints, pa.int64()), (bools, pa.bool_()), (strings, None)):
        if values:
            positions = np.fromiter(values, np.int64, len(values))
            order = np.argsort(positions)
            array = pa.array(list(values.values()), kind).cast(pa.string())
            result = _put(result, positions[order], array.take(pa.array(order)))
    return result
