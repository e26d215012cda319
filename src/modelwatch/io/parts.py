"""Parts of a dataset that separate workers can read independently: whole files for now."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pyarrow as pa

from modelwatch.io.datasets import Dataset

__all__ = ["DatasetPart", "plan_parts"]


@dataclass(frozen=True)
class DatasetPart:
    """A picklable slice of a dataset: some of its files."""

    dataset: Dataset

    def batches(self) -> Iterator[pa.RecordBatch]:
        return self.dataset.batches()


def plan_parts(dataset: Dataset, workers: int) -> list[DatasetPart]:
    """Cut ``dataset`` into parts, in row order, so that ``workers`` processes can share the work."""
    if workers <= 1 or len(dataset.files) == 1:
        return [DatasetPart(dataset)]
    count = min(len(dataset.files), workers)
    size = -(-len(dataset.files) // count)
    return [
        DatasetPart(replace(dataset, files=dataset.files[i : i + size]))
        for i in range(0, len(dataset.files), size)
    ]
