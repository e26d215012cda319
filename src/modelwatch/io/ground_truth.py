"""Ground truth: the labels that model-quality monitoring joins with captured predictions (spec 2.1).

One JSON object per line::

    {"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"order-42"},"eventVersion":"0"}

A valid record has ``groundTruthData.data``, a non-empty string (the label), ``groundTruthData.encoding``
``"CSV"``, ``eventMetadata.eventId``, a non-empty string (the capture record's ``inferenceId`` if it has
one, else its ``eventId``), and ``eventVersion`` ``"0"``. Other keys are allowed and kept. Blank lines
are ignored; a missing final newline is fine.

Files live under a **prefix** (SageMaker's ``GroundTruthS3Input.S3Uri``) in hour folders of the time
the labels were **collected**: ``{prefix}/yyyy/mm/dd/HH/{any-name}``. modelwatch's own prefix for an
endpoint is ``{root}/ground-truth/{endpoint}`` (:func:`ground_truth_prefix`) and its files are named
``{MM}-{SS}-{mmm}-{uuid4}.jsonl`` after the collection time, as capture files are.

* :func:`parse_ground_truth` checks a whole upload and returns the valid records plus one
  :class:`~modelwatch.errors.DataError` per bad line (file, line, key), so an upload can be rejected
  with every bad line listed;
* :func:`write_ground_truth` writes a valid upload as one new file in the hour of its collection;
* :func:`read_ground_truth` reads the hours of a time range into an Arrow table, skipping, counting
  and logging bad lines.

Parsing is vectorised: a file is read by ``pyarrow.json`` with an explicit schema and checked with
``pyarrow.compute``. A file that ``pyarrow.json`` cannot read exactly as ``json.loads`` does (a line
that is not one object, a value of another type, a duplicate key, invalid UTF-8, a blank line) is read
line by line with ``json.loads``; both give the same records and the same problems.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.errors import ConfigurationError, DataError, EmptyDatasetError
from modelwatch.io._prefetch import prefetch
from modelwatch.io.hours import hour_files, utc
from modelwatch.io.payload_fields import json_objects, true_mask
from modelwatch.io.storage import join_uri, read_bytes, write_bytes

__all__ = [
    "GROUND_TRUTH_FOLDER",
    "GroundTruthBatch",
    "LabelTable",
    "ground_truth_files",
    "ground_truth_prefix",
    "parse_ground_truth",
    "read_ground_truth",
    "write_ground_truth",
]

log = logging.getLogger("modelwatch.ground_truth")

GROUND_TRUTH_FOLDER = "ground-truth"
_LOGGED_PER_FILE = 100

_SCHEMA = pa.schema(
    [
        ("groundTruthData", pa.struct([("data", pa.string()), ("encoding", pa.string())])),
        ("eventMetadata", pa.struct([("eventId", pa.string())])),
        ("eventVersion", pa.string()),
    ]
)
_COLUMNS = pa.schema([("event_id", pa.string()), ("data", pa.string()), ("line", pa.int64())])

# The rules in the order they are checked: (key, reason). A line reports its first broken rule.
_NOT_OBJECT = (None, "not a JSON object")
_NO_LABEL_OBJECT = ("groundTruthData", "groundTruthData must be an object")
_NO_DATA = ("groundTruthData.data", "groundTruthData.data must be a string (the label)")
_EMPTY_DATA = ("groundTruthData.data", "groundTruthData.data is empty")
_BAD_ENCODING = ("groundTruthData.encoding", 'groundTruthData.encoding must be "CSV"')
_NO_ID = ("eventMetadata.eventId", "eventMetadata.eventId must be a non-empty string")
_BAD_VERSION = ("eventVersion", 'eventVersion must be "0"')


def ground_truth_prefix(root_uri: str, endpoint: str) -> str:
    """modelwatch's ground-truth prefix of ``endpoint``: ``{root}/ground-truth/{endpoint}``."""
    return join_uri(root_uri, GROUND_TRUTH_FOLDER, endpoint)


@dataclass(frozen=True)
class GroundTruthBatch:
    """The result of :func:`parse_ground_truth`.

    ``table`` holds the valid records in line order: ``event_id``, ``data`` (the label) and ``line``
    (1-based). ``problems`` holds one :class:`DataError` per invalid line (``file`` = the source,
    ``line``, ``column`` = the JSON key at fault, None for a line that is not a JSON object).
    ``lines`` counts the non-blank lines.
    """

    source: str
    table: pa.Table
    problems: tuple[DataError, ...]
    lines: int
    text: bytes  # the parsed bytes, written unchanged by write_ground_truth

    @property
    def valid(self) -> int:
        return self.table.num_rows

    def check(self, *, listed: int = 20) -> None:
        """Raise if any line is invalid: a :class:`DataError` whose message lists the first ``listed``
        problems (file, line, key, reason) and counts all; its ``line``/``column`` are the first one's.

        Raises:
            DataError: some line is invalid.
            EmptyDatasetError: there is no record at all.
        """
        if self.problems:
            first = self.problems[0]
            shown = "; ".join(f"line {p.line}: {p.reason}" for p in self.problems[:listed])
            more = f"; and {len(self.problems) - listed} more" if len(self.problems) > listed else ""
            raise DataError(
                f"{len(self.problems)} of {self.lines} ground-truth lines are invalid: {shown}{more}",
                file=self.source,
                line=first.line,
                column=first.column,
            )
        if not self.valid:
            raise EmptyDatasetError("no ground-truth records", file=self.source)


