"""The formats a dataset can be read from, in a module of its own so that the CLI's options can name
them without loading the readers (pyarrow, fsspec, settings)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DatasetFormat"]


class DatasetFormat(StrEnum):
    """The formats a dataset can be read from (SageMaker's ``dataset_format`` names)."""

    CSV = "csv"
    JSON = "json"  # JSON Lines: one object per line
    PARQUET = "parquet"
