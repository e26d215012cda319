"""The ground-truth merge of batch-transform output captured with ``GenerateInferenceId`` (spec 1.4).

The rules are those of :mod:`modelwatch.monitors.merge` (latest label wins, unmatched predictions and
labels counted), with the ``SageMakerInferenceId`` of each output line as the join key and its
``SageMakerInferenceTime`` (the job start) as the inference time; the output files are read by
:mod:`modelwatch.io.transform_output`.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.errors import ConfigurationError, DataError
from modelwatch.io.capture_columns import INFERENCE_TIME, in_window, parse_inference_times
from modelwatch.io.ground_truth import read_ground_truth
from modelwatch.io.hourly_lines import write_lines_by_hour
from modelwatch.io.payload_fields import json_string
from modelwatch.io.transform_output import TransformFormat, read_transform_outputs, transform_output_files
from modelwatch.monitors.label_join import (
    MergeResult,
    check_range,
    join_labels,
    label_objects,
    merge_counts,
    merged_file_name,
    result_table,
)

__all__ = ["BatchFormat", "merge_batch_transform"]

log = logging.getLogger("modelwatch.merge")

BatchFormat = TransformFormat
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_PREDICTIONS = pa.schema(
    [
        ("key", pa.string()),
        ("time", INFERENCE_TIME),
        ("output_data", pa.string()),
        ("output_encoding", pa.string()),
    ]
)


def merge_batch_transform(
    *,
    capture_destination_uri: str,
    start: datetime,
    end: datetime,
    ground_truth_uri: str,
    labels_until: datetime,
    output_uri: str | None = None,
    dataset_format: BatchFormat = "csv",
    header: bool = False,
) -> MergeResult:
    """Join batch-transform output captured with ``GenerateInferenceId`` with its labels.

    ``capture_destination_uri`` is the ``BatchDataCaptureConfig.DestinationS3Uri``: the output files are
    those listed by the manifests in ``{destination}/output/yyyy/mm/dd/HH/`` of the hours that overlap
    ``[start, end)``, and a row counts when its inference time (the job start) is in ``[start, end)``.
    ``dataset_format`` is the output's: ``"csv"`` (the id and time are the last two columns; the rest
    of the line is the output payload; ``header`` drops each file's first line) or ``"json"`` (JSON
    Lines with the keys ``SageMakerInferenceId`` / ``SageMakerInferenceTime``; the line is the
    payload). Labels, counts and the table as in :func:`~modelwatch.monitors.merge.merge_window`; merged
    files go to ``{output_uri}/yyyy/mm/dd/HH/``, each line a capture-style record of the output line plus
    ``groundTruthData``.

    Raises:
        ConfigurationError: a bad range or format.
        DataError: an output line without the inference id and time, a JSON line that is not one
            document, or a bad manifest (names file and line).
        StorageError: a file cannot be listed, read or written.
    """
    start, end, until = check_range(start, end, labels_until)
    if dataset_format not in ("csv", "json"):
        raise ConfigurationError(f"dataset_format must be 'csv' or 'json'; got {dataset_format!r}")
    files = transform_output_files(capture_destination_uri, start, end)
    labels = read_ground_truth(ground_truth_uri, start, until)
    tables = []
    outside = 0
    for uri, rows in read_transform_outputs(files, dataset_format, header):
        times = parse_inference_times(rows.column("time").combine_chunks())
        if times is None:
            raise DataError("transform output has a bad SageMakerInferenceTime", file=uri)
        rows = rows.set_column(1, "time", times)
        inside = in_window(times, start, end)
        outside += int((~inside).sum())
        tables.append(rows.filter(pa.array(inside)))
    predictions = pa.concat_tables(tables) if tables else _PREDICTIONS.empty_table()
    joined = join_labels(predictions, labels)
    table = result_table(joined, False)
    merged: list[str] = []
    if output_uri is not None and joined.captured.num_rows:
        content_type = "text/csv" if dataset_format == "csv" else "application/jsonlines"
        captured = joined.captured
        lines = pc.binary_join_element_wise(
            f'{{"captureData":{{"endpointOutput":{{"observedContentType":"{content_type}","mode":"OUTPUT","data":',
            json_string(captured.column("output_data").combine_chunks()),
            ',"encoding":',
            json_string(captured.column("output_encoding").combine_chunks()),
            '}},"eventMetadata":{"eventId":',
            json_string(captured.column("key").combine_chunks()),
            ',"inferenceTime":',
            json_string(pc.strftime(captured.column("time").combine_chunks(), _TIME_FORMAT)),
            '},"eventVersion":"0"',
            label_objects(joined.labels),
            "",
        )
        times = table.column("inference_time").combine_chunks()
        merged = write_lines_by_hour(lines, times, output_uri, merged_file_name(start, end))
    counts = merge_counts(predictions, joined, labels, outside, 0, 0, len(files))
    log.info(
        "merge of batch transform %s [%s, %s): %s", capture_destination_uri, start, end, counts.describe()
    )
    return MergeResult(counts, table, merged)
