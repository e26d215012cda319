"""Datasets — a file, folder, glob or ``s3://`` prefix of CSV, JSON Lines or Parquet files — read as
a stream of Arrow record batches in bounded memory.

>>> dataset = read_dataset("s3://bucket/train/", "csv", header=True)  # doctest: +SKIP
>>> dataset.column_names  # known before reading any data row
>>> for batch in dataset.batches(): ...  # every batch has exactly dataset.column_names

CSV columns are all strings (types are inferred later from the string form, as Deequ does). Files
are matched by column position, as SageMaker does; ``.gz`` / ``.bz2`` / ``.zst`` files are
decompressed on the fly. Bad input raises :class:`~modelwatch.errors.DataError` naming the file,
line and column; input without any data row raises :class:`~modelwatch.errors.EmptyDatasetError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from modelwatch.errors import ConfigurationError, EmptyDatasetError
from modelwatch.io._csv import csv_batches, csv_header
from modelwatch.io._jsonl import json_batches, json_columns
from modelwatch.io._parquet import parquet_batches, parquet_columns
from modelwatch.io._streams import strip_compression
from modelwatch.io.dataset_format import DatasetFormat
from modelwatch.io.storage import list_files
from modelwatch.settings import get_settings

__all__ = ["Dataset", "DatasetFormat", "infer_format", "read_dataset"]


_SUFFIXES = {
    ".csv": DatasetFormat.CSV,
    ".jsonl": DatasetFormat.JSON,
    ".json": DatasetFormat.JSON,
    ".ndjson": DatasetFormat.JSON,
    ".parquet": DatasetFormat.PARQUET,
    ".pq": DatasetFormat.PARQUET,
}


def infer_format(uri: str) -> DatasetFormat:
    """The format named by ``uri``'s extension: ``.csv``, ``.jsonl``, ``.json``, ``.parquet`` (+ ``.gz``)."""
    name = strip_compression(uri).lower()
    for suffix, found in _SUFFIXES.items():
        if name.endswith(suffix):
            return found
    raise ConfigurationError(
        f"cannot tell the dataset format of {uri!r} from its extension; pass one of "
        f"{', '.join(f.value for f in DatasetFormat)}"
    )


def _parse_format(value: DatasetFormat | str) -> DatasetFormat:
    try:
        return DatasetFormat(str(value).lower())
    except ValueError:
        allowed = ", ".join(f.value for f in DatasetFormat)
        raise ConfigurationError(f"unknown dataset format {value!r}; expected one of {allowed}") from None


@dataclass(frozen=True)
class Dataset:
    """Files of one format read as one table. ``batches()`` can be called again to re-read."""

    uri: str
    format: DatasetFormat
    files: list[str]
    column_names: list[str]
    header: bool
    batch_rows: int

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Every row, in batches of at most ``batch_rows`` rows with columns ``column_names``.

        Raises:
            DataError: a file is malformed (the message names file, line and column).
            EmptyDatasetError: the files hold no data row at all (raised after the last file).
        """
        rows = 0
        for file in self.files:
            for batch in self._file_batches(file):
                for offset in range(0, batch.num_rows, self.batch_rows):
                    piece = batch.slice(offset, self.batch_rows)
                    rows += piece.num_rows
                    yield piece
        if rows == 0:
            raise _empty(self.uri, self.files, "no data rows (empty or header-only files)")

    def _file_batches(self, file: str) -> Iterator[pa.RecordBatch]:
        if self.format is DatasetFormat.CSV:
            return csv_batches(file, self.column_names, self.header)
        if self.format is DatasetFormat.JSON:
            return json_batches(file, self.column_names, self.batch_rows)
        return parquet_batches(file, self.column_names, self.batch_rows)


def _empty(uri: str, files: list[str], reason: str) -> EmptyDatasetError:
    if len(files) == 1:
        return EmptyDatasetError(reason, file=files[0])
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return EmptyDatasetError(f"{reason} in {len(files)} files: {shown}", file=uri)


def _columns_of(file: str, format: DatasetFormat, header: bool) -> list[str] | None:
    if format is DatasetFormat.CSV:
        return csv_header(file, header)
    if format is DatasetFormat.JSON:
        return json_columns(file)
    return parquet_columns(file)


def read_dataset(
    uri: str | list[str],
    format: DatasetFormat | str | None = None,
    *,
    header: bool = False,
    batch_rows: int | None = None,
) -> Dataset:
    """Open the dataset at ``uri`` (file, folder, glob, ``s3://`` prefix) and read its column names.

    Args:
        uri: where the data is; folders and prefixes are read recursively, hidden files skipped. A list
            of URIs reads them all, in order, as one dataset.
        format: ``csv``, ``json`` (JSON Lines) or ``parquet``; None infers it from the extension.
        header: CSV only — the first line of each file holds column names (else ``_c0``, ``_c1``…).
        batch_rows: most rows per batch; defaults to the ``MODELWATCH_BATCH_ROWS`` setting.

    Raises:
        StorageError: nothing exists at ``uri``.
        EmptyDatasetError: there is no file, or every file is empty.
        DataError: the first file's header or schema is unreadable.
        ConfigurationError: the format or ``batch_rows`` is invalid.
    """
    rows = get_settings().batch_rows if batch_rows is None else batch_rows
    if rows < 1:
        raise ConfigurationError(f"batch_rows must be at least 1; got {rows}")
    sources = [uri] if isinstance(uri, str) else list(uri)
    uri = sources[0] if len(sources) == 1 else f"{sources[0]} (+{len(sources) - 1} more)" if sources else "[]"
    files = [file for source in sources for file in list_files(source)]
    if not files:
        raise EmptyDatasetError("no data files (the folder is empty or holds only hidden files)", file=uri)
    kind = infer_format(files[0]) if format is None else _parse_format(format)
    for file in files:
        columns = _columns_of(file, kind, header)
        if columns is not None:
            return Dataset(uri, kind, files, columns, header, rows)
    raise _empty(uri, files, "no data (empty files)")