def parse_ground_truth(text: str | bytes, *, source: str) -> GroundTruthBatch:
    """Check ground-truth JSON Lines (see the module docstring); ``source`` names them in errors."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    body = data if not data or data.endswith(b"\n") else data + b"\n"
    fast = _parse_fast(body, source)
    return GroundTruthBatch(source, *(fast if fast is not None else _parse_slow(body, source)), data)


def _problem(source: str, line: int, rule: tuple[str | None, str]) -> DataError:
    return DataError(rule[1], file=source, line=line, column=rule[0])


def _parse_fast(body: bytes, source: str) -> tuple[pa.Table, tuple[DataError, ...], int] | None:
    if not body:
        return pa.Table.from_pylist([], schema=_COLUMNS), (), 0
    raw = np.frombuffer(body, np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    if raw[0] != ord("{") or (raw[ends[:-1] + 1] != ord("{")).any():
        return None  # blank lines, or lines that are not objects: the reference path decides
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    table = json_objects(body, ends.size, schema=_SCHEMA)
    if table is None:
        return None
    labels = table.column("groundTruthData").combine_chunks()
    data = pc.struct_field(labels, "data")
    event_id = pc.struct_field(table.column("eventMetadata").combine_chunks(), "eventId")
    version = table.column("eventVersion").combine_chunks()
    broken = [
        (_NO_LABEL_OBJECT, ~true_mask(pc.is_valid(labels))),
        (_NO_DATA, ~true_mask(pc.is_valid(data))),
        (_EMPTY_DATA, true_mask(pc.equal(pc.binary_length(data), 0))),
        (_BAD_ENCODING, ~true_mask(pc.equal(pc.struct_field(labels, "encoding"), "CSV"))),
        (_NO_ID, ~true_mask(pc.greater(pc.binary_length(event_id), 0))),
        (_BAD_VERSION, ~true_mask(pc.equal(version, "0"))),
    ]
    rule_of = np.full(ends.size, -1)
    for index, (_, mask) in reversed(list(enumerate(broken))):
        rule_of[mask] = index
    bad = np.flatnonzero(rule_of >= 0)
    problems = tuple(_problem(source, int(row) + 1, broken[rule_of[row]][0]) for row in bad)
    good = pa.array(rule_of < 0)
    lines = pa.array(np.arange(1, ends.size + 1, dtype=np.int64))
    result = pa.table([event_id, data, lines], schema=_COLUMNS).filter(good)
    return result, problems, int(ends.size)


def _rule_of(record: Any) -> tuple[str | None, str] | None:
    """The first rule a decoded line breaks, None if it is a valid record."""
    if not isinstance(record, dict):
        return _NOT_OBJECT
    labels = record.get("groundTruthData")
    if not isinstance(labels, dict):
        return _NO_LABEL_OBJECT
    if not isinstance(labels.get("data"), str):
        return _NO_DATA
    if not labels["data"]:
        return _EMPTY_DATA
    if labels.get("encoding") != "CSV":
        return _BAD_ENCODING
    metadata = record.get("eventMetadata")
    event_id = metadata.get("eventId") if isinstance(metadata, dict) else None
    if not isinstance(event_id, str) or not event_id:
        return _NO_ID
    if record.get("eventVersion") != "0":
        return _BAD_VERSION
    return None


def _parse_slow(body: bytes, source: str) -> tuple[pa.Table, tuple[DataError, ...], int]:
    """The reference path: ``json.loads`` per line."""
    ids: list[str] = []
    labels: list[str] = []
    numbers: list[int] = []
    problems: list[DataError] = []
    lines = 0
    for number, line in enumerate(body.split(b"\n")[:-1], start=1):
        if not line.strip():
            continue
        lines += 1
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as error:
            problems.append(DataError(f"not valid JSON: {error}", file=source, line=number))
            continue
        rule = _rule_of(record)
        if rule is not None:
            problems.append(_problem(source, number, rule))
            continue
        ids.append(record["eventMetadata"]["eventId"])
        labels.append(record["groundTruthData"]["data"])
        numbers.append(number)
    table = pa.table(
        [pa.array(ids, pa.string()), pa.array(labels, pa.string()), pa.array(numbers, pa.int64())],
        schema=_COLUMNS,
    )
    return table, tuple(problems), lines


# --- writing --------------------------------------------------------------------------------------------


def _as_batch(records: GroundTruthBatch | str | bytes | Iterable[Mapping[str, Any]]) -> GroundTruthBatch:
    if isinstance(records, GroundTruthBatch):
        return records
    if isinstance(records, (str, bytes)):
        return parse_ground_truth(records, source="ground-truth upload")
    lines = [json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n" for record in records]
    return parse_ground_truth("".join(lines), source="ground-truth records")


def write_ground_truth(
    prefix_uri: str,
    records: GroundTruthBatch | str | bytes | Iterable[Mapping[str, Any]],
    *,
    collected_at: datetime | None = None,
) -> str:
    """Write valid ground truth as one new file in the hour folder of ``collected_at`` (default now;
    naive = UTC): ``{prefix}/yyyy/mm/dd/HH/{MM}-{SS}-{mmm}-{uuid4}.jsonl``. Returns its URI.

    ``records`` is a parsed batch, JSON Lines text, or record dicts. The lines are written as given
    (a final newline added). Local writes are atomic; an S3 object appears whole.

    Raises:
        DataError: a line is invalid (the message lists the bad lines; nothing is written).
        EmptyDatasetError: there is no record.
        StorageError: the file cannot be written.
    """
    batch = _as_batch(records)
    batch.check()
    moment = utc(collected_at or datetime.now(UTC))
    name = f"{moment:%M-%S}-{moment.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
    uri = join_uri(prefix_uri, f"{moment:%Y/%m/%d/%H}", name)
    body = batch.text if batch.text.endswith(b"\n") else batch.text + b"\n"
    write_bytes(uri, body)
    return uri


# --- reading --------------------------------------------------------------------------------------------


def ground_truth_files(prefix_uri: str, start: datetime, end: datetime) -> list[str]:
    """The files in the hour folders ``{prefix}/yyyy/mm/dd/HH/`` of the hours that overlap
    ``[start, end)``: hour by hour, then by name; hidden files (``.x``, ``_x``) left out.

    Raises:
        ConfigurationError: ``end`` is not after ``start``.
        StorageError: the storage cannot be listed.
    """
    start, end = utc(start), utc(end)
    if end <= start:
        raise ConfigurationError(
            f"ground-truth range end {end.isoformat()} is not after start {start.isoformat()}"
        )
    return hour_files(prefix_uri, start, end)


@dataclass(frozen=True)
class LabelTable:
    """The labels of a range of collection hours (:func:`read_ground_truth`).

    ``table`` has the columns ``event_id``, ``data`` (the label), ``file`` (index into ``files``) and
    ``line`` (1-based), its rows in collection order: hour, then file name, then line. The last row of
    an event id is its latest label (:meth:`latest`).
    """

    table: pa.Table
    files: tuple[str, ...]
    lines: int  # non-blank lines read
    invalid_lines: int  # lines skipped as invalid (each logged)

    def latest(self) -> tuple[pa.Table, int]:
        """One row per event id, its latest label (ids in order of first appearance), and the number of
        rows that a later label of the same id replaced."""
        ids = self.table.column("event_id").combine_chunks()
        if not len(ids):
            return self.table, 0
        encoded = pc.dictionary_encode(ids)
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), np.int64)
        last = np.full(len(encoded.dictionary), -1, np.int64)
        np.maximum.at(last, codes, np.arange(codes.size))
        return self.table.take(pa.array(last)), int(codes.size - last.size)


def _read_one(uri: str) -> GroundTruthBatch:
    return parse_ground_truth(read_bytes(uri), source=uri)


def _log_problems(batch: GroundTruthBatch) -> None:
    for problem in batch.problems[:_LOGGED_PER_FILE]:
        log.warning("ground truth: skipped line %s of %s (%s)", problem.line, batch.source, problem.reason)
    if len(batch.problems) > _LOGGED_PER_FILE:
        log.warning(
            "ground truth: skipped %d more invalid lines of %s",
            len(batch.problems) - _LOGGED_PER_FILE,
            batch.source,
        )


def read_ground_truth(prefix_uri: str, start: datetime, end: datetime) -> LabelTable:
    """The labels in the collection hours that overlap ``[start, end)`` under ``prefix_uri``.

    Invalid lines are skipped, counted (``invalid_lines``) and logged with file, line and reason (the
    first 100 of each file one by one, then a count). Missing hour folders are fine.

    Raises:
        ConfigurationError: ``end`` is not after ``start``.
        StorageError: the storage cannot be listed or a file read.
    """
    files = ground_truth_files(prefix_uri, start, end)
    tables: list[pa.Table] = []
    lines = invalid = 0
    batches: Iterator[GroundTruthBatch] = prefetch(_read_one(uri) for uri in files)
    for index, batch in enumerate(batches):
        _log_problems(batch)
        lines += batch.lines
        invalid += len(batch.problems)
        column = pa.array(np.full(batch.valid, index, np.int32))
        tables.append(batch.table.add_column(2, "file", column))
    schema = pa.schema([_COLUMNS.field(0), _COLUMNS.field(1), ("file", pa.int32()), _COLUMNS.field(2)])
    table = pa.concat_tables(tables) if tables else schema.empty_table()
    return LabelTable(table, tuple(files), lines, invalid)
