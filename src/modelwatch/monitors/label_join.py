"""What both ground-truth merges share: their result types, the join of predictions with labels, and
the merged files (the rules are in :mod:`modelwatch.monitors.merge`).

A merge reads its predictions as a table with the columns ``key``, ``time`` (timestamp[s, UTC]),
``output_data``, ``output_encoding`` (plus, for endpoints, ``input_data`` / ``input_encoding`` and the
line offsets) and hands it with the labels to :func:`join_labels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.errors import ConfigurationError
from modelwatch.io.capture_columns import INPUT_COLUMNS
from modelwatch.io.ground_truth import LabelTable
from modelwatch.io.hours import utc
from modelwatch.io.payload_fields import json_string

__all__ = [
    "Joined",
    "MergeCounts",
    "MergeResult",
    "check_range",
    "join_labels",
    "label_objects",
    "merge_counts",
    "merged_file_name",
    "result_table",
]


@dataclass(frozen=True)
class MergeCounts:
    """What a merge read, matched and skipped; enough to explain an empty merge (:meth:`describe`)."""

    captured: int  # predictions in the window (shadow records not counted)
    matched: int  # predictions with a label: the rows of the result
    unmatched_predictions: int  # predictions without a label (missing_id ones included)
    unmatched_labels: int  # distinct label ids read that no prediction of the window has
    duplicate_labels: int  # label lines replaced by a later label of the same id
    invalid_label_lines: int  # label lines skipped as invalid (logged with file and line)
    torn_capture_lines: int  # torn last capture lines skipped
    labels: int  # valid label lines read
    shadow_skipped: int  # shadow-variant records in the window, skipped
    outside_window: int  # capture records of the hour folders outside [start, end)
    missing_id: int  # predictions with neither inferenceId nor eventId (never matched)
    capture_files: int  # capture (or batch-transform output) files read
    label_files: int  # ground-truth files read

    def describe(self) -> str:
        """One sentence on the outcome, naming the likely cause when nothing matched."""
        head = (
            f"{self.matched} of {self.captured} predictions matched a label "
            f"({self.labels} labels read from {self.label_files} files, {self.invalid_label_lines} invalid "
            f"lines, {self.duplicate_labels} duplicates, {self.unmatched_labels} labels of other ids)"
        )
        if self.matched:
            return head
        if not self.capture_files:
            return f"{head}: no capture files in the window"
        if not self.captured:
            return f"{head}: no predictions in the window"
        if not self.labels:
            return f"{head}: no valid labels in the ground-truth hours read"
        return f"{head}: no label's eventId equals a prediction's id (inferenceId, else eventId)"


@dataclass(frozen=True)
class MergeResult:
    """The merged predictions: ``table`` has one row per matched prediction, in capture order, with
    ``event_id`` (the join key), ``inference_time`` (timestamp[s, UTC]), ``output_data``,
    ``output_encoding``, ``ground_truth`` (the label), and ``input_data`` / ``input_encoding`` when asked
    for. ``merged_files`` are the files written (empty without ``output_uri``)."""

    counts: MergeCounts
    table: pa.Table
    merged_files: list[str] = field(default_factory=list)
    unlabelled: pa.Table | None = None
    """The predictions without a label (``event_id``, ``output_data``, ``output_encoding``), for
    estimating quality before the labels arrive; endpoints only."""


@dataclass
class Joined:
    """The predictions split by :func:`join_labels`."""

    captured: pa.Table  # the matched rows of the predictions
    labels: pa.Array  # the label of each matched row
    unmatched_labels: int
    duplicates: int
    unlabelled: pa.Table  # the prediction rows without a label


def join_labels(predictions: pa.Table, labels: LabelTable) -> Joined:
    """Each prediction's latest label, by one dictionary encoding of the label ids followed by the
    prediction keys: label ids get the codes ``0..k-1`` (first seen first), so a key whose code is
    below ``k`` has a label, and the label row of a code is the last row that carries it."""
    ids = labels.table.column("event_id").combine_chunks()
    keys = predictions.column("key").combine_chunks()
    encoded = pc.dictionary_encode(pa.concat_arrays([ids, keys]))
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
    label_codes, key_codes = codes[: len(ids)], codes[len(ids) :]
    distinct = int(label_codes.max()) + 1 if label_codes.size else 0
    last = np.full(distinct, -1, np.int64)
    np.maximum.at(last, label_codes, np.arange(label_codes.size))
    found = (key_codes >= 0) & (key_codes < distinct)
    seen = np.zeros(distinct, bool)
    seen[key_codes[found]] = True
    rows = pa.array(last[key_codes[found]])
    label_data = labels.table.column("data").combine_chunks().take(rows)
    return Joined(
        predictions.filter(pa.array(found)),
        label_data,
        int((~seen).sum()),
        len(ids) - distinct,
        predictions.filter(pa.array(~found)),
    )


def result_table(joined: Joined, with_input: bool) -> pa.Table:
    """The :attr:`MergeResult.table` of ``joined``."""
    captured = joined.captured
    columns = {
        "event_id": captured.column("key").combine_chunks(),
        "inference_time": captured.column("time").combine_chunks(),
        "output_data": captured.column("output_data").combine_chunks(),
        "output_encoding": captured.column("output_encoding").combine_chunks(),
        "ground_truth": joined.labels,
    }
    if with_input:
        columns |= {name: captured.column(name).combine_chunks() for name in INPUT_COLUMNS}
    return pa.table(columns)


def merge_counts(
    predictions: pa.Table,
    joined: Joined,
    labels: LabelTable,
    outside: int,
    shadow: int,
    torn: int,
    files: int,
) -> MergeCounts:
    """The counts of a merge of ``predictions`` (those in the window) read from ``files`` files."""
    captured = predictions.num_rows
    matched = joined.captured.num_rows
    return MergeCounts(
        captured=captured,
        matched=matched,
        unmatched_predictions=captured - matched,
        unmatched_labels=joined.unmatched_labels,
        duplicate_labels=joined.duplicates,
        invalid_label_lines=labels.invalid_lines,
        torn_capture_lines=torn,
        labels=labels.table.num_rows,
        shadow_skipped=shadow,
        outside_window=outside,
        missing_id=predictions.column("key").null_count,
        capture_files=files,
        label_files=len(labels.files),
    )


def check_range(
    start: datetime, end: datetime, labels_until: datetime
) -> tuple[datetime, datetime, datetime]:
    """``start``, ``end``, ``labels_until`` as UTC.

    Raises:
        ConfigurationError: ``end`` is not after ``start``, or ``labels_until`` not after ``start``.
    """
    start, end, until = utc(start), utc(end), utc(labels_until)
    if end <= start:
        raise ConfigurationError(f"merge window end {end.isoformat()} is not after start {start.isoformat()}")
    if until <= start:
        raise ConfigurationError(
            f"labels_until {until.isoformat()} is not after the window start {start.isoformat()}"
        )
    return start, end, until


def merged_file_name(start: datetime, end: datetime) -> str:
    """The name of a window's merged file in each hour folder, so that a re-run replaces its files."""
    return f"{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}.jsonl"


def label_objects(labels: pa.Array) -> pa.Array:
    """The ``groundTruthData`` key of each label and the record's closing ``}`` and newline."""
    return pc.binary_join_element_wise(
        ',"groundTruthData":{"data":', json_string(labels), ',"encoding":"CSV"}}\n', ""
    )
