"""The capture writer: a bounded queue in front of one background thread that writes capture files.

``capture()`` never blocks and never raises: it appends the raw request/response to a bounded queue (a
``deque``: one atomic append, no lock) and returns at once (``False`` and counted when the queue is full
or the disk guard is on). The writer thread builds each record's line
(:func:`modelwatch.capture.record.capture_line`) and appends it to the file of the record's own UTC
inference hour::

    {destination}/{endpoint}/{variant}/yyyy/mm/dd/HH/{MM}-{SS}-{mmm}-{uuid4}.jsonl

``MM-SS-mmm`` is the UTC wall-clock time the file was opened, or, for a late record of an earlier hour,
its inference time. One file per hour folder is open at a time; it is closed after ``roll_seconds`` or
once it holds ``roll_bytes``. Open files are flushed and fsync'ed every ``flush_seconds``, so a killed
process loses at most that interval (and leaves at most a torn last line, which the reader skips).

With ``process=True`` (what ``CaptureMiddleware`` and the proxy use) this process keeps only the queue, the
disk guard and a thread that forwards the queue every 0.25 s to a sink process, which writes as described
here (:mod:`modelwatch.capture.sink`).

An ``s3://`` destination is written as the same tree into a local spool; each closed file is uploaded
(:mod:`modelwatch.capture.upload`) and deleted from the spool after success. Files that a crashed process
left in the spool are uploaded when the next writer starts. Write errors (e.g. a full disk) are counted
and logged, the file is closed, and the writer goes on with a new file.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, BinaryIO

from modelwatch.capture.config import DataCaptureConfig
from modelwatch.capture.counters import CaptureCounters, register_capture_writer, unregister_capture_writer
from modelwatch.capture.disk import DiskGuard, UsageFunction, is_locked, open_append, probe_folder
from modelwatch.capture.record import capture_line
from modelwatch.capture.sink import SinkProcess
from modelwatch.capture.upload import Uploader
from modelwatch.errors import ConfigurationError
from modelwatch.io.storage import is_local, join_uri, local_path
from modelwatch.settings import get_settings

__all__ = ["CaptureWriter"]

log = logging.getLogger("modelwatch.capture")


# One queued capture() call: (request_body, request_content_type, response_body, response_content_type,
# inference_id, custom_attributes, inference time in UTC epoch seconds, event_id). A plain tuple of plain
# values, so that a batch of them goes to a sink process in one marshal.dumps.
_Pending = tuple[
    bytes | None, str | None, bytes | None, str | None, str | None, str | None, float, str | None
]


_POLL = 0.25  # seconds between two rounds of the writer thread
_BATCH_BYTES = 1 << 20  # bytes of lines the writer gathers before it writes them
_FRAME_RECORDS = 1000  # records the thread of a writer with a sink process sends in one frame
# seconds between two frames to a sink process: each frame wakes the sink and its writes, which costs the
# server's core more than the few microseconds the frame takes to send (measured: 0.25 s, +4.4 % server
# CPU per request; 0.05 s, +6.2 %)
_FORWARD_SECONDS = 0.25


@dataclass
class _Lines:
    """The lines of one drain batch for one hour, with each one's inference time and truncation."""

    lines: list[bytes] = field(default_factory=list)
    moments: list[datetime] = field(default_factory=list)
    truncated: list[bool] = field(default_factory=list)


@dataclass
class _OpenFile:
    path: str
    relative: str
    handle: BinaryIO
    opened: float
    size: int = 0
    dirty: bool = False


def _epoch(moment: datetime | float) -> float:
    """``moment`` in UTC epoch seconds: a datetime (naive = UTC) or epoch seconds already."""
    if isinstance(moment, int | float):
        return float(moment)
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).timestamp()


def _check_name(value: str, what: str) -> str:
    if not value or "/" in value or value in {".", ".."} or value.startswith((".", "_")):
        raise ConfigurationError(f"capture {what} must be a non-empty name without '/'; got {value!r}")
    return value


