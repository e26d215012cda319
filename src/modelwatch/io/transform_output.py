"""Batch-transform output captured with ``GenerateInferenceId`` (spec 1.4): the files and their rows.

A batch-transform job with ``BatchDataCaptureConfig.GenerateInferenceId`` writes, under its capture
destination, ``output`` manifests (``{destination}/output/yyyy/mm/dd/HH/*.manifest``) that list its output
files; each output line carries the ``SageMakerInferenceId`` and ``SageMakerInferenceTime`` of its
prediction: for CSV output the last two columns (the rest of the line is the output payload), for JSON
Lines output two keys of the line's object (the line is the payload).

:func:`transform_output_files` lists the output files of a window; :func:`read_transform_output` reads
one file (:func:`read_transform_outputs` many) into the narrow columns ``key``, ``time`` (the text),
``output_data``, ``output_encoding``, vectorised with ``pyarrow.compute`` (JSON lines that
``pyarrow.json`` cannot read exactly are read with ``json.loads``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.errors import DataError
from modelwatch.io._prefetch import prefetch
from modelwatch.io.hours import hour_files
from modelwatch.io.payload_fields import joined_bytes, json_objects, true_mask
from modelwatch.io.storage import join_uri, read_bytes, read_text

__all__ = ["TransformFormat", "read_transform_output", "read_transform_outputs", "transform_output_files"]

TransformFormat = Literal["csv", "json"]
"""The format of a transform's output: CSV, or JSON Lines."""

_BT_JSON = pa.schema([("SageMakerInferenceId", pa.string()), ("SageMakerInferenceTime", pa.string())])
_BT_CSV = r"^(?:(?P<output>.*),)?(?P<id>[^,]*),(?P<time>[^,]*)$"
_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


def transform_output_files(destination_uri: str, start: datetime, end: datetime) -> list[str]:
    """The output files listed by the ``output`` manifests of the hour folders that overlap
    ``[start, end)`` under the capture destination ``destination_uri``, in manifest order.

    Raises:
        DataError: a manifest is not a list of a ``{"prefix": …}`` object and keys (names the file).
        StorageError: the storage cannot be listed or read.
    """
    manifests = hour_files(
        join_uri(destination_uri, "output"), start, end, keep=lambda p: p.endswith(".manifest")
    )
    return [uri for manifest in manifests for uri in _manifest_files(manifest)]


def _manifest_files(manifest_uri: str) -> list[str]:
    """The files a manifest lists: its ``{"prefix": …}`` joined with each relative key."""
    try:
        items = json.loads(read_text(manifest_uri))
        prefix = items[0]["prefix"]
        keys = [str(key) for key in items[1:]]
    except (ValueError, LookupError, TypeError) as error:
        raise DataError(f"not a batch-transform manifest: {error}", file=manifest_uri) from error
    return [join_uri(prefix, key) for key in keys]


def read_transform_outputs(
    files: list[str], format: TransformFormat, header: bool
) -> Iterator[tuple[str, pa.Table]]:
    """Each of ``files`` and its :func:`read_transform_output` table, in order; the next file is read in
    a background thread while one is parsed.

    Raises:
        DataError: as :func:`read_transform_output`.
        StorageError: a file cannot be read.
    """
    for uri, data in prefetch((uri, read_bytes(uri)) for uri in files):
        yield uri, read_transform_output(uri, data, format, header)


def read_transform_output(uri: str, data: bytes, format: TransformFormat, header: bool) -> pa.Table:
    """``key``, ``time`` (text), ``output_data``, ``output_encoding`` of each non-blank line of the output
    file ``uri`` whose bytes are ``data``; ``header`` drops the first of them.

    Raises:
        DataError: the file is not UTF-8, a line has no inference id or a time not of SageMaker's form,
            or a JSON line is not one document (names file and line).
    """
    try:
        lines, numbers = _lines(data, header)
    except pa.ArrowInvalid as error:
        raise DataError(f"transform output is not UTF-8: {error}", file=uri) from error
    if format == "csv":
        parts = pc.extract_regex(lines, _BT_CSV)
        keys, times = pc.struct_field(parts, "id"), pc.struct_field(parts, "time")
        output, encoding = pc.struct_field(parts, "output").fill_null(""), "CSV"
        problem = "has no SageMakerInferenceId and time columns at its end"
    else:
        keys, times = _json_ids(uri, lines, numbers)
        output, encoding = lines, "JSON"
        problem = "has no SageMakerInferenceId and SageMakerInferenceTime"
    bad = ~true_mask(pc.match_substring_regex(times, _TIME)) | ~true_mask(
        pc.greater(pc.binary_length(keys), 0)
    )
    if bad.any():
        line = int(numbers[np.flatnonzero(bad)[0]])
        raise DataError(f"transform output line {problem} (was GenerateInferenceId on?)", file=uri, line=line)
    return pa.table(
        {
            "key": keys,
            "time": times,
            "output_data": output,
            "output_encoding": pa.repeat(encoding, len(lines)).cast(pa.string()),
        }
    )


def _lines(data: bytes, header: bool) -> tuple[pa.Array, np.ndarray]:
    """The non-blank lines of ``data`` (line ends stripped) and their 1-based numbers.

    Raises:
        pa.ArrowInvalid: the data is not UTF-8.
    """
    body = data if data.endswith(b"\n") or not data else data + b"\n"
    ends = np.flatnonzero(np.frombuffer(body, np.uint8) == ord("\n"))
    offsets = np.concatenate([[0], ends + 1]).astype(np.int64)
    spans = pa.Array.from_buffers(
        pa.large_string(), ends.size, [None, pa.py_buffer(offsets), pa.py_buffer(body)]
    )
    spans.validate(full=True)
    lines = pc.utf8_rtrim(spans, characters="\r\n").cast(pa.string())
    numbers = np.arange(1, ends.size + 1, dtype=np.int64)
    keep = ~true_mask(pc.match_substring_regex(lines, r"^\s*$"))
    if header:
        keep[np.flatnonzero(keep)[:1]] = False
    return lines.filter(pa.array(keep)), numbers[keep]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _json_ids(uri: str, lines: pa.Array, numbers: np.ndarray) -> tuple[pa.Array, pa.Array]:
    starts = true_mask(pc.starts_with(pc.utf8_ltrim_whitespace(lines), "{"))
    table = None
    if starts.all() and len(lines):
        buffer = joined_bytes(pc.binary_join_element_wise(lines, "\n", ""))
        table = json_objects(buffer, len(lines), schema=_BT_JSON)
    if table is not None:
        return (
            table.column("SageMakerInferenceId").combine_chunks(),
            table.column("SageMakerInferenceTime").combine_chunks(),
        )
    ids: list[str | None] = []
    times: list[str | None] = []
    for number, line in zip(numbers, lines.to_pylist(), strict=True):
        try:
            value = json.loads(line)
        except ValueError as error:
            raise DataError(
                f"transform output line is not one JSON document: {error}", file=uri, line=int(number)
            ) from error
        record = value if isinstance(value, dict) else {}
        ids.append(_text(record.get("SageMakerInferenceId")))
        times.append(_text(record.get("SageMakerInferenceTime")))
    return pa.array(ids, pa.string()), pa.array(times, pa.string())
