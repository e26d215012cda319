"""The capture sink process: writes a server's capture records outside the server's GIL.

``CaptureWriter(..., process=True)`` (what ``CaptureMiddleware`` and the proxy use) keeps only the queue
and a forwarding thread in the server: every 0.25 s (at most half the flush interval) the thread hands
the queued raw requests and responses to a sink process in one ``marshal`` frame over a pipe (about a
microsecond a record), and the sink (:func:`modelwatch.capture.sink_main.main` in a new interpreter), an
ordinary thread-mode :class:`~modelwatch.capture.writer.CaptureWriter`, builds the records and writes,
rolls, flushes and uploads the files. Building a record costs ~10 µs of Python; in the server's process
that time is taken from the requests, since the writer thread and the event loop share one GIL.

The pipe, one way: a pickled settings frame, then frames of record tuples, each ``<4-byte little-endian
length><payload>`` (:mod:`modelwatch.capture.pipe`); end of file means "finish": the sink writes
everything it has, closes its files (for ``s3://``, uploads them) and exits; a report that finds the
server gone (a broken pipe) ends the reports quietly, never the writing. It ignores SIGINT and SIGTERM,
so Ctrl-C or a service manager's stop signal to the whole group still drains: it ends when its server
closes the pipe, gracefully or by dying (so a SIGKILLed server loses nothing the sink has received). The
other way, the sink prints its counters as a JSON line every ``sink_main.REPORT_SECONDS`` when they
changed, and once at the end; the server's :class:`CaptureCounters` add them to its own (sampled out,
dropped at the server, paused).

The sink runs only on CPU time nothing else wants: under Linux's ``SCHED_IDLE`` policy (elsewhere at
nice +10), any waking request thread preempts it at once. (A nice value is not enough: at one
connection a sink at nice +10 added ~0.4 ms to the server's p99 over 30 s of requests, one at
``SCHED_IDLE`` nothing measurable.) While every core is busy, such a sink gets almost no CPU: once it
is ``STARVED_SECONDS`` behind, a sink at nice +10 takes over (and, once that one has kept up for
``CALM_SECONDS``, a background one again); see :class:`SinkProcess`. A process cannot leave
``SCHED_IDLE`` without privileges, hence a new process rather than a change of policy.

The sink applies backpressure rather than dropping: it stops reading while its writer's queue is full,
the pipe fills, the forwarding thread waits, and the server's queue (``queue_size``) drops and counts
what does not fit. A sink that dies is logged, the frame it did not take is counted as dropped, and a
new sink is started for the next frame (after 1 s, doubling up to 30 s while it keeps failing). Frames
already in the pipe of a sink that is killed, and its records not yet flushed, are lost with it and not
counted (as with a killed server in thread mode); its counts are those of its last report.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import itertools
import json
import logging
import marshal
import os
import pickle
import subprocess
import sys
import termios
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import IO, Any

import modelwatch
from modelwatch.capture import pipe
from modelwatch.capture.counters import CaptureCounters

__all__ = ["CALM_SECONDS", "SINK_NICENESS", "STARVED_SECONDS", "SinkProcess"]

log = logging.getLogger("modelwatch.capture")

STARVED_SECONDS = 2.0  # a background sink this far behind its pipe gets no CPU: hand over
CALM_SECONDS = 60.0  # how long a sink at nice +SINK_NICENESS keeps up before a background one takes over
_PIPE_BYTES = 1024 * 1024  # the pipe to a sink holds a few seconds of frames (Linux)
SINK_NICENESS = 10  # added to the nice value of a sink taking over from a starved one (or without SCHED_IDLE)


@dataclass
class _Sink:
    """One sink process, as its server sees it."""

    number: int  # its key in the counters
    process: subprocess.Popen[bytes]
    background: bool  # at idle priority (else at nice +SINK_NICENESS)
    reader: threading.Thread | None = None

    @property
    def fd(self) -> int:
        assert self.process.stdin is not None
        return self.process.stdin.fileno()

    def unread(self) -> int:
        """Bytes in its pipe it has not read yet."""
        found = array.array("i", [0])
        try:
            fcntl.ioctl(self.fd, termios.FIONREAD, found)
        except OSError:
            return 0
        return found[0]

    def end(self) -> None:
        """Close its pipe: it writes what it has and exits."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()


