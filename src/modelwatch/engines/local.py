"""The local engine: profiles a dataset in bounded memory, in parallel processes when it is large.

A dataset is cut into parts (files, or byte ranges of a large CSV file, or row groups of a Parquet
file); each worker process streams its parts batch by batch into a :class:`DatasetProfile` and sends
back the serialised partial profile; the parent merges the partials in part order. Small inputs
(one part) are profiled in this process, in row order, which reproduces SageMaker's single-partition
results exactly.
"""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pyarrow as pa

from modelwatch.analysis.profile import DatasetProfile, merge_partials
from modelwatch.engines.allocator import tune_allocator
from modelwatch.errors import EmptyDatasetError
from modelwatch.formats.statistics import Statistics
from modelwatch.io.datasets import Dataset
from modelwatch.io.parts import DatasetPart, plan_parts
from modelwatch.io.storage import filesystem
from modelwatch.settings import get_settings

__all__ = ["ProfileRun", "balanced_groups", "part_weights", "profile_batches", "profile_dataset"]

log = logging.getLogger(__name__)
T = TypeVar("T")

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


def _batches_allowing_empty(part: DatasetPart) -> Iterator[pa.RecordBatch]:
    try:
        yield from part.batches()
    except EmptyDatasetError:
        if part.file is None:
            raise  # the whole dataset is empty: its own message lists the files
        # an empty part of a larger dataset is fine; an empty dataset is reported by the caller


def profile_parts(
    parts: list[DatasetPart], names: list[str], top_values: int, progress: Progress | None = None
) -> list[DatasetProfile]:
    """One partial profile per part, each streamed batch by batch."""
    tune_allocator()
    profiles = []
    for part in parts:
        profile = DatasetProfile.zero(names, top_values=top_values)
        for batch in _batches_allowing_empty(part):
            profile.update(batch)
            if progress:
                progress(batch.num_rows)
        profiles.append(profile)
    return profiles


