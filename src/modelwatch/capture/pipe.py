"""Frames over the pipe from a server to its capture sink: ``<4-byte little-endian length><payload>``.

Both ends use this module: the server's :class:`~modelwatch.capture.sink.SinkProcess` writes frames
(:func:`frame`, :func:`write_within`), the sink process (:mod:`modelwatch.capture.sink_main`) reads them
(:func:`read_frame`).
"""

from __future__ import annotations

import os
import select
import time

__all__ = ["HEADER", "frame", "read_frame", "write_within"]

HEADER = 4  # bytes of the length in front of each payload


def frame(payload: bytes) -> bytes:
    """``payload`` with its length in front."""
    return len(payload).to_bytes(HEADER, "little") + payload


def write_within(fd: int, data: bytes, seconds: float | None) -> bool:
    """Write all of ``data`` to the non-blocking ``fd``; False if it took more than ``seconds``
    (None: no limit), with part of it written."""
    view = memoryview(data)
    deadline = None if seconds is None else time.monotonic() + seconds
    while view:
        try:
            view = view[os.write(fd, view) :]
            continue
        except BlockingIOError:
            pass
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return False
        select.select([], [fd], [], left)
    return True


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


def read_frame(fd: int) -> bytes | None:
    """The next frame's payload from ``fd``; None at end of file."""
    header = _read_exactly(fd, HEADER)
    return None if header is None else _read_exactly(fd, int.from_bytes(header, "little"))
