"""Thread-safe counters of one capture writer; :meth:`CaptureCounters.snapshot` reads them all at once.

* ``captured``: records written to a capture file (their line handed to the file).
* ``sampled_out``: :meth:`CaptureWriter.sample` decisions that said no.
* ``dropped``: ``capture()`` calls refused because the queue was full (or the writer closed).
* ``paused``: ``capture()`` calls refused while the disk guard was on.
* ``truncated``: written records whose payload was cut to ``max_payload_bytes``.
* ``bytes_written``: bytes of record lines written.
* ``files_written``: capture files completed at the destination (closed locally, or uploaded for s3).
* ``upload_retries``: failed upload attempts (each logged; the file is tried again).
* ``upload_failures``: files still not uploaded when the writer closed (left in the spool).
* ``write_errors``: failed local writes, flushes, opens or closes (each logged).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field, fields
from typing import Protocol

__all__ = [
    "CaptureCounters",
    "CaptureSources",
    "capture_sources",
    "register_capture_writer",
    "unregister_capture_writer",
]


@dataclass
class CaptureCounters:
    """Counters of a capture writer; increment with :meth:`add`, read with :meth:`snapshot`."""

    captured: int = 0
    sampled_out: int = 0
    dropped: int = 0
    paused: int = 0
    truncated: int = 0
    bytes_written: int = 0
    files_written: int = 0
    upload_retries: int = 0
    upload_failures: int = 0
    write_errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # what the writer's sink processes reported (see modelwatch.capture.sink): the live ones by number,
    # and the sum of the ended ones
    _sinks: dict[int, dict[str, int]] = field(default_factory=dict, repr=False, compare=False)
    _sinks_ended: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def add(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to the counter ``name`` (under the lock)."""
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def add_all(self, **amounts: int) -> None:
        """Add to several counters at once (one lock)."""
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def snapshot(self) -> dict[str, int]:
        """Every counter, read together under the lock (the sink processes' counts included)."""
        with self._lock:
            reported = [self._sinks_ended, *self._sinks.values()]
            return {
                f.name: getattr(self, f.name) + sum(counts.get(f.name, 0) for counts in reported)
                for f in fields(self)
                if not f.name.startswith("_")
            }

    def set_sink(self, sink: int, counts: dict[str, int]) -> None:
        """The latest counts reported by sink process number ``sink`` (they replace its earlier report)."""
        with self._lock:
            self._sinks[sink] = dict(counts)

    def retire_sink(self, sink: int) -> None:
        """Sink process number ``sink`` ended: its last counts stay in the totals."""
        with self._lock:
            for name, value in self._sinks.pop(sink, {}).items():
                self._sinks_ended[name] = self._sinks_ended.get(name, 0) + value


# -- the writers of this process, for Prometheus ------------------------------------------------


class CaptureWriterLike(Protocol):
    endpoint: str
    variant: str

    @property
    def counters(self) -> CaptureCounters: ...


class CaptureSources:
    """Capture writers whose counters are exported, held weakly."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writers: weakref.WeakSet[CaptureWriterLike] = weakref.WeakSet()

    def register(self, writer: CaptureWriterLike) -> None:
        with self._lock:
            self._writers.add(writer)

    def unregister(self, writer: CaptureWriterLike) -> None:
        with self._lock:
            self._writers.discard(writer)

    def snapshot(self) -> dict[tuple[str, str], dict[str, int]]:
        """The counters of every registered writer, summed per (endpoint, variant)."""
        with self._lock:
            writers = list(self._writers)
        totals: dict[tuple[str, str], dict[str, int]] = {}
        for writer in writers:
            counts = totals.setdefault((writer.endpoint, writer.variant), {})
            for name, value in writer.counters.snapshot().items():
                counts[name] = counts.get(name, 0) + value
        return totals


capture_sources = CaptureSources()
"""The process's registry of capture writers (see :func:`register_capture_writer`)."""


def register_capture_writer(writer: CaptureWriterLike) -> None:
    """Export the counters of ``writer`` (a :class:`~modelwatch.capture.writer.CaptureWriter`; every
    writer registers itself when it starts) at ``/metrics`` of every modelwatch app in this process, for
    as long as the writer exists."""
    capture_sources.register(writer)


def unregister_capture_writer(writer: CaptureWriterLike) -> None:
    capture_sources.unregister(writer)
