"""The ground-truth merge job of model-quality monitoring: captured predictions joined with labels.

SageMaker runs it as a processing job of its own (``groundtruth-merge-…``, spec 2.2) before the
model-quality analysis. Here it is two functions, one per kind of capture:

* :func:`merge_window` joins an endpoint's capture records (``capture/{endpoint}/{variant}/yyyy/mm/dd/HH``)
  whose ``inferenceTime`` is in ``[start, end)``;
* :func:`merge_batch_transform` joins batch-transform output captured with ``GenerateInferenceId``
  (spec 1.4): the output files listed by the ``output`` manifests of the hours of ``[start, end)``.

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

Everything is vectorised: capture and label files are parsed by ``pyarrow.json`` (a per-line reference
path takes the files it cannot read exactly), the join is one ``pyarrow.compute.dictionary_encode`` of
the label ids and the prediction keys together, and merged lines are spliced from the captured line
text with ``pyarrow.compute`` string kernels. Memory holds the narrow columns of the window's
predictions (key, time, output payload, line offsets) and the labels, then only the matched rows;
capture lines are re-read from their files for the output.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.errors import ConfigurationError, DataError
from modelwatch.io._prefetch import prefetch
from modelwatch.io.capture import (
    _inference_time,
    capture_files,
    log_torn_line,
    parse_inference_time,
)
from modelwatch.io.capture_table import SHADOW_EXPERIMENT
from modelwatch.io.ground_truth import LabelTable, read_ground_truth
from modelwatch.io.hours import hour_files, utc
from modelwatch.io.payload_fields import _joined, _mask, json_objects, json_string
from modelwatch.io.storage import join_uri, read_bytes, read_text, write_bytes

__all__ = ["MergeCounts", "MergeResult", "merge_batch_transform", "merge_window"]

log = logging.getLogger("modelwatch.merge")

_PAYLOAD = pa.struct([("data", pa.string()), ("encoding", pa.string())])
_METADATA = pa.struct(
    [
        ("eventId", pa.string()),
        ("inferenceId", pa.string()),
        ("inferenceTime", pa.string()),
        ("invocationSource", pa.string()),
    ]
)
_BT_JSON = pa.schema([("SageMakerInferenceId", pa.string()), ("SageMakerInferenceTime", pa.string())])
_BT_CSV = r"^(?:(?P<output>.*),)?(?P<id>[^,]*),(?P<time>[^,]*)$"
_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
_INPUT_COLUMNS = ("input_data", "input_encoding")
_TIMESTAMP = pa.timestamp("s", tz="UTC")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


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


# --- capture side ---------------------------------------------------------------------------------------


@dataclass
class _Cut:
    """The predictions of one file (narrow columns) and what was skipped in it."""

    uri: str
    table: pa.Table  # key, time, output_data, output_encoding, [input_*], begin, end (byte offsets)
    outside: int = 0
    shadow: int = 0
    torn_line: int | None = None


def _capture_schema(with_input: bool) -> pa.Schema:
    payloads = [("endpointOutput", _PAYLOAD)] + ([("endpointInput", _PAYLOAD)] if with_input else [])
    return pa.schema([("captureData", pa.struct(payloads)), ("eventMetadata", _METADATA)])


def _columns(with_input: bool) -> list[str]:
    extra = list(_INPUT_COLUMNS) if with_input else []
    return ["key", "time", "output_data", "output_encoding", *extra, "begin", "end"]


def _parse_times(texts: pa.Array) -> pa.Array | None:
    """``inferenceTime`` texts as timestamp[s, UTC] (SageMaker's form parsed by Arrow, any other ISO 8601
    form by :func:`~modelwatch.io.capture.parse_inference_time` once per distinct text); None if a time
    is missing or bad (the reference path then raises its error)."""
    if texts.null_count:
        return None
    parsed = pc.strptime(texts, format=_TIME_FORMAT, unit="s", error_is_null=True).cast(_TIMESTAMP)
    if not parsed.null_count:
        return parsed
    odd = pc.unique(texts.filter(pc.is_null(parsed)))
    try:
        moments = [parse_inference_time(text) for text in odd.to_pylist()]
    except ValueError:
        return None
    fixed = pa.array(moments, _TIMESTAMP).take(pc.index_in(texts, value_set=odd))
    return pc.coalesce(parsed, fixed)


def _in_window(times: pa.Array, start: datetime, end: datetime) -> np.ndarray:
    low, high = pa.scalar(start, _TIMESTAMP), pa.scalar(end, _TIMESTAMP)
    return _mask(pc.and_(pc.greater_equal(times, low), pc.less(times, high)))


def _cut_capture(uri: str, data: bytes, start: datetime, end: datetime, with_input: bool) -> _Cut:
    fast = _cut_capture_fast(uri, data, start, end, with_input)
    return fast if fast is not None else _cut_capture_slow(uri, data, start, end, with_input)


def _line_bounds(head: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Start and end byte offsets of the lines of ``head`` (whole lines); None unless each starts with
    ``{`` and the bytes are UTF-8 (else the reference path must judge them)."""
    raw = np.frombuffer(head, np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    if raw[0] != ord("{") or (raw[ends[:-1] + 1] != ord("{")).any():
        return None
    if not head.isascii():
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return np.concatenate([[0], ends[:-1] + 1]).astype(np.int64), ends.astype(np.int64)


def _cut_capture_fast(uri: str, data: bytes, start: datetime, end: datetime, with_input: bool) -> _Cut | None:
    size = data.rfind(b"\n") + 1
    head, tail = data[:size], data[size:]
    torn = head.count(b"\n") + 1 if tail.strip() else None
    if not head:
        return _Cut(uri, _empty(with_input), torn_line=torn)
    bounds = _line_bounds(head)
    if bounds is None:
        return None
    table = json_objects(head, bounds[0].size, schema=_capture_schema(with_input))
    if table is None:
        return None
    metadata = table.column("eventMetadata").combine_chunks()
    times = _parse_times(pc.struct_field(metadata, "inferenceTime"))
    if times is None:
        return None
    inside = _in_window(times, start, end)
    shadow = inside & _mask(pc.equal(pc.struct_field(metadata, "invocationSource"), SHADOW_EXPERIMENT))
    keep = pa.array(inside & ~shadow)
    captured = table.column("captureData").combine_chunks()
    output = pc.struct_field(captured, "endpointOutput")
    inference_id = pc.struct_field(metadata, "inferenceId")
    inference_id = pc.if_else(pc.equal(inference_id, ""), pa.scalar(None, pa.string()), inference_id)
    columns = [
        pc.coalesce(inference_id, pc.struct_field(metadata, "eventId")),
        times,
        pc.struct_field(output, "data"),
        pc.struct_field(output, "encoding"),
    ]
    if with_input:
        payload = pc.struct_field(captured, "endpointInput")
        columns += [pc.struct_field(payload, "data"), pc.struct_field(payload, "encoding")]
    columns += [pa.array(bounds[0]), pa.array(bounds[1])]
    narrow = pa.table(columns, names=_columns(with_input)).filter(keep)
    outside = int((~inside).sum())
    return _Cut(uri, narrow, outside=outside, shadow=int(shadow.sum()), torn_line=torn)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _cut_capture_slow(uri: str, data: bytes, start: datetime, end: datetime, with_input: bool) -> _Cut:
    """The reference path: the rules of :class:`~modelwatch.io.capture.CaptureRead`, line by line."""
    rows: list[list[Any]] = []
    cut = _Cut(uri, _empty(with_input))
    lines = list(io.BytesIO(data))
    position = 0
    for number, line in enumerate(lines, start=1):
        begin, position = position, position + len(line)
        if not line.strip():
            continue
        last = number == len(lines)
        try:
            if last and not line.endswith(b"\n"):
                raise ValueError("no final newline")
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as error:
            if not last:
                raise DataError(f"malformed capture record: {error}", file=uri, line=number) from error
            cut.torn_line = number
            continue
        moment = _inference_time(record, uri, number)
        if not start <= moment < end:
            cut.outside += 1
            continue
        metadata = record["eventMetadata"]
        if metadata.get("invocationSource") == SHADOW_EXPERIMENT:
            cut.shadow += 1
            continue
        payloads = record.get("captureData")
        payloads = payloads if isinstance(payloads, dict) else {}
        row = [
            _text(metadata.get("inferenceId")) or _text(metadata.get("eventId")),
            moment,
        ]
        for side in ("endpointOutput", "endpointInput") if with_input else ("endpointOutput",):
            payload = payloads.get(side)
            payload = payload if isinstance(payload, dict) else {}
            row += [_text(payload.get("data")), _text(payload.get("encoding"))]
        row += [begin, begin + len(line.rstrip(b"\n"))]
        rows.append(row)
    if rows:
        names = _columns(with_input)
        cut.table = pa.Table.from_pylist(
            [dict(zip(names, row, strict=True)) for row in rows], schema=cut.table.schema
        )
    return cut


def _empty(with_input: bool) -> pa.Table:
    names = _columns(with_input)
    types = [pa.string(), _TIMESTAMP] + [pa.string()] * (len(names) - 4) + [pa.int64(), pa.int64()]
    return pa.schema(list(zip(names, types, strict=True))).empty_table()


# --- the join -------------------------------------------------------------------------------------------


@dataclass
class _Joined:
    captured: pa.Table  # the matched rows of the capture side, with a "file" column
    labels: pa.Array  # the label of each matched row
    unmatched_labels: int
    duplicates: int
    unlabelled: pa.Table  # the capture rows without a label


def _join(predictions: pa.Table, labels: LabelTable) -> _Joined:
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
    return _Joined(
        predictions.filter(pa.array(found)),
        label_data,
        int((~seen).sum()),
        len(ids) - distinct,
        predictions.filter(pa.array(~found)),
    )


def _result_table(joined: _Joined, with_input: bool) -> pa.Table:
    captured = joined.captured
    columns = {
        "event_id": captured.column("key").combine_chunks(),
        "inference_time": captured.column("time").combine_chunks(),
        "output_data": captured.column("output_data").combine_chunks(),
        "output_encoding": captured.column("output_encoding").combine_chunks(),
        "ground_truth": joined.labels,
    }
    if with_input:
        columns |= {name: captured.column(name).combine_chunks() for name in _INPUT_COLUMNS}
    return pa.table(columns)


def _check_range(
    start: datetime, end: datetime, labels_until: datetime
) -> tuple[datetime, datetime, datetime]:
    start, end, until = utc(start), utc(end), utc(labels_until)
    if end <= start:
        raise ConfigurationError(f"merge window end {end.isoformat()} is not after start {start.isoformat()}")
    if until <= start:
        raise ConfigurationError(
            f"labels_until {until.isoformat()} is not after the window start {start.isoformat()}"
        )
    return start, end, until


def _file_name(start: datetime, end: datetime) -> str:
    return f"{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}.jsonl"


def _write_by_hour(lines: pa.Array, times: pa.Array, folder_uri: str, name: str) -> list[str]:
    """Write ``lines`` (each ending in a newline) into the hour folders of ``times``; the written URIs."""
    if not len(lines):
        return []
    hours = pc.floor_temporal(times, unit="hour")
    written = []
    for hour in pc.unique(hours).sort().to_pylist():
        rows = pc.equal(hours, pa.scalar(hour, hours.type))
        uri = join_uri(folder_uri, f"{hour:%Y/%m/%d/%H}", name)
        write_bytes(uri, _joined(lines.filter(rows)).to_pybytes())
        written.append(uri)
    return written


def _label_objects(labels: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(
        ',"groundTruthData":{"data":', json_string(labels), ',"encoding":"CSV"}}\n', ""
    )


def _capture_lines(files: list[str], captured: pa.Table) -> pa.Array:
    """The captured lines of the matched rows (in their order, which is file order), re-read from their
    files, without trailing whitespace and without the final ``}``: ready for ``groundTruthData``."""
    file_of = np.asarray(captured.column("file").to_numpy(), np.int64)
    begins = np.asarray(captured.column("begin").to_numpy(), np.int64)
    ends = np.asarray(captured.column("end").to_numpy(), np.int64)
    parts = []
    for index in np.unique(file_of):
        rows = np.flatnonzero(file_of == index)
        uri = files[int(index)]
        data = read_bytes(uri)
        offsets = np.empty(2 * rows.size, np.int64)
        offsets[0::2], offsets[1::2] = begins[rows], ends[rows]
        if len(data) < int(offsets[-1]):
            raise DataError("capture file shrank while it was merged", file=uri)
        spans = pa.Array.from_buffers(
            pa.large_string(), offsets.size - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        lines = spans.take(pa.array(np.arange(0, offsets.size, 2))).cast(pa.string())
        try:
            lines.validate(full=True)
        except pa.ArrowInvalid as error:
            raise DataError(f"capture file changed while it was merged: {error}", file=uri) from error
        lines = pc.utf8_rtrim_whitespace(lines)
        if not _mask(pc.ends_with(lines, "}")).all():
            raise DataError("capture file changed while it was merged: a line is not an object", file=uri)
        parts.append(pc.utf8_slice_codeunits(lines, 0, -1))
    return pa.concat_arrays(parts)


def _read_captures(
    files: list[str], start: datetime, end: datetime, with_input: bool
) -> tuple[pa.Table, int, int, int]:
    """The predictions of ``files`` in the window, with a ``file`` column; outside, shadow, torn counts."""
    tables = []
    outside = shadow = torn = 0
    cuts: Iterator[_Cut] = prefetch(
        _cut_capture(uri, read_bytes(uri), start, end, with_input) for uri in files
    )
    for index, cut in enumerate(cuts):
        outside += cut.outside
        shadow += cut.shadow
        if cut.torn_line is not None:
            torn += 1
            log_torn_line(cut.uri, cut.torn_line, "torn or not valid JSON")
        tables.append(cut.table.append_column("file", pa.array(np.full(cut.table.num_rows, index, np.int32))))
    empty = _empty(with_input)
    table = pa.concat_tables(tables) if tables else empty.append_column("file", pa.array([], pa.int32()))
    return table, outside, shadow, torn


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
    start, end, until = _check_range(start, end, labels_until)
    files = capture_files(capture_uri, endpoint, variant, start, end)
    labels = read_ground_truth(ground_truth_uri, start, until)
    predictions, outside, shadow, torn = _read_captures(files, start, end, include_input)
    joined = _join(predictions, labels)
    table = _result_table(joined, include_input)
    merged: list[str] = []
    if output_uri is not None and joined.captured.num_rows:
        lines = pc.binary_join_element_wise(
            _capture_lines(files, joined.captured), _label_objects(joined.labels), ""
        )
        times = table.column("inference_time").combine_chunks()
        merged = _write_by_hour(lines, times, join_uri(output_uri, endpoint, variant), _file_name(start, end))
    counts = _counts(predictions, joined, labels, outside, shadow, torn, len(files))
    log.info("merge %s/%s [%s, %s): %s", endpoint, variant, start, end, counts.describe())
    unlabelled = pa.table(
        {
            "event_id": joined.unlabelled.column("key"),
            "output_data": joined.unlabelled.column("output_data"),
            "output_encoding": joined.unlabelled.column("output_encoding"),
        }
    )
    return MergeResult(counts, table, merged, unlabelled)


def _counts(
    predictions: pa.Table,
    joined: _Joined,
    labels: LabelTable,
    outside: int,
    shadow: int,
    torn: int,
    files: int,
) -> MergeCounts:
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


# --- batch transform ------------------------------------------------------------------------------------

BatchFormat = Literal["csv", "json"]


def _output_manifests(destination_uri: str, start: datetime, end: datetime) -> list[str]:
    """The ``output`` manifests (``*.manifest``) in the hour folders that overlap ``[start, end)``."""
    return hour_files(join_uri(destination_uri, "output"), start, end, keep=lambda p: p.endswith(".manifest"))


def _manifest_files(manifest_uri: str) -> list[str]:
    """The files a manifest lists: its ``{"prefix": …}`` joined with each relative key."""
    try:
        items = json.loads(read_text(manifest_uri))
        prefix = items[0]["prefix"]
        keys = [str(key) for key in items[1:]]
    except (ValueError, LookupError, TypeError) as error:
        raise DataError(f"not a batch-transform manifest: {error}", file=manifest_uri) from error
    return [join_uri(prefix, key) for key in keys]


def _lines(data: bytes, header: bool) -> tuple[pa.Array, np.ndarray]:
    """The non-blank lines of ``data`` (line ends stripped) and their 1-based numbers.

    Raises:
        pa.ArrowInvalid: the data is not UTF-8.
    """
    body = data if data.endswith(b"\n") or not data else data + b"\n"
    ends = np.flatnonzero(np.frombuffer(body, np.uint8) == ord("\n"))
    offsets = np.concatenate([[0], ends + 1]).astype(np.int64)
    spans = pa.Array.from_buffers(
        pa.large_string(), ends.size, [None, pa.py_buffer(offsets), pa.py_buffer(body)]
    )
    spans.validate(full=True)
    lines = pc.utf8_rtrim(spans, characters="\r\n").cast(pa.string())
    numbers = np.arange(1, ends.size + 1, dtype=np.int64)
    keep = ~_mask(pc.match_substring_regex(lines, r"^\s*$"))
    if header:
        keep[np.flatnonzero(keep)[:1]] = False
    return lines.filter(pa.array(keep)), numbers[keep]


def _bt_rows(uri: str, data: bytes, format: BatchFormat, header: bool) -> pa.Table:
    """key, time, output_data, output_encoding of each output line of one transform output file."""
    try:
        lines, numbers = _lines(data, header)
    except pa.ArrowInvalid as error:
        raise DataError(f"transform output is not UTF-8: {error}", file=uri) from error
    if format == "csv":
        parts = pc.extract_regex(lines, _BT_CSV)
        keys, times = pc.struct_field(parts, "id"), pc.struct_field(parts, "time")
        output, encoding = pc.struct_field(parts, "output").fill_null(""), "CSV"
        problem = "has no SageMakerInferenceId and time columns at its end"
    else:
        keys, times = _bt_json_ids(uri, lines, numbers)
        output, encoding = lines, "JSON"
        problem = "has no SageMakerInferenceId and SageMakerInferenceTime"
    bad = ~_mask(pc.match_substring_regex(times, _TIME)) | ~_mask(pc.greater(pc.binary_length(keys), 0))
    if bad.any():
        line = int(numbers[np.flatnonzero(bad)[0]])
        raise DataError(f"transform output line {problem} (was GenerateInferenceId on?)", file=uri, line=line)
    return pa.table(
        {
            "key": keys,
            "time": times,
            "output_data": output,
            "output_encoding": pa.repeat(encoding, len(lines)).cast(pa.string()),
        }
    )


def _bt_json_ids(uri: str, lines: pa.Array, numbers: np.ndarray) -> tuple[pa.Array, pa.Array]:
    starts = _mask(pc.starts_with(pc.utf8_ltrim_whitespace(lines), "{"))
    table = None
    if starts.all() and len(lines):
        buffer = _joined(pc.binary_join_element_wise(lines, "\n", ""))
        table = json_objects(buffer, len(lines), schema=_BT_JSON)
    if table is not None:
        return (
            table.column("SageMakerInferenceId").combine_chunks(),
            table.column("SageMakerInferenceTime").combine_chunks(),
        )
    ids: list[str | None] = []
    times: list[str | None] = []
    for number, line in zip(numbers, lines.to_pylist(), strict=True):
        try:
            value = json.loads(line)
        except ValueError as error:
            raise DataError(
                f"transform output line is not one JSON document: {error}", file=uri, line=int(number)
            ) from error
        record = value if isinstance(value, dict) else {}
        ids.append(_text(record.get("SageMakerInferenceId")))
        times.append(_text(record.get("SageMakerInferenceTime")))
    return pa.array(ids, pa.string()), pa.array(times, pa.string())


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
    payload). Labels, counts and the table as in :func:`merge_window`; merged files go to
    ``{output_uri}/yyyy/mm/dd/HH/``, each line a capture-style record of the output line plus
    ``groundTruthData``.

    Raises:
        ConfigurationError: a bad range or format.
        DataError: an output line without the inference id and time, a JSON line that is not one
            document, or a bad manifest (names file and line).
        StorageError: a file cannot be listed, read or written.
    """
    start, end, until = _check_range(start, end, labels_until)
    if dataset_format not in ("csv", "json"):
        raise ConfigurationError(f"dataset_format must be 'csv' or 'json'; got {dataset_format!r}")
    files = [
        f
        for manifest in _output_manifests(capture_destination_uri, start, end)
        for f in _manifest_files(manifest)
    ]
    labels = read_ground_truth(ground_truth_uri, start, until)
    tables = []
    outside = 0
    for uri, data in prefetch((uri, read_bytes(uri)) for uri in files):
        rows = _bt_rows(uri, data, dataset_format, header)
        times = _parse_times(rows.column("time").combine_chunks())
        if times is None:
            raise DataError("transform output has a bad SageMakerInferenceTime", file=uri)
        rows = rows.set_column(1, "time", times)
        inside = _in_window(times, start, end)
        outside += int((~inside).sum())
        tables.append(rows.filter(pa.array(inside)))
    schema = pa.schema(
        [
            ("key", pa.string()),
            ("time", _TIMESTAMP),
            ("output_data", pa.string()),
            ("output_encoding", pa.string()),
        ]
    )
    predictions = pa.concat_tables(tables) if tables else schema.empty_table()
    joined = _join(predictions, labels)
    table = _result_table(joined, False)
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
            _label_objects(joined.labels),
            "",
        )
        times = table.column("inference_time").combine_chunks()
        merged = _write_by_hour(lines, times, output_uri, _file_name(start, end))
    counts = _counts(predictions, joined, labels, outside, 0, 0, len(files))
    log.info(
        "merge of batch transform %s [%s, %s): %s", capture_destination_uri, start, end, counts.describe()
    )
    return MergeResult(counts, table, merged)
