"""The local engine: profiles a dataset in bounded memory, in parallel processes when it is large.

A dataset is cut into parts (files, or byte ranges of a large CSV file, or row groups of a Parquet
file); each worker process streams its parts batch by batch into a :class:`DatasetProfile` and sends
back the serialised partial profile; the parent merges the partials in part order. Small inputs
(one part) are profiled in this process, in row order, which reproduces SageMaker's single-partition
results exactly.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from modelwatch.analysis.profile import DatasetProfile
from modelwatch.errors import EmptyDatasetError
from modelwatch.formats.statistics import Statistics
from modelwatch.io.datasets import Dataset
from modelwatch.io.parts import DatasetPart, plan_parts
from modelwatch.settings import get_settings

__all__ = ["ProfileRun", "profile_dataset"]

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
"""Called with the number of rows just profiled."""


@dataclass(frozen=True)
class ProfileRun:
    """The outcome of profiling a dataset: its statistics and how the work went."""

    statistics: Statistics
    profile: DatasetProfile
    rows: int
    parts: int
    workers: int
    seconds: float


def _profile_part(part: DatasetPart, names: list[str], top_values: int) -> DatasetProfile:
    profile = DatasetProfile.zero(names, top_values=top_values)
    for batch in _batches_allowing_empty(part):
        profile.update(batch)
    return profile


def _batches_allowing_empty(part: DatasetPart) -> Iterator[pa.RecordBatch]:
    try:
        yield from part.batches()
    except EmptyDatasetError:
        return  # an empty part is fine; an empty dataset is reported once, by the caller


def _profile_part_in_worker(part: DatasetPart, names: list[str], top_values: int) -> dict[str, object]:
    return _profile_part(part, names, top_values).to_dict()


def _pool(workers: int) -> ProcessPoolExecutor:
    # "spawn" never inherits the parent's threads (pyarrow's pools), so it cannot deadlock after fork.
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def profile_dataset(
    dataset: Dataset,
    *,
    workers: int | None = None,
    top_values: int | None = None,
    progress: Progress | None = None,
) -> ProfileRun:
    """Profile every row of ``dataset`` and return its statistics (SageMaker's statistics.json).

    Raises:
        EmptyDatasetError: the dataset holds no data row.
        DataError: a file is malformed (the message names file, line and column).
    """
    settings = get_settings()
    workers = workers or settings.resolved_workers()
    top_values = top_values or settings.top_values
    started = time.perf_counter()
    parts = plan_parts(dataset, workers)
    names = list(dataset.column_names)
    if len(parts) == 1 or workers == 1:
        profile = DatasetProfile.zero(names, top_values=top_values)
        for part in parts:
            for batch in _batches_allowing_empty(part):
                profile.update(batch)
                if progress:
                    progress(batch.num_rows)
        used = 1
    else:
        profile = _profile_in_processes(parts, names, top_values, workers, progress)
        used = min(workers, len(parts))
    if profile.item_count == 0:
        raise EmptyDatasetError("no data rows (empty or header-only files)", file=dataset.uri)
    _second_pass(dataset, profile)
    statistics = profile.finalize()
    seconds = time.perf_counter() - started
    log.info("profiled %d rows x %d columns in %.2fs (%d parts, %d workers)",
             profile.item_count, len(names), seconds, len(parts), used)
    return ProfileRun(statistics, profile, profile.item_count, len(parts), used, seconds)


def _profile_in_processes(
    parts: list[DatasetPart], names: list[str], top_values: int, workers: int, progress: Progress | None
) -> DatasetProfile:
    with _pool(min(workers, len(parts))) as pool:
        futures = [pool.submit(_profile_part_in_worker, part, names, top_values) for part in parts]
        merged = DatasetProfile.zero(names, top_values=top_values)
        for future in futures:  # merge in part order, so the result does not depend on timing
            partial = DatasetProfile.from_dict(future.result())
            merged.merge(partial)
            if progress:
                progress(partial.item_count)
    return merged


def _second_pass(dataset: Dataset, profile: DatasetProfile) -> None:
    """Recount categorical values of columns whose first non-numeric value came after numeric ones."""
    positions = profile.incomplete_columns()
    if not positions:
        return
    log.info("second pass for mixed-type columns: %s", [profile.columns[p].name for p in positions])
    for position in positions:
        profile.columns[position].categorical = None
        profile.columns[position].categorical_complete = True
    for batch in dataset.batches():
        for position in positions:
            profile.columns[position].update_categorical(batch.column(position))

