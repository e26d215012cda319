"""Capture records as a table: the rows that SageMaker's analyzer builds from ``sagemakerCaptureJson`` data.

For each record the analyzer takes the payloads named by ``captureIndexNames`` and makes a row of the
output's columns followed by the input's (``output_columns_position: START``), which is why a baseline
dataset has its label/prediction columns first. Here:

* a ``CSV`` payload gives one row per line (a request with several lines gives several rows; its
  output must then have as many lines, else the record is skipped and counted);
* a ``JSON`` payload that is an object gives one row (nested objects flattened to ``a.b``), a list of
  objects one row each, a list of scalars one row of positional values, a scalar one value;
* ``BASE64`` payloads (binary, images, ...) are not tabular: such records are skipped and counted — a
  preprocessing script turns them into rows.

Columns are strings (types are inferred later from the string form, as for CSV datasets) and named
``_c0``, ``_c1``, ... by position across the output and input columns, or by key for JSON objects.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

__all__ = ["CAPTURE_INDEXES", "CaptureTable", "capture_batches"]

CAPTURE_INDEXES = ("endpointOutput", "endpointInput")


@dataclass
class CaptureTable:
    """Counts of what :func:`capture_batches` skipped, filled in while it runs."""

    rows: int = 0
    not_tabular: int = 0  # records with a BASE64 or missing payload
    misaligned: int = 0  # records whose output and input have different numbers of rows


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


def _record_rows(record: dict[str, Any], indexes: tuple[str, ...], counts: CaptureTable) -> list[list[Any]]:
    data = record.get("captureData") or {}
    sides = [_rows(data.get(index)) for index in indexes]
    if any(side is None for side in sides):
        counts.not_tabular += 1
        return []
    lengths = {len(side) for side in sides if side is not None}
    if len(lengths) > 1:
        counts.misaligned += 1
        return []
    tables = [side for side in sides if side is not None]
    return [
        list(itertools.chain.from_iterable(side[i] for side in tables))
        for i in range(lengths.pop() if lengths else 0)
    ]


def capture_batches(
    records: Iterable[dict[str, Any]],
    *,
    indexes: tuple[str, ...] = CAPTURE_INDEXES,
    batch_rows: int = 65_536,
    counts: CaptureTable | None = None,
) -> Iterator[pa.RecordBatch]:
    """Arrow batches of string columns built from capture records (see the module docstring).

    Columns are fixed by the first tabular record; later rows with more values get their extras
    dropped and rows with fewer get nulls (columns are matched by position, as SageMaker does).
    """
    counts = counts if counts is not None else CaptureTable()
    names: list[str] | None = None
    pending: list[list[str | None]] = []
    for record in records:
        for row in _record_rows(record, indexes, counts):
            if names is None:
                names = [key if key is not None else f"_c{i}" for i, (key, _) in enumerate(row)]
            values = [value for _, value in row][: len(names)]
            pending.append(values + [None] * (len(names) - len(values)))
            if len(pending) >= batch_rows:
                yield _batch(names, pending)
                counts.rows += len(pending)
                pending = []
    if pending and names is not None:
        yield _batch(names, pending)
        counts.rows += len(pending)


def _batch(names: list[str], rows: list[list[str | None]]) -> pa.RecordBatch:
    columns = [pa.array([row[i] for row in rows], pa.string()) for i in range(len(names))]
    return pa.RecordBatch.from_arrays(columns, names=names)