class _Worker:
    """A ``python -m modelwatch.engines._worker`` subprocess profiling some parts."""

    def __init__(self, parts: list[DatasetPart], names: list[str], top_values: int) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "modelwatch.engines._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdin is not None
        pickle.dump((parts, names, top_values), self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self._process.stdin.close()

    def result(self) -> list[DatasetProfile]:
        assert self._process.stdout is not None
        with self._process.stdout as output:
            data = output.read()
        code = self._process.wait()
        if code != 0 or not data:
            raise RuntimeError(f"a profiling worker process died (exit code {code})")
        status, payload = pickle.loads(data)
        if status == "error":
            raise payload
        return [DatasetProfile.from_dict(p) for p in payload]

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


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
    if len(parts) == 1:
        profile = _merge_in_order(profile_parts(parts, names, top_values, progress))
        used = 1
    else:
        profile = _profile_in_processes(parts, names, top_values, workers, progress)
        used = min(workers, len(parts))
    if profile.item_count == 0:
        raise EmptyDatasetError("no data rows (empty or header-only files)", file=dataset.uri)
    _second_pass(dataset, profile)
    statistics = profile.finalize()
    seconds = time.perf_counter() - started
    log.info(
        "profiled %d rows x %d columns in %.2fs (%d parts, %d workers)",
        profile.item_count,
        len(names),
        seconds,
        len(parts),
        used,
    )
    return ProfileRun(statistics, profile, profile.item_count, len(parts), used, seconds)


def profile_batches(
    batches: Callable[[], Iterator[pa.RecordBatch]],
    *,
    names: list[str] | None = None,
    top_values: int | None = None,
    progress: Progress | None = None,
    source: str = "input",
) -> ProfileRun:
    """Profile a stream of batches in this process, in row order. ``batches()`` is called again for the
    second pass when a column turns out to mix numbers and strings.

    Columns are named ``names`` by position when given (extra columns keep their own names), else by the
    first batch's names; every batch must have as many columns as the first.

    Raises:
        EmptyDatasetError: the stream holds no row (``source`` names it in the message).
    """
    tune_allocator()
    top_values = top_values or get_settings().top_values
    started = time.perf_counter()
    profile: DatasetProfile | None = None
    for batch in batches():
        if profile is None:
            own = list(batch.schema.names)
            columns = [names[i] if names and i < len(names) else own[i] for i in range(len(own))]
            profile = DatasetProfile.zero(columns, top_values=top_values)
        profile.update(batch)
        if progress:
            progress(batch.num_rows)
    if profile is None or profile.item_count == 0:
        raise EmptyDatasetError("no data rows", file=source)
    positions = profile.incomplete_columns()
    if positions:
        _recount_categorical(profile, positions, batches())
    statistics = profile.finalize()
    seconds = time.perf_counter() - started
    log.info(
        "profiled %d rows x %d columns of %s in %.2fs",
        profile.item_count,
        len(profile.columns),
        source,
        seconds,
    )
    return ProfileRun(statistics, profile, profile.item_count, 1, 1, seconds)


def _profile_in_processes(
    parts: list[DatasetPart], names: list[str], top_values: int, workers: int, progress: Progress | None
) -> DatasetProfile:
    """Split the parts into ``workers`` contiguous groups of about equal bytes: this process profiles
    the first group while subprocesses profile the others; partials are merged in part order."""
    groups = balanced_groups(parts, part_weights(parts), workers)
    helpers = [_Worker(group, names, top_values) for group in groups[1:]]
    try:
        partials = profile_parts(groups[0], names, top_values, progress)
        for helper in helpers:
            results = helper.result()
            partials.extend(results)
            if progress:
                progress(sum(p.item_count for p in results))
    finally:
        for helper in helpers:
            helper.kill()
    return _merge_in_order(partials)


def part_weights(parts: list[DatasetPart]) -> list[float]:
    """About how many bytes each part reads: a CSV range exactly, row groups as their share of the
    file (the parts of a file cover all its row groups, which hold about equal rows), a whole file
    its size."""
    row_groups: dict[str, int] = {}
    for part in parts:
        if part.file is not None and part.row_groups is not None:
            row_groups[part.file] = row_groups.get(part.file, 0) + len(part.row_groups)
    weights = []
    for part in parts:
        if part.file is None:
            weights.append(sum(_file_bytes(file) for file in part.dataset.files))
        elif part.end is not None:
            weights.append(float(part.end - part.start))
        elif part.row_groups is not None:
            weights.append(_file_bytes(part.file) * len(part.row_groups) / max(row_groups[part.file], 1))
        else:
            weights.append(_file_bytes(part.file))
    return weights


def _file_bytes(file: str) -> float:
    fs, path = filesystem(file)
    return float(fs.size(path))


def balanced_groups(parts: list[T], weights: list[float], workers: int) -> list[list[T]]:
    """Cut ``parts`` (in order) into at most ``workers`` contiguous, non-empty groups of about equal
    weight: a part goes to the group in whose share ``[i·W/workers, (i+1)·W/workers)`` its middle lies."""
    total = sum(weights)
    if total <= 0:
        return [parts[len(parts) * i // workers : len(parts) * (i + 1) // workers] for i in range(workers)]
    groups: list[list[T]] = [[] for _ in range(workers)]
    start = 0.0
    for part, weight in zip(parts, weights, strict=True):
        groups[min(int((start + weight / 2) * workers / total), workers - 1)].append(part)
        start += weight
    return [group for group in groups if group]


def _merge_in_order(partials: list[DatasetProfile]) -> DatasetProfile:
    """Merge partial profiles left to right (:func:`merge_partials`); one partial is kept bit for bit."""
    return merge_partials(partials)


def _second_pass(dataset: Dataset, profile: DatasetProfile) -> None:
    """Recount categorical values of columns whose first non-numeric value came after numeric ones."""
    positions = profile.incomplete_columns()
    if not positions:
        return
    _recount_categorical(profile, positions, dataset.batches())


def _recount_categorical(
    profile: DatasetProfile, positions: list[int], batches: Iterator[pa.RecordBatch]
) -> None:
    log.info("second pass for mixed-type columns: %s", [profile.columns[p].name for p in positions])
    for position in positions:
        profile.columns[position].categorical = None
        profile.columns[position].categorical_complete = True
    for batch in batches:
        for position in positions:
            profile.columns[position].update_categorical(batch.column(position))