class CaptureWriter:
    """Writes capture records of one endpoint variant (see the module docstring).

    Args:
        config: what to capture and where.
        endpoint: the endpoint name (first folder under the destination).
        variant: the production variant (second folder).
        disk_usage: returns the used fraction of the disk of a path; for tests (default: real usage).
        upload_backoff: first and longest wait in seconds between retries of a failed upload.
        process: build and write the records in a sink process (:mod:`modelwatch.capture.sink`)
            instead of a thread of this one: the server's GIL is then spent on its requests only.
            This process keeps the queue, the disk guard and a thread that forwards the queue.
        resubmit_spool: for ``s3://``, ``start`` uploads the files a crashed writer left in the spool;
            off for a sink process that takes over from a running one (those files are its).

    Raises:
        StorageError: the destination folder (or, for ``s3://``, the spool folder) is not writable.
        ConfigurationError: ``endpoint`` or ``variant`` is not a plain name.
    """

    def __init__(
        self,
        config: DataCaptureConfig,
        *,
        endpoint: str,
        variant: str = "AllTraffic",
        disk_usage: UsageFunction | None = None,
        upload_backoff: tuple[float, float] = (0.5, 30.0),
        process: bool = False,
        resubmit_spool: bool = True,
    ) -> None:
        self.config = config
        self._resubmit = resubmit_spool
        self.endpoint = _check_name(endpoint, "endpoint")
        self.variant = _check_name(variant, "variant")
        self._counters = CaptureCounters()
        self._remote = not is_local(config.destination_uri)
        if self._remote:
            digest = hashlib.sha256(config.destination_uri.encode()).hexdigest()[:16]
            default = os.path.join(get_settings().data_dir, "capture-spool", digest)
            self._root = os.path.abspath(os.path.expanduser(config.spool_dir or default))
            probe_folder(self._root, "capture spool folder")
        else:
            self._root = os.path.abspath(local_path(config.destination_uri))
            probe_folder(self._root, "capture destination folder")
        self._guard = DiskGuard(self._root, config.disk_usage_limit, usage=disk_usage)
        self._guard.check()
        self._uploader = Uploader(
            self._root, self._counters, first_backoff=upload_backoff[0], max_backoff=upload_backoff[1]
        )
        self._queue: deque[_Pending] = deque()  # bounded by config.queue_size in capture()
        self._files: dict[datetime, _OpenFile] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._deadline = 0.0  # when close() gives up
        self._sink: SinkProcess | None = None
        if process:
            settings = {
                "config": config,
                "endpoint": endpoint,
                "variant": variant,
                "upload_backoff": upload_backoff,
                "log_level": logging.getLogger("modelwatch").getEffectiveLevel(),
            }
            self._sink = SinkProcess(settings, self._counters)
        run = self._run if self._sink is None else self._forward
        self._thread = threading.Thread(target=run, name="modelwatch-capture-writer", daemon=True)

    # -- public API -------------------------------------------------------------------------------

    @property
    def counters(self) -> CaptureCounters:
        """The writer's counters (thread-safe; read them with ``snapshot()``)."""
        return self._counters

    @property
    def paused(self) -> bool:
        """Whether the disk guard pauses capture now."""
        return self._guard.paused

    @property
    def local_root(self) -> str:
        """The local folder written to: the destination itself, or the spool of an ``s3://`` one."""
        return self._root

    @property
    def backlog(self) -> int:
        """How many records are queued, not yet written (or forwarded to the sink process)."""
        return len(self._queue)

    def start(self) -> None:
        """Start the writer thread (and, for ``s3://``, upload files left in the spool). Idempotent."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        register_capture_writer(self)  # its counters show at /metrics of a modelwatch app in this process
        self._start_thread()

    def _start_thread(self) -> None:
        if self._sink is not None:
            self._sink.start()  # the sink uploads files left in the spool
        elif self._remote:
            self._uploader.start()
            if self._resubmit:
                self._resubmit_spool()
        self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write everything queued, close every file and, for ``s3://``, upload them. Idempotent.

        With a sink process: forward what is queued and wait for the sink to write it and end."""
        self._deadline = deadline = time.monotonic() + timeout
        with self._lock:
            if self._closed:
                return
            self._closed = True
            started = self._started
        unregister_capture_writer(self)  # a closed writer's counters leave /metrics
        if not started:
            self._started = True
            self._start_thread()
        self._stop.set()  # wakes the thread at once
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            log.error("capture writer did not finish within %.1f s; records may be lost", timeout)
        elif self._sink is None:
            self._drain()  # records put while the thread was finishing
            self._close_all()
        elif self._queue:  # put while the thread was finishing, after the sink ended
            self._counters.add("dropped", len(self._queue))
            self._queue.clear()
        if self._remote and self._sink is None:
            self._uploader.close(max(1.0, deadline - time.monotonic()))

    def __enter__(self) -> CaptureWriter:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def sample(self) -> bool:
        """One sampling decision; ``False`` (counted as ``sampled_out``) for requests not to capture.

        Always ``False`` (not counted) while ``enable_capture`` is off.
        """
        if not self.config.enable_capture:
            return False
        if random.random() * 100 < self.config.sampling_percentage:
            return True
        self._counters.add("sampled_out")
        return False

    def capture(
        self,
        *,
        request_body: bytes | None,
        request_content_type: str | None,
        response_body: bytes | None,
        response_content_type: str | None,
        inference_id: str | None = None,
        custom_attributes: str | None = None,
        inference_time: datetime | float | None = None,
        event_id: str | None = None,
    ) -> bool:
        """Queue one invocation for writing; never blocks, never raises. ``False`` if not queued.

        Not queued: capture disabled, the disk guard on (counted ``paused``), the queue full or the
        writer closed (counted ``dropped``). It does not sample: call :meth:`sample` first.
        ``inference_time`` (a datetime, naive = UTC, or epoch seconds) defaults to now.
        """
        try:
            if not self.config.enable_capture:
                return False
            if self._closed:
                self._counters.add("dropped")
                return False
            if self._guard.paused:
                self._counters.add("paused")
                return False
            if len(self._queue) >= self.config.queue_size:
                self._counters.add("dropped")
                return False
            self._queue.append(
                (
                    request_body,
                    request_content_type,
                    response_body,
                    response_content_type,
                    inference_id,
                    custom_attributes,
                    time.time() if inference_time is None else _epoch(inference_time),
                    event_id,
                )
            )
            return True
        except Exception:  # never into the caller's request path
            log.exception("capture: cannot queue a record")
            self._counters.add("dropped")
            return False

    def enqueue(self, records: list[Any]) -> None:
        """Queue records already in the queue's tuple form, as a sink process receives them, without
        :meth:`capture`'s checks (the server that sent them made those) and without a bound."""
        self._queue.extend(records)

    # -- writer thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        """Write what is queued every ``_POLL`` seconds (or at once on close), then flush, check the disk
        and roll files. Polling instead of waking for each record keeps the writer from taking the GIL
        from the request path once per request: at any rate it wakes ~20 times a second."""
        next_flush = time.monotonic() + self.config.flush_seconds
        while True:
            stopping = self._stop.wait(min(_POLL, self.config.flush_seconds, self._guard.interval))
            try:
                self._drain()
                now = time.monotonic()
                self._guard.check(now)
                if now >= next_flush:
                    self._flush_all()
                    next_flush = now + self.config.flush_seconds
                self._roll_expired(now)
            except Exception:  # keep writing whatever happens
                log.exception("capture writer: unexpected error")
                self._counters.add("write_errors")
            if stopping and not self._queue:
                break
        self._close_all()

    def _forward(self) -> None:
        """The thread of a writer with a sink process: every ``_FORWARD_SECONDS`` (at most half the flush
        interval), hand what is queued to the sink in one frame and check the disk; at close, the rest,
        then wait for the sink to end."""
        assert self._sink is not None
        while True:
            wait = min(_FORWARD_SECONDS, self.config.flush_seconds / 2, self._guard.interval)
            stopping = self._stop.wait(wait)
            try:
                self._guard.check(time.monotonic())
                self._send_queued()
            except Exception:  # keep forwarding whatever happens
                log.exception("capture writer: unexpected error")
                self._counters.add("write_errors")
            if stopping and not self._queue:
                break
        self._sink.close(max(1.0, self._deadline - time.monotonic()))

    def _send_queued(self) -> None:
        """Send what was queued when called, in frames of ``_FRAME_RECORDS`` at most. Not what arrives
        meanwhile: each pipe write lets the request path take the GIL back, and going on with the few
        records it queued in that time would cost a forced GIL switch (and a sink wake-up) per frame."""
        assert self._sink is not None
        pop = self._queue.popleft
        left = len(self._queue)
        while left:
            batch = [pop() for _ in range(min(left, _FRAME_RECORDS))]
            left -= len(batch)
            if not self._sink.send(batch):
                self._counters.add("dropped", len(batch))

    def _drain(self) -> None:
        """Write every queued record, in batches of about ``_BATCH_BYTES``.

        Each batch's lines are built while the thread holds the GIL and go out with one ``write()``
        per file, so the writer gives the GIL back to the request path once per batch and file, not
        once per buffer-full of lines. The counters are added once per batch.
        """
        pop = self._queue.popleft
        batch: dict[datetime, _Lines] = {}
        size = 0
        while True:
            try:
                request, request_type, response, response_type, inference_id, attributes, at, event_id = pop()
            except IndexError:
                break
            try:
                moment = datetime.fromtimestamp(at, UTC)
                line, truncated = capture_line(
                    self.config,
                    request_body=request,
                    request_content_type=request_type,
                    response_body=response,
                    response_content_type=response_type,
                    inference_id=inference_id,
                    custom_attributes=attributes,
                    inference_time=moment,
                    event_id=event_id,
                )
            except Exception:
                log.exception("capture: cannot build a record")
                self._counters.add("write_errors")
                continue
            hour = datetime(moment.year, moment.month, moment.day, moment.hour, tzinfo=UTC)
            lines = batch.get(hour)
            if lines is None:
                lines = batch[hour] = _Lines()
            lines.lines.append(line)
            lines.moments.append(moment)
            lines.truncated.append(truncated)
            size += len(line)
            if size >= _BATCH_BYTES:
                self._write_batch(batch)
                batch, size = {}, 0
        if batch:
            self._write_batch(batch)

    def _write_batch(self, batch: dict[datetime, _Lines]) -> None:
        written = [0, 0, 0]  # captured, bytes_written, truncated
        try:
            for hour, lines in batch.items():
                self._write_lines(hour, lines, written)
        finally:
            if written[0]:
                self._counters.add_all(captured=written[0], bytes_written=written[1], truncated=written[2])

    def _write_lines(self, hour: datetime, pending: _Lines, written: list[int]) -> None:
        """Append the lines to the hour's file, one ``write()`` per file, rolling at ``roll_bytes``."""
        lines, roll_bytes = pending.lines, self.config.roll_bytes
        start = 0
        while start < len(lines):
            file = self._files.get(hour) or self._open(hour, pending.moments[start])
            if file is None:
                return
            end, size = start, 0
            while end < len(lines) and file.size + size < roll_bytes:  # at least one line
                size += len(lines[end])
                end += 1
            try:
                file.handle.write(b"".join(lines[start:end]))
            except OSError as error:
                self._fail(file, "write", error)
                return
            file.size += size
            file.dirty = True
            written[0] += end - start
            written[1] += size
            written[2] += sum(pending.truncated[start:end])
            if file.size >= roll_bytes:
                self._close(hour)
            start = end

    def _open(self, hour: datetime, inference_time: datetime) -> _OpenFile | None:
        now = datetime.now(UTC)
        stamp = now if now.replace(minute=0, second=0, microsecond=0) == hour else inference_time
        name = f"{stamp:%M-%S}-{stamp.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
        relative = f"{self.endpoint}/{self.variant}/{hour:%Y/%m/%d/%H}/{name}"
        path = os.path.join(self._root, *relative.split("/"))
        try:
            handle = open_append(path)
        except OSError as error:
            self._counters.add("write_errors")
            log.error("capture: cannot open %s: %s", path, error)
            return None
        file = _OpenFile(path, relative, handle, time.monotonic())
        self._files[hour] = file
        return file

    def _flush_all(self) -> None:
        for hour, file in list(self._files.items()):
            if not file.dirty:
                continue
            try:
                file.handle.flush()
                os.fsync(file.handle.fileno())
                file.dirty = False
            except OSError as error:
                self._fail(file, "flush", error)
                self._files.pop(hour, None)

    def _roll_expired(self, now: float) -> None:
        for hour, file in list(self._files.items()):
            if now - file.opened >= self.config.roll_seconds:
                self._close(hour)

    def _close_all(self) -> None:
        for hour in list(self._files):
            self._close(hour)

    def _close(self, hour: datetime) -> None:
        file = self._files.pop(hour)
        try:
            file.handle.flush()
            os.fsync(file.handle.fileno())
            file.handle.close()
        except OSError as error:
            self._fail(file, "close", error)
            return
        self._finish(file)

    def _fail(self, file: _OpenFile, action: str, error: OSError) -> None:
        """Count and log a write error, give up this file (a new one is opened for the next record)."""
        self._counters.add("write_errors")
        log.error("capture: cannot %s %s: %s", action, file.path, error)
        for hour, other in list(self._files.items()):
            if other is file:
                del self._files[hour]
        with contextlib.suppress(OSError):  # its buffer cannot be written either: a torn last line
            file.handle.close()
        if self._remote:
            self._uploader.submit(file.path, join_uri(self.config.destination_uri, file.relative))

    def _finish(self, file: _OpenFile) -> None:
        if self._remote:
            self._uploader.submit(file.path, join_uri(self.config.destination_uri, file.relative))
        else:
            self._counters.add("files_written")

    def _resubmit_spool(self) -> None:
        """Queue for upload every capture file that a crashed process left in the spool."""
        found = 0
        for folder, dirs, names in os.walk(self._root):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            for name in sorted(names):
                path = os.path.join(folder, name)
                if not name.endswith(".jsonl") or name.startswith((".", "_")) or is_locked(path):
                    continue
                relative = os.path.relpath(path, self._root).replace(os.sep, "/")
                self._uploader.submit(path, join_uri(self.config.destination_uri, relative))
                found += 1
        if found:
            log.info("capture: uploading %d file(s) left in the spool %s", found, self._root)
