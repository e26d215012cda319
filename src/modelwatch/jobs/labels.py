"""The labels of a window: the merge that ModelQuality and ModelBias jobs run before their analysis."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

import pyarrow as pa

from modelwatch.errors import EmptyDatasetError, ModelwatchError
from modelwatch.io.storage import join_uri, write_text
from modelwatch.jobs import JobOutcome
from modelwatch.jobs.definitions import JobDefinition
from modelwatch.jobs.inputs import format_of, parse_time
from modelwatch.jobs.spec import JobSpec
from modelwatch.monitors.merge import MergeResult, merge_window
from modelwatch.monitors.merge_batch import merge_batch_transform

__all__ = ["MERGE_SUMMARY_FILE", "labelled_window", "merge_counts"]

log = logging.getLogger("modelwatch.job")

MERGE_SUMMARY_FILE = "merge_summary.json"
"""The merge's counts, written beside the results."""


def merge_labels(job: JobSpec) -> MergeResult:
    """The window's predictions joined with the labels collected up to the scheduled time; the merged
    records are written under ``job.merge_uri`` and the counts to ``merge_summary.json``.

    Raises:
        EmptyDatasetError: the window holds no prediction (SageMaker's "Job inputs had no data").
        ModelwatchError: too few predictions have a label and ``too_few_labels`` is ``Fail``.
    """
    definition = job.monitor
    if not job.ground_truth_uri:
        raise ModelwatchError("no ground_truth_uri: where are the labels?")
    start, end = parse_time(job.window_start), parse_time(job.window_end)
    until = parse_time(job.scheduled_time or job.window_end)
    until = max(until, end)
    if job.endpoint_name:
        assert job.capture_uri is not None
        variant = definition.variant_name
        results = [
            merge_window(
                capture_uri=job.capture_uri,
                endpoint=job.endpoint_name,
                variant=name,
                start=start,
                end=end,
                ground_truth_uri=job.ground_truth_uri,
                labels_until=until,
                output_uri=job.merge_uri,
                include_input=True,
            )
            for name in ([variant] if variant else job.variants)
        ]
        result = _combined(results)
    else:
        source = definition.batch_transform_input
        assert source is not None
        format, header = format_of(source.dataset_format)
        result = merge_batch_transform(
            capture_destination_uri=source.data_captured_destination_uri,
            start=start,
            end=end,
            ground_truth_uri=job.ground_truth_uri,
            labels_until=until,
            output_uri=job.merge_uri,
            dataset_format="json" if format == "json" else "csv",
            header=header,
        )
    counts = result.counts
    write_text(join_uri(job.output_uri, MERGE_SUMMARY_FILE), json.dumps(asdict(counts), indent=2) + "\n")
    if not counts.captured:
        raise EmptyDatasetError(
            f"no predictions in [{job.window_start}, {job.window_end}): {counts.describe()}",
            file=job.capture_uri or _batch_transform_uri(definition),
        )
    return result


def _batch_transform_uri(definition: JobDefinition) -> str:
    source = definition.batch_transform_input
    assert source is not None
    return source.data_captured_destination_uri


def _combined(results: list[MergeResult]) -> MergeResult:
    if len(results) == 1:
        return results[0]
    totals = {name: sum(getattr(r.counts, name) for r in results) for name in asdict(results[0].counts)}
    return MergeResult(
        type(results[0].counts)(**totals),
        pa.concat_tables([r.table for r in results]),
        [file for r in results for file in r.merged_files],
        pa.concat_tables([r.unlabelled for r in results if r.unlabelled is not None]),
    )


def merge_counts(merged: MergeResult) -> dict[str, int]:
    c = merged.counts
    return {
        "labelled": c.matched,
        "unlabelled_predictions": c.unmatched_predictions,
        "unmatched_labels": c.unmatched_labels,
        "duplicate_labels": c.duplicate_labels,
        "invalid_label_lines": c.invalid_label_lines,
    }


def labelled_window(job: JobSpec) -> tuple[MergeResult, dict[str, Any], JobOutcome | None]:
    """The merge of the job's window, its counts for ``result.json``, and, when too few predictions have
    a label and the definition says ``too_few_labels: Complete``, the outcome to end with.

    Raises:
        ModelwatchError: too few labelled predictions and ``too_few_labels`` is ``Fail`` (the default).
    """
    merged = merge_labels(job)
    counts: dict[str, Any] = {"records": merged.counts.captured, **merge_counts(merged)}
    minimum = job.monitor.min_labelled_records
    if merged.counts.matched >= minimum:
        return merged, counts, None
    reason = f"too few labelled predictions (minimum {minimum}): {merged.counts.describe()}"
    if job.monitor.too_few_labels == "Fail":
        raise ModelwatchError(reason)
    log.warning("%s; completing without metrics", reason)
    return merged, counts, JobOutcome(f"Completed: {reason}; no metrics computed.", counts)
