"""The ground-truth merge job of model-quality monitoring: captured predictions joined with labels.

SageMaker runs it as a processing job of its own (``groundtruth-merge-…``, spec 2.2) before the
model-quality analysis. Here it is two functions, one per kind of capture:

* :func:`merge_window` (this module) joins an endpoint's capture records
  (``capture/{endpoint}/{variant}/yyyy/mm/dd/HH``) whose ``inferenceTime`` is in ``[start, end)``;
* :func:`~modelwatch.monitors.merge_batch.merge_batch_transform` joins batch-transform output captured
  with ``GenerateInferenceId`` (spec 1.4): the output files listed by the ``output`` manifests of the
  hours of ``[start, end)``.

The rule (documented in ``docs/ground-truth.md``):

* **join key** — a capture record's ``eventMetadata.inferenceId`` if it has one, else its
  ``eventMetadata.eventId``; for batch transform the ``SageMakerInferenceId`` (CSV: the second-to-last
  column; JSON: the key). It must equal the label's ``eventMetadata.eventId``.
* **label hours** — the ground-truth hour folders (hour = collection time) from the hour of ``start`` up
  to ``labels_until`` (the scheduled time of the execution), so a window shifted back by offsets
  picks up labels collected after it.
* **latest wins** — of several labels of one id the last collected counts: later hour folder, then
  later file name, then later line. The others are counted (``duplicate_labels``).
* Predictions without a label are dropped and counted (``unmatched_predictions``), and so are labels
  of ids that no prediction of the window has (``unmatched_labels``: labels of other windows are
  among them). Shadow-variant records are skipped, invalid label lines skipped and counted, a torn
  last capture line skipped and counted, as the capture readers do.

The result is an Arrow table, one row per matched prediction in capture order, and with
``output_uri`` the merged records as files: each line the capture record's text as captured, with a
top-level ``"groundTruthData":{"data":…,"encoding":"CSV"}`` added after its keys, in
``{output_uri}/{endpoint}/{variant}/yyyy/mm/dd/HH/`` of the inference hour (batch transform:
``{output_uri}/yyyy/mm/dd/HH/``, a capture-style record built from the output line). One file per hour
and window, ``{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}.jsonl``, so a re-run replaces its files.

Everything is vectorised: capture files are read into narrow columns by
:func:`~modelwatch.io.capture_columns.read_capture_columns` and label files by
:func:`~modelwatch.io.ground_truth.read_ground_truth`, both with ``pyarrow.json`` (a per-line reference
path takes the files it cannot read exactly); the join (:mod:`modelwatch.monitors.label_join`) is one
``pyarrow.compute.dictionary_encode`` of the label ids and the prediction keys together, and merged
lines are spliced from the captured line text with ``pyarrow.compute`` string kernels. Memory holds the
narrow columns of the window's predictions (key, time, output payload, line offsets) and the labels,
then only the matched rows; capture lines are re-read from their files for the output.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.io.capture import capture_files
from modelwatch.io.capture_columns import capture_lines, read_capture_columns
from modelwatch.io.ground_truth import read_ground_truth
from modelwatch.io.hourly_lines import write_lines_by_hour
from modelwatch.io.storage import join_uri
from modelwatch.monitors.label_join import (
    MergeCounts,
    MergeResult,
    check_range,
    join_labels,
    label_objects,
    merge_counts,
    merged_file_name,
    result_table,
)

__all__ = ["MergeCounts", "MergeResult", "merge_window"]

log = logging.getLogger("modelwatch.merge")


def merge_window(
    *,
    capture_uri: str,
    endpoint: str,
    variant: str,
    start: datetime,
    end: datetime,
    ground_truth_uri: str,
    labels_until: datetime,
    output_uri: str | None = None,
    include_input: bool = False,
) -> MergeResult:
    """Join the capture records of ``endpoint``/``variant`` with ``inferenceTime`` in ``[start, end)``
    with the labels under ``ground_truth_uri`` collected in the hours from ``start`` to ``labels_until``
    (see the module docstring). ``capture_uri`` is the capture root (``DestinationS3Uri``),
    ``ground_truth_uri`` the ground-truth prefix (:func:`~modelwatch.io.ground_truth.ground_truth_prefix`).
    Naive datetimes are UTC. ``include_input`` adds the ``endpointInput`` payload to the table.

    Raises:
        ConfigurationError: ``end`` is not after ``start``, or ``labels_until`` not after ``start``.
        DataError: a malformed capture line before the last one of a file, or a capture record without
            a valid ``inferenceTime`` (names file and line).
        StorageError: a file cannot be listed, read or written.
    """
    start, end, until = check_range(start, end, labels_until)
    files = capture_files(capture_uri, endpoint, variant, start, end)
    labels = read_ground_truth(ground_truth_uri, start, until)
    read = read_capture_columns(files, start, end, with_input=include_input)
    predictions = read.table
    joined = join_labels(predictions, labels)
    table = result_table(joined, include_input)
    merged: list[str] = []
    if output_uri is not None and joined.captured.num_rows:
        lines = pc.binary_join_element_wise(
            capture_lines(files, joined.captured), label_objects(joined.labels), ""
        )
        times = table.column("inference_time").combine_chunks()
        merged = write_lines_by_hour(
            lines, times, join_uri(output_uri, endpoint, variant), merged_file_name(start, end)
        )
    counts = merge_counts(
        predictions, joined, labels, read.outside_window, read.shadow_skipped, read.torn_lines, len(files)
    )
    log.info("merge %s/%s [%s, %s): %s", endpoint, variant, start, end, counts.describe())
    unlabelled = pa.table(
        {
            "event_id": joined.unlabelled.column("key"),
            "output_data": joined.unlabelled.column("output_data"),
            "output_encoding": joined.unlabelled.column("output_encoding"),
        }
    )
    return MergeResult(counts, table, merged, unlabelled)
