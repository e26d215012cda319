"""Run an iterator one step ahead in a background thread, so reading overlaps with the consumer."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar, cast

__all__ = ["prefetch"]

T = TypeVar("T")
_DONE = object()
_Queue = queue.Queue[tuple[object, BaseException | None]]
"""(an item or ``_DONE``, the producer's error or None)"""


def _produce(items: Iterator[T], out: _Queue, stop: threading.Event) -> None:
    try:
        for item in items:
            while not stop.is_set():
                try:
                    out.put((item, None), timeout=0.1)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        out.put((_DONE, None))
    except BaseException as exc:  # handed to the consumer, which re-raises it
        out.put((_DONE, exc))


def prefetch(items: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """The items of ``items``, computed up to ``depth`` ahead in a thread; errors re-raised here."""
    out: _Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    worker = threading.Thread(
        target=_produce, args=(items, out, stop), daemon=True, name="modelwatch-prefetch"
    )
    worker.start()
    try:
        while True:
            item, error = out.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield cast(T, item)  # not _DONE, so one of ``items``
    finally:
        stop.set()
        while worker.is_alive():
            try:
                out.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.1)
