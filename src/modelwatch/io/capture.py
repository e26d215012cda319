"""Reading capture files: the hour folders of a time window and the records in them.

:func:`capture_files` lists the files under ``{root}/{endpoint}/{variant}/yyyy/mm/dd/HH/`` for every
UTC hour that overlaps ``[start, end)``, sorted by hour and file name (``MM-SS-mmm-…`` sorts by time).
As in SageMaker the hours can hold records outside the window, so :func:`read_capture` also keeps only
records whose ``eventMetadata.inferenceTime`` is in ``[start, end)``.

A file that was being written when its process died can end in a torn line. The **last** line of a
file is skipped and counted (``torn_lines``, logged with file and line) when it has no final ``\\n`` or
is not valid JSON. A malformed line anywhere else is a :class:`~modelwatch.errors.DataError` naming the
file and line. Blank lines are ignored. Naive ``datetime`` arguments are taken as UTC.

A line may hold up to ``MAX_LINE_BYTES`` (64 MiB, its newline included; ``max_line_bytes`` changes it):
a longer one is refused with a :class:`~modelwatch.errors.DataError` naming the file and line, after
reading at most that many bytes of it, so that one huge record cannot take the memory of a job.

This is the reference reader, one ``json.loads`` per line. The window path of
:mod:`modelwatch.io.capture_table` reads whole files with ``pyarrow.json`` and falls back to
:meth:`CaptureRead.records_of` for a file it cannot judge itself, so both agree on every rule above.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from modelwatch.errors import ConfigurationError, DataError
from modelwatch.io.hours import hour_files, utc
from modelwatch.io.storage import join_uri, open_input

__all__ = [
    "MAX_LINE_BYTES",
    "CaptureRead",
    "bounded_lines",
    "capture_files",
    "check_line_lengths",
    "line_too_long",
    "log_torn_line",
    "parse_inference_time",
    "read_capture",
    "record_inference_time",
]

log = logging.getLogger("modelwatch.capture")

MAX_LINE_BYTES = 64 * 1024 * 1024
"""The longest capture line read (its newline included); a longer one is a DataError."""


def capture_files(root_uri: str, endpoint: str, variant: str, start: datetime, end: datetime) -> list[str]:
    """The capture files (``.jsonl``) of the hours that overlap ``[start, end)``, in time order.

    Missing hour folders are skipped; a missing tree gives ``[]``.

    Raises:
        ConfigurationError: ``end`` is not after ``start``.
        StorageError: the storage cannot be listed.
    """
    start, end = utc(start), utc(end)
    if end <= start:
        raise ConfigurationError(
            f"capture window end {end.isoformat()} is not after start {start.isoformat()}"
        )
    return hour_files(join_uri(root_uri, endpoint, variant), start, end, keep=lambda p: p.endswith(".jsonl"))


@dataclass
class CaptureRead:
    """Records of a capture window; iterate once. Counts are final after the iteration."""

    files: list[str]
    start: datetime
    end: datetime
    records: int = 0  # records yielded (inside the window)
    outside_window: int = 0  # records read but outside [start, end)
    torn_lines: int = 0  # torn last lines skipped
    max_line_bytes: int = MAX_LINE_BYTES
    position: tuple[str, int] | None = field(default=None, repr=False)  # (file, line) of the last record
    _used: bool = field(default=False, repr=False)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._used:
            raise RuntimeError("a CaptureRead can be iterated only once")
        self._used = True
        for uri in self.files:
            yield from self._read_file(uri)

    def _read_file(self, uri: str) -> Iterator[dict[str, Any]]:
        with open_input(uri) as stream:
            yield from self.records_of(uri, bounded_lines(stream, uri, self.max_line_bytes))

    def records_of(self, uri: str, lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
        """The records of one file given as its lines (each with its ``\\n``), counted in this read."""
        previous: tuple[int, bytes] | None = None
        for number, line in enumerate(lines, start=1):
            if previous is not None:
                yield from self._record(uri, *previous, last=False)
            previous = (number, line)
        if previous is not None:
            yield from self._record(uri, *previous, last=True)

    def _record(self, uri: str, number: int, line: bytes, *, last: bool) -> Iterator[dict[str, Any]]:
        if len(line) > self.max_line_bytes:
            raise line_too_long(uri, number, self.max_line_bytes)
        if not line.strip():
            return
        try:
            if last and not line.endswith(b"\n"):
                raise ValueError("no final newline")
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as error:
            if not last:
                raise DataError(f"malformed capture record: {error}", file=uri, line=number) from error
            self.torn_lines += 1
            log_torn_line(uri, number, str(error))
            return
        moment = record_inference_time(record, uri, number)
        if self.start <= moment < self.end:
            self.records += 1
            self.position = (uri, number)
            yield record
        else:
            self.outside_window += 1


def line_too_long(uri: str, number: int, limit: int) -> DataError:
    return DataError(
        f"capture line longer than {limit} bytes (the longest record modelwatch reads); it is not read",
        file=uri,
        line=number,
    )


def bounded_lines(stream: BinaryIO, uri: str, limit: int, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The lines of ``stream`` (each with its ``\\n``), none longer than ``limit`` bytes.

    Reads ``chunk_size`` bytes at a time (fsspec's files, s3fs's among them, take no size in ``readline``),
    so a longer line is refused having held no more than ``limit + chunk_size`` bytes of it.

    Raises:
        DataError: a line is longer, naming the file and the line.
    """
    pieces: list[bytes] = []  # the start of a line whose newline has not come yet
    held = 0
    number = 1
    for chunk in iter(lambda: stream.read(chunk_size), b""):
        start = 0
        while (newline := chunk.find(b"\n", start)) >= 0:
            end = newline + 1
            if held + end - start > limit:
                raise line_too_long(uri, number, limit)
            yield b"".join((*pieces, chunk[start:end])) if pieces else chunk[start:end]
            pieces, held, number, start = [], 0, number + 1, end
        if start < len(chunk):
            held += len(chunk) - start
            if held > limit:
                raise line_too_long(uri, number, limit)
            pieces.append(chunk[start:])
    if pieces:
        yield b"".join(pieces)