class SinkProcess:
    """The server's end of its sink processes: ``send`` record tuples, ``close`` to drain and end them.

    Frames go to one sink at a time. A background (idle-priority) sink that is ``STARVED_SECONDS``
    behind (the oldest byte in its pipe was written that long ago, or a frame could not go into its
    full pipe in that time) is getting no CPU: it is told to end (it writes what it has whenever a core
    is free; a frame it got only part of, it drops, and the new sink gets the whole) and a sink at
    nice +``SINK_NICENESS`` takes over, so that a server whose cores are all busy still captures
    everything, at the cost of a little CPU. Once that sink has kept up for ``CALM_SECONDS``, a
    background sink takes over again."""

    def __init__(self, settings: dict[str, Any], counters: CaptureCounters) -> None:
        self._settings = settings
        self._counters = counters
        self._current: _Sink | None = None
        self._ending: list[_Sink] = []  # handed over: writing what they have, then exiting
        self._numbers = itertools.count()
        self._retry_at = 0.0
        self._backoff = 1.0
        self._calm_since = 0.0
        self._recent: deque[tuple[float, int]] = deque()  # (when, bytes) of the frames sent lately
        self._recent_bytes = 0

    @property
    def background(self) -> bool | None:
        """Whether the sink taking frames runs at idle priority (None: no sink is running)."""
        return None if self._current is None else self._current.background

    @property
    def pids(self) -> list[int]:
        """The running sink processes: the one taking frames first, then those finishing."""
        sinks = ([self._current] if self._current is not None else []) + self._ending
        return [sink.process.pid for sink in sinks if sink.process.poll() is None]

    def start(self) -> None:
        """Start a sink process (if none is running)."""
        if self._current is None:
            self._replace(background=True)

    def send(self, records: list[Any]) -> bool:
        """Hand ``records`` to a sink (waits while its pipe is full); False if no sink took them."""
        if self._current is None and (time.monotonic() < self._retry_at or not self._replace(True)):
            return False
        frame = pipe.frame(marshal.dumps(records))
        self._balance()
        sink = self._current
        try:
            if sink is not None and not pipe.write_within(
                sink.fd, frame, STARVED_SECONDS if sink.background else None
            ):
                self._starved(sink, "its pipe stayed full")  # it drops the part it got
                sink = self._current
                if sink is not None:
                    pipe.write_within(sink.fd, frame, None)
        except OSError as error:
            self._lost(error)
            return False
        if sink is None:
            return False
        self._wrote(len(frame))
        self._backoff = 1.0
        return True

    def _wrote(self, size: int) -> None:
        self._recent.append((time.monotonic(), size))
        self._recent_bytes += size

    def close(self, timeout: float) -> bool:
        """Tell every sink to finish and wait up to ``timeout`` s; True when all ended cleanly."""
        deadline = time.monotonic() + timeout
        sinks = ([self._current] if self._current is not None else []) + self._ending
        self._current, self._ending = None, []
        clean = True
        for sink in sinks:
            sink.end()
        for sink in sinks:
            try:
                code = sink.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error(
                    "capture sink %d did not finish within %.1f s; it goes on in the background",
                    sink.process.pid,
                    timeout,
                )
                clean = False
                continue
            if sink.reader is not None:
                sink.reader.join(5.0)
            if code != 0:
                log.error("capture sink %d ended with exit code %d", sink.process.pid, code)
                clean = False
        return clean

    def _balance(self) -> None:
        """Hand over to a sink at nice +SINK_NICENESS when the background one starves, and back when
        that one has kept up for CALM_SECONDS; let sinks that finished go."""
        self._ending = [sink for sink in self._ending if sink.process.poll() is None]
        now = time.monotonic()
        while self._recent and self._recent[0][0] < now - STARVED_SECONDS:
            self._recent_bytes -= self._recent.popleft()[1]
        current = self._current
        if current is None:
            return
        unread = current.unread()
        if current.background:
            if unread > self._recent_bytes:  # a pipe is first in, first out: its oldest byte is older
                self._starved(current, f"{unread // 1024} KiB unread")
        elif unread > self._recent_bytes // 2:
            self._calm_since = now
        elif now - self._calm_since >= CALM_SECONDS:
            log.info("capture sink %d kept up: a background sink takes over", current.process.pid)
            self._replace(background=True)

    def _starved(self, sink: _Sink, why: str) -> None:
        log.warning(
            "capture sink %d gets no CPU (%s for %.1f s): it finishes when a core is free, and a sink "
            "at nice +%d takes over",
            sink.process.pid,
            why,
            STARVED_SECONDS,
            SINK_NICENESS,
        )
        self._replace(background=False)
        self._calm_since = time.monotonic()

    def _replace(self, background: bool) -> bool:
        """A new sink takes the frames; the one before (if any) ends once it has written what it has.
        False (logged, retried later) if the new one could not start."""
        if self._current is not None:
            self._current.end()
            self._ending.append(self._current)
        self._current = None
        self._recent.clear()
        self._recent_bytes = 0
        try:
            self._current = self._spawn(background)
        except OSError as error:
            self._lost(error)
            return False
        return True

    def _spawn(self, background: bool) -> _Sink:
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(modelwatch.__file__)))
        path = os.environ.get("PYTHONPATH")
        env = dict(os.environ, PYTHONPATH=package_root + (os.pathsep + path if path else ""))
        process = subprocess.Popen(
            [sys.executable, "-c", "from modelwatch.capture.sink_main import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        sink = _Sink(next(self._numbers), process, background)
        with contextlib.suppress(OSError, AttributeError):  # Linux: room for a few seconds of frames
            fcntl.fcntl(sink.fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        os.set_blocking(sink.fd, False)  # writes wait in select(), with a time limit
        assert process.stdout is not None
        sink.reader = threading.Thread(
            target=self._read_reports,
            args=(sink.number, process.stdout),
            name="modelwatch-capture-sink-reports",
            daemon=True,
        )
        sink.reader.start()
        # a sink taking over from a running one leaves the spool's files to it
        settings = dict(self._settings, background=background, resubmit_spool=not self._ending)
        self._current = sink  # what _lost reports if it cannot take its settings
        frame = pipe.frame(pickle.dumps(settings))
        pipe.write_within(sink.fd, frame, None)
        self._wrote(len(frame))
        return sink

    def _read_reports(self, number: int, stream: IO[bytes]) -> None:
        with stream:
            for line in stream:
                try:
                    self._counters.set_sink(number, json.loads(line)["counters"])
                except (ValueError, KeyError, TypeError):
                    log.warning("capture sink: unexpected report %r", line[:200])
        self._counters.retire_sink(number)  # it ended: its last report stays in the totals

    def _lost(self, error: OSError) -> None:
        """The current sink is gone (or could not start): drop it, and start the next one later."""
        sink, self._current = self._current, None
        log.error(
            "capture sink %s is gone (%s, exit code %s); its frame is dropped, a new sink starts in %.0f s",
            sink.process.pid if sink is not None else "?",
            error,
            sink.process.poll() if sink is not None else None,
            self._backoff,
        )
        if sink is not None:
            sink.end()
            with contextlib.suppress(subprocess.TimeoutExpired):
                sink.process.wait(5.0)
            if sink.reader is not None:
                sink.reader.join(5.0)
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, 30.0)
