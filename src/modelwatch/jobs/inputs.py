"""Reading a job's input: the capture window of an endpoint, or a batch transform's captured data."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from modelwatch.errors import EmptyDatasetError
from modelwatch.io.capture import CaptureRead, capture_files
from modelwatch.io.capture_table import CaptureTable, capture_window_batches
from modelwatch.io.datasets import read_dataset
from modelwatch.io.storage import exists, is_local, join_uri, list_files, local_path, read_bytes, read_text
from modelwatch.jobs.definitions import DatasetFormatSpec
from modelwatch.jobs.spec import JobSpec
from modelwatch.scripts import PreprocessCounts, Preprocessor, preprocessed_batches, preprocessed_line_batches
from modelwatch.settings import get_settings

__all__ = [
    "InputCounts",
    "batch_transform_batches",
    "dataset_lines",
    "endpoint_batches",
    "format_of",
    "local_script",
    "manifest_files",
    "manifest_hour",
    "parse_time",
]

log = logging.getLogger("modelwatch.job")


def parse_time(text: str | None) -> datetime:
    assert text is not None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def format_of(spec: DatasetFormatSpec | None) -> tuple[str | None, bool]:
    """The format's name (``csv``, ``json``, ``parquet``; None when not given) and whether a CSV has a
    header."""
    if spec is None:
        return None, False
    return spec.format, spec.header


def local_script(uri: str, work: Path) -> Path:
    """A local path of a script URI (s3:// scripts are downloaded into the work folder)."""
    if is_local(uri):
        return Path(local_path(uri))
    target = work / "scripts" / uri.rstrip("/").rsplit("/", 1)[-1]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(read_bytes(uri))
    return target


class InputCounts:
    def __init__(self) -> None:
        self.counts: dict[str, Any] = {}

    def add_skipped(self, table: CaptureTable) -> None:
        """Put the records ``table`` skipped into the counts (``skipped``, ``skipped_summary``: the job
        adds the summary to its message) and the log."""
        summary = table.describe_skipped()
        if summary is None:
            return
        log.warning("input: %s", summary)
        self.counts |= {"skipped": table.skipped(), "skipped_summary": summary}


def endpoint_batches(
    job: JobSpec, preprocess: Preprocessor | None, outcome: InputCounts
) -> Callable[[], Iterator[pa.RecordBatch]]:
    assert job.capture_uri and job.endpoint_name
    start, end = parse_time(job.window_start), parse_time(job.window_end)
    variant = job.monitor.variant_name
    files = [
        file
        for name in ([variant] if variant else job.variants)
        for file in capture_files(job.capture_uri, job.endpoint_name, name, start, end)
    ]
    if not files:
        raise EmptyDatasetError(
            f"no capture files of endpoint {job.endpoint_name!r} in [{job.window_start}, {job.window_end})",
            file=join_uri(job.capture_uri, job.endpoint_name),
        )
    log.info(
        "input: %d capture files of %s in [%s, %s)",
        len(files),
        job.endpoint_name,
        job.window_start,
        job.window_end,
    )

    rows = get_settings().batch_rows

    def batches() -> Iterator[pa.RecordBatch]:
        if preprocess is not None:
            counts = PreprocessCounts()
            read = CaptureRead(files, start, end)
            yield from preprocessed_batches(read, preprocess, batch_rows=rows, counts=counts)
            outcome.counts = {
                **asdict(counts),
                "torn_lines": read.torn_lines,
                "outside_window": read.outside_window,
            }
            outcome.add_skipped(CaptureTable(torn_lines=read.torn_lines))
        else:
            table = CaptureTable()
            yield from capture_window_batches(files, start, end, batch_rows=rows, counts=table)
            outcome.counts = asdict(table)
            outcome.add_skipped(table)

    return batches


def manifest_files(manifest_uri: str) -> list[str]:
    items = json.loads(read_text(manifest_uri))
    prefix = items[0]["prefix"]
    return [join_uri(prefix, key) for key in items[1:]]


def batch_transform_batches(
    job: JobSpec, preprocess: Preprocessor | None, outcome: InputCounts
) -> Callable[[], Iterator[pa.RecordBatch]]:
    source = job.monitor.batch_transform_input
    assert source is not None
    start, end = parse_time(job.window_start), parse_time(job.window_end)
    root = join_uri(source.data_captured_destination_uri, "input")
    manifests = [
        uri
        for uri in (list_files(root) if exists(root) else [])
        if uri.endswith(".manifest") and start <= (manifest_hour(uri) or end) < end
    ]
    files = [file for manifest in manifests for file in manifest_files(manifest)]
    if not files:
        raise EmptyDatasetError(
            f"no batch-transform captures in [{job.window_start}, {job.window_end})",
            file=source.data_captured_destination_uri,
        )
    format, header = format_of(source.dataset_format)
    dataset = read_dataset(files, format, header=header)
    if preprocess is None:
        return dataset.batches

    def batches() -> Iterator[pa.RecordBatch]:
        counts = PreprocessCounts()
        yield from preprocessed_line_batches(
            dataset_lines(dataset.files, format or "csv", header), preprocess, counts=counts
        )
        outcome.counts = asdict(counts)

    return batches


def manifest_hour(uri: str) -> datetime | None:
    parts = uri.rstrip("/").split("/")
    try:
        return datetime(int(parts[-5]), int(parts[-4]), int(parts[-3]), int(parts[-2]), tzinfo=UTC)
    except (ValueError, IndexError):
        return None


def dataset_lines(files: list[str], format: str, header: bool) -> Iterator[tuple[str, int, Any]]:
    for file in files:
        text = read_text(file)
        for number, line in enumerate(text.splitlines(), start=1):
            if (header and number == 1) or not line.strip():
                continue
            yield file, number, json.loads(line) if format == "json" else line