def check_line_lengths(uri: str, data: bytes, limit: int) -> None:
    """Raise for the first line of ``data`` longer than ``limit`` bytes (its newline included).

    Raises:
        DataError: naming the file and the line.
    """
    if len(data) <= limit:
        return
    start, number = 0, 1
    while start < len(data):
        newline = data.find(b"\n", start, start + limit)
        if newline < 0 and len(data) - start > limit:
            raise line_too_long(uri, number, limit)
        if newline < 0:
            return
        start, number = newline + 1, number + 1


def log_torn_line(uri: str, number: int, reason: str) -> None:
    """Log the skip of a torn last line (the caller counts it)."""
    log.warning("capture: skipped torn last line %d of %s (%s)", number, uri, reason)


def parse_inference_time(value: str) -> datetime:
    """An ``inferenceTime`` as an aware UTC datetime: ``YYYY-MM-DDTHH:MM:SSZ`` or another ISO 8601 form.

    Raises:
        ValueError: ``value`` is neither.
    """
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def record_inference_time(record: dict[str, Any], uri: str, line: int) -> datetime:
    metadata = record.get("eventMetadata")
    value = metadata.get("inferenceTime") if isinstance(metadata, dict) else None
    if not isinstance(value, str):
        raise DataError("capture record has no eventMetadata.inferenceTime", file=uri, line=line)
    try:
        return parse_inference_time(value)
    except ValueError as error:
        raise DataError(f"bad eventMetadata.inferenceTime {value!r}", file=uri, line=line) from error


def read_capture(root_uri: str, endpoint: str, variant: str, start: datetime, end: datetime) -> CaptureRead:
    """The capture records of ``endpoint``/``variant`` with ``inferenceTime`` in ``[start, end)``.

    Iterate the result for the records (dicts, in file order); then read its counts.
    """
    files = capture_files(root_uri, endpoint, variant, start, end)
    return CaptureRead(files, utc(start), utc(end))
