"""The capture sink process itself: :func:`main`, run in a new interpreter by
:class:`~modelwatch.capture.sink.SinkProcess` (see :mod:`modelwatch.capture.sink` for the protocol).

It reads a pickled settings frame and then frames of record tuples from stdin, writes them with an
ordinary thread-mode :class:`~modelwatch.capture.writer.CaptureWriter`, and reports its counters on
stdout as JSON lines. It imports the writer; the writer imports only the server's end
(:mod:`modelwatch.capture.sink`), so the two do not import each other.
"""

from __future__ import annotations

import contextlib
import json
import logging
import marshal
import os
import pickle
import signal
import sys
import threading
import time

from modelwatch.capture.pipe import read_frame
from modelwatch.capture.sink import SINK_NICENESS
from modelwatch.capture.writer import CaptureWriter

__all__ = ["REPORT_SECONDS", "main"]

REPORT_SECONDS = 1.0  # how often a sink reports its counters (when they changed)
_SINK_CLOSE_SECONDS = 60.0  # how long a sink may take to write and upload what it has once told to end


def _lower_priority(background: bool) -> None:
    """The calling thread, and the threads it starts from now on: only CPU time nothing else wants
    when ``background`` (``SCHED_IDLE``, Linux), else (or without ``SCHED_IDLE``) nice +SINK_NICENESS."""
    if background:
        with contextlib.suppress(AttributeError, OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return
    with contextlib.suppress(OSError):
        os.nice(SINK_NICENESS)


def _silence_stdout() -> None:
    """Point stdout at ``/dev/null`` so that its flush at exit cannot fail on the broken pipe again."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main() -> None:
    """Run a sink: read the settings and record frames from stdin, report counters on stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when the sink ends: end of file
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    first = read_frame(0)
    if first is None:
        return
    settings = pickle.loads(first)
    _lower_priority(settings["background"])  # before any thread starts: they inherit it
    logging.basicConfig(
        level=settings["log_level"], format="%(asctime)s %(levelname)s %(name)s [capture sink] %(message)s"
    )
    writer = CaptureWriter(
        settings["config"],
        endpoint=settings["endpoint"],
        variant=settings["variant"],
        upload_backoff=settings["upload_backoff"],
        resubmit_spool=settings["resubmit_spool"],
    )
    capacity = writer.config.queue_size
    done = threading.Event()
    done_reporting = threading.Event()

    def report() -> None:
        if done_reporting.is_set():
            return
        try:
            sys.stdout.buffer.write(json.dumps({"counters": writer.counters.snapshot()}).encode() + b"\n")
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # the server is gone (killed): nobody reads the reports any more
            done_reporting.set()
            _silence_stdout()

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
        while (frame := read_frame(0)) is not None:
            while writer.backlog >= capacity:  # backpressure: the pipe fills, the server's queue drops
                time.sleep(0.005)
            writer.enqueue(marshal.loads(frame))  # tuples in the writer queue's own form
    finally:
        writer.close(timeout=_SINK_CLOSE_SECONDS)
        done.set()
        reporter.join()
        report()
