"""Parquet files as Arrow record batches, columns matched by position across files.

String columns are read dictionary-encoded, which Parquet files usually are already.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from modelwatch.errors import DataError
from modelwatch.io._streams import open_random_access

__all__ = ["parquet_batches", "parquet_columns", "parquet_row_groups"]


@contextlib.contextmanager
def _parquet_file(file: str) -> Iterator[pq.ParquetFile | None]:
    """``file`` opened as Parquet; None for a zero-byte file; a corrupt file raises DataError."""
    with open_random_access(file) as stream:
        if stream.size() == 0:
            yield None
            return
        try:
            # pre_buffer=False: pre-buffering keeps every row group read so far (0.75 GB at 8M rows)
            parquet = pq.ParquetFile(stream, pre_buffer=False)
            strings = [f.name for f in parquet.schema_arrow if pa.types.is_string(f.type)]
            if strings:  # read string columns dictionary-encoded: value counts then cost no hashing
                parquet = pq.ParquetFile(
                    stream, metadata=parquet.metadata, read_dictionary=strings, pre_buffer=False
                )
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"not a valid Parquet file: {exc}", file=file) from exc
        with parquet:
            yield parquet


def parquet_columns(file: str) -> list[str] | None:
    """The top-level column names of ``file``; None for a zero-byte file."""
    with _parquet_file(file) as parquet:
        return None if parquet is None else list(parquet.schema_arrow.names)


def parquet_row_groups(file: str) -> int:
    """How many row groups ``file`` has (0 for a zero-byte file)."""
    with _parquet_file(file) as parquet:
        return 0 if parquet is None else parquet.num_row_groups


def parquet_batches(
    file: str, names: list[str], batch_rows: int, row_groups: list[int] | None = None
) -> Iterator[pa.RecordBatch]:
    """The rows of ``file`` (or of some of its row groups) in batches of at most ``batch_rows``,
    columns renamed to ``names`` by position."""
    with _parquet_file(file) as parquet:
        if parquet is None:
            return
        found = parquet.schema_arrow.names
        if len(found) != len(names):
            raise DataError(
                f"expected {len(names)} columns, found {len(found)} (files of a dataset must have the "
                "same columns)",
                file=file,
            )
        try:
            for batch in parquet.iter_batches(batch_size=batch_rows, row_groups=row_groups):
                yield pa.RecordBatch.from_arrays(batch.columns, names=names)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"corrupt Parquet data: {exc}", file=file) from exc
