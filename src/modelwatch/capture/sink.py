"""The capture sink process: writes a server's capture records outside the server's GIL.

``CaptureWriter(..., process=True)`` (what ``CaptureMiddleware`` and the proxy use) keeps only the queue
and a forwarding thread in the server: every 0.25 s (at most half the flush interval) the thread hands
the queued raw requests and responses to a sink process in one ``marshal`` frame over a pipe (about a
microsecond a record), and the sink (:func:`main` in a new interpreter), an ordinary thread-mode
:class:`~modelwatch.capture.writer.CaptureWriter`, builds the records and writes, rolls, flushes and
uploads the files. Building a record costs ~10 µs of Python; in the server's process that time is
taken from the requests, since the writer thread and the event loop share one GIL.

The pipe, one way: a pickled settings frame, then frames of record tuples, each ``<4-byte little-endian
length><payload>``; end of file means "finish": the sink writes everything it has, closes its files
(for ``s3://``, uploads them) and exits. It ignores SIGINT and SIGTERM, so Ctrl-C or a service
manager's stop signal to the whole group still drains: it ends when its server closes the pipe,
gracefully or by dying (so a SIGKILLed server loses nothing the sink has received). The other way,
the sink prints its counters as a JSON line every ``REPORT_SECONDS`` when they changed, and once at
the end; the server's :class:`CaptureCounters` add them to its own (sampled out, dropped at the
server, paused).

The sink runs only on CPU time nothing else wants: under Linux's ``SCHED_IDLE`` policy (elsewhere at
nice +10), any waking request thread preempts it at once. (A nice value is not enough: at one
connection a sink at nice +10 still added ~0.4 ms to the server's p99, at ``SCHED_IDLE`` nothing
measurable.) The price: while every core is busy serving requests, the sink gets almost no CPU, falls
behind, and the server's queue drops and counts records, never the requests.

The sink applies backpressure rather than dropping: it stops reading while its writer's queue is full,
the pipe fills, the forwarding thread waits, and the server's queue (``queue_size``) drops and counts
what does not fit. A sink that dies is logged, the frame it did not take is counted as dropped, and a
new sink is started for the next frame (after 1 s, doubling up to 30 s while it keeps failing). Frames
already in the pipe of a sink that is killed, and its records not yet flushed, are lost with it and not
counted (as with a killed server in thread mode); its counts are those of its last report.
"""

from __future__ import annotations

import contextlib
import json
import logging
import marshal
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from typing import IO, Any

import modelwatch
from modelwatch.capture.counters import CaptureCounters

__all__ = ["REPORT_SECONDS", "SINK_NICENESS", "SinkProcess", "main", "run_in_background"]

log = logging.getLogger("modelwatch.capture")

REPORT_SECONDS = 1.0  # how often a sink reports its counters (when they changed)
SINK_NICENESS = 10  # where there is no SCHED_IDLE: added to the sink's nice value
_SINK_CLOSE_SECONDS = 60.0  # how long a sink may take to write and upload what it has once told to end
_HEADER = 4


def _frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(_HEADER, "little") + payload


