"""Parts of a dataset that worker processes can read independently, in row order.

A part is a whole file, a range of whole lines of a large uncompressed local CSV file, or some row
groups of a large Parquet file. Files smaller than ``PART_BYTES`` are never cut, so small inputs are
read exactly in row order by one reader.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pyarrow as pa

from modelwatch.io._csv import csv_range_batches, line_starts
from modelwatch.io._parquet import parquet_batches, parquet_row_groups
from modelwatch.io._streams import compression_of
from modelwatch.io.datasets import Dataset, DatasetFormat
from modelwatch.io.storage import filesystem, is_local, local_path

__all__ = ["PART_BYTES", "DatasetPart", "plan_parts"]

PART_BYTES = 48 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class DatasetPart:
    """A picklable piece of a dataset: all of it, a whole file, bytes ``[start, end)`` of a CSV file
    (whole lines, no header), or some row groups of a Parquet file."""

    dataset: Dataset
    file: str | None = None  # None: every file of the dataset
    start: int = 0
    end: int | None = None
    row_groups: tuple[int, ...] | None = None

    def batches(self) -> Iterator[pa.RecordBatch]:
        dataset = self.dataset
        if self.file is None:
            yield from dataset.batches()
            return
        if self.end is not None:
            pieces = csv_range_batches(self.file, dataset.column_names, self.start, self.end)
        elif self.row_groups is not None:
            pieces = parquet_batches(
                self.file, dataset.column_names, dataset.batch_rows, list(self.row_groups)
            )
        else:
            yield from replace(dataset, files=[self.file]).batches()
            return
        for batch in pieces:
            for offset in range(0, batch.num_rows, dataset.batch_rows):
                yield batch.slice(offset, dataset.batch_rows)


def _size(file: str) -> int:
    fs, path = filesystem(file)
    return int(fs.size(path))


def _csv_parts(dataset: Dataset, file: str, pieces: int) -> list[DatasetPart]:
    with open(local_path(file), "rb") as handle:
        head = handle.read(len(_BOM))
    size = _size(file)
    # the data starts just after the header line, or after a byte-order mark
    first = line_starts(file, [1])[0] if dataset.header else len(_BOM) if head == _BOM else 0
    if head[:1] in (b"\n", b"\r") or first >= size:
        return [DatasetPart(dataset, file)]
    cuts = line_starts(file, [first + (size - first) * i // pieces for i in range(1, pieces)])
    bounds = sorted({first, *cuts, size})
    return [
        DatasetPart(dataset, file, start, end) for start, end in itertools.pairwise(bounds) if end > start
    ]


def _parquet_parts(dataset: Dataset, file: str, pieces: int) -> list[DatasetPart]:
    groups = parquet_row_groups(file)
    if groups < 2:
        return [DatasetPart(dataset, file)]
    pieces = min(pieces, groups)
    return [
        DatasetPart(dataset, file, row_groups=tuple(range(groups * i // pieces, groups * (i + 1) // pieces)))
        for i in range(pieces)
    ]


def _file_parts(dataset: Dataset, file: str, workers: int) -> list[DatasetPart]:
    if not is_local(file) or compression_of(file) or dataset.format is DatasetFormat.JSON:
        return [DatasetPart(dataset, file)]
    size = _size(file)
    pieces = min(2 * workers, size // PART_BYTES)
    if pieces < 2:
        return [DatasetPart(dataset, file)]
    if dataset.format is DatasetFormat.CSV:
        return _csv_parts(dataset, file, pieces)
    return _parquet_parts(dataset, file, pieces)


def plan_parts(dataset: Dataset, workers: int) -> list[DatasetPart]:
    """Cut ``dataset`` into parts in row order, so that ``workers`` processes can share the work.

    With one worker, or a dataset smaller than ``2 * PART_BYTES``, the whole dataset is one part.
    """
    if workers <= 1 or sum(_size(file) for file in dataset.files) < 2 * PART_BYTES:
        return [DatasetPart(dataset)]
    return [part for file in dataset.files for part in _file_parts(dataset, file, workers)]