class SinkProcess:
    """The server's end of a sink process: ``send`` record tuples, ``close`` to drain and end it."""

    def __init__(self, settings: dict[str, Any], counters: CaptureCounters) -> None:
        self._settings = pickle.dumps(settings)
        self._counters = counters
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._retry_at = 0.0
        self._backoff = 1.0

    def start(self) -> None:
        """Start the sink process (if none is running)."""
        if self._process is None:
            self._spawn()

    def send(self, records: list[Any]) -> bool:
        """Hand ``records`` to the sink (blocks while the pipe is full); False if no sink took them."""
        if self._process is None:
            if time.monotonic() < self._retry_at:
                return False
            self._spawn()
        assert self._process is not None and self._process.stdin is not None
        try:
            _write_all(self._process.stdin.fileno(), _frame(marshal.dumps(records)))
        except OSError as error:
            self._lost(error)
            return False
        self._backoff = 1.0
        return True

    def close(self, timeout: float) -> bool:
        """Tell the sink to finish and wait up to ``timeout`` s; True when it ended cleanly."""
        process, self._process = self._process, None
        if process is None:
            return True
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error(
                "capture sink %d did not finish within %.1f s; it goes on in the background",
                process.pid,
                timeout,
            )
            return False
        if self._reader is not None:
            self._reader.join(5.0)
        self._counters.retire_sink()
        if code != 0:
            log.error("capture sink %d ended with exit code %d", process.pid, code)
        return code == 0

    def _spawn(self) -> None:
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(modelwatch.__file__)))
        path = os.environ.get("PYTHONPATH")
        env = dict(os.environ, PYTHONPATH=package_root + (os.pathsep + path if path else ""))
        process = subprocess.Popen(
            [sys.executable, "-c", "from modelwatch.capture.sink import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        self._reader = threading.Thread(
            target=self._read_reports,
            args=(process.stdout,),
            name="modelwatch-capture-sink-reports",
            daemon=True,
        )
        self._reader.start()
        try:
            _write_all(process.stdin.fileno(), _frame(self._settings))
        except OSError as error:
            self._lost(error)

    def _read_reports(self, stream: IO[bytes]) -> None:
        with stream:
            for line in stream:
                try:
                    self._counters.set_sink(json.loads(line)["counters"])
                except (ValueError, KeyError, TypeError):
                    log.warning("capture sink: unexpected report %r", line[:200])

    def _lost(self, error: OSError) -> None:
        process, self._process = self._process, None
        code = process.poll() if process is not None else None
        log.error(
            "capture sink %s is gone (%s, exit code %s); its frame is dropped, a new sink starts in %.0f s",
            process.pid if process is not None else "?",
            error,
            code,
            self._backoff,
        )
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5.0)
            if self._reader is not None:
                self._reader.join(5.0)
        self._counters.retire_sink()
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, 30.0)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int) -> bytes | None:
    """``size`` bytes from ``fd``; None at end of file (a frame cut short counts as the end)."""
    parts: list[bytes] = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _read_frame(fd: int) -> bytes | None:
    header = _read_exactly(fd, _HEADER)
    return None if header is None else _read_exactly(fd, int.from_bytes(header, "little"))


def run_in_background() -> None:
    """Give the calling thread, and the threads it starts from now on, only CPU time nothing else
    wants: ``SCHED_IDLE`` (Linux), else nice +``SINK_NICENESS``."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        with contextlib.suppress(OSError):
            os.nice(SINK_NICENESS)


def main() -> None:
    """Run a sink: read the settings and record frames from stdin, report counters on stdout."""
    from modelwatch.capture.writer import CaptureWriter

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when the sink ends: end of file
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    run_in_background()  # before any thread starts: they inherit it
    first = _read_frame(0)
    if first is None:
        return
    settings = pickle.loads(first)
    logging.basicConfig(
        level=settings["log_level"], format="%(asctime)s %(levelname)s %(name)s [capture sink] %(message)s"
    )
    writer = CaptureWriter(
        settings["config"],
        endpoint=settings["endpoint"],
        variant=settings["variant"],
        upload_backoff=settings["upload_backoff"],
    )
    capacity = writer.config.queue_size
    done = threading.Event()

    def report() -> None:
        sys.stdout.buffer.write(json.dumps({"counters": writer.counters.snapshot()}).encode() + b"\n")
        sys.stdout.buffer.flush()

    def reports() -> None:
        last: dict[str, int] = {}
        while not done.wait(REPORT_SECONDS):
            if (snapshot := writer.counters.snapshot()) != last:
                report()
                last = snapshot

    reporter = threading.Thread(target=reports, name="modelwatch-capture-sink-reports", daemon=True)
    writer.start()
    reporter.start()
    try:
        while (frame := _read_frame(0)) is not None:
            while writer.backlog >= capacity:  # backpressure: the pipe fills, the server's queue drops
                time.sleep(0.005)
            writer.enqueue(marshal.loads(frame))  # tuples in the writer queue's own form
    finally:
        writer.close(timeout=_SINK_CLOSE_SECONDS)
        done.set()
        reporter.join()
        report()
