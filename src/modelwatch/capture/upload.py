"""Uploads closed spool files of an ``s3://`` destination, retrying with backoff until they are stored.

One daemon thread takes ``(local path, destination URI)`` pairs. A file is deleted from the spool only
after its upload succeeded; a failed upload is counted in ``upload_retries``, logged, and tried again
after a backoff that doubles from ``first_backoff`` up to ``max_backoff`` seconds. :meth:`close` keeps
trying (without waiting for the backoff) until its timeout; files still not uploaded then are counted in
``upload_failures``, logged, and stay in the spool, where the next writer's start-up finds them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from modelwatch.capture.counters import CaptureCounters
from modelwatch.capture.disk import remove_empty_parents
from modelwatch.errors import StorageError
from modelwatch.io.storage import write_bytes

__all__ = ["Uploader"]

log = logging.getLogger("modelwatch.capture")


@dataclass
class _Upload:
    path: str
    uri: str
    attempts: int = 0
    due: float = 0.0


class Uploader:
    """A background thread that uploads spool files (see the module docstring)."""

    def __init__(
        self,
        spool_root: str,
        counters: CaptureCounters,
        *,
        first_backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self._spool_root = spool_root
        self._counters = counters
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._pending: list[_Upload] = []
        self._busy = 0
        self._condition = threading.Condition()
        self._stopping = False
        self._deadline = float("inf")
        self._thread = threading.Thread(target=self._run, name="modelwatch-capture-upload", daemon=True)

    def start(self) -> None:
        """Start the upload thread."""
        self._thread.start()

    def submit(self, path: str, uri: str) -> None:
        """Upload ``path`` to ``uri`` as soon as possible, then delete ``path``."""
        with self._condition:
            self._pending.append(_Upload(path, uri))
            self._condition.notify()

    def pending(self) -> int:
        """Files waiting for (or in) an upload."""
        with self._condition:
            return len(self._pending) + self._busy

    def close(self, timeout: float) -> None:
        """Upload what is pending, retrying until ``timeout`` seconds have passed; then stop."""
        with self._condition:
            self._stopping = True
            self._deadline = time.monotonic() + timeout
            self._condition.notify()
        if self._thread.is_alive():
            self._thread.join(timeout + 5.0)
        with self._condition:
            left = list(self._pending)
            self._pending.clear()
        for item in left:
            self._counters.add("upload_failures")
            log.error(
                "capture: %s not uploaded to %s; it stays in the spool for the next start",
                item.path,
                item.uri,
            )

    def _next(self) -> _Upload | None:
        """The next due upload, waiting for one; ``None`` once closed and done (or past the deadline)."""
        with self._condition:
            while True:
                now = time.monotonic()
                if self._stopping and (not self._pending or now >= self._deadline):
                    return None
                due = [u for u in self._pending if self._stopping or u.due <= now]
                if due:
                    item = min(due, key=lambda u: u.due)
                    self._pending.remove(item)
                    self._busy += 1
                    return item
                wake = min(u.due for u in self._pending) if self._pending else now + 3600.0
                if self._stopping:
                    wake = min(wake, self._deadline)
                self._condition.wait(max(0.0, wake - now))

    def _run(self) -> None:
        while (item := self._next()) is not None:
            ok = self._upload(item)
            with self._condition:
                self._busy -= 1
                if not ok:
                    item.attempts += 1
                    backoff = min(self._max_backoff, self._first_backoff * 2 ** (item.attempts - 1))
                    item.due = time.monotonic() + backoff
                    self._pending.append(item)
                    if self._stopping:  # retry at once but not in a tight loop
                        self._condition.wait(min(backoff, 0.2))

    def _upload(self, item: _Upload) -> bool:
        try:
            with open(item.path, "rb") as handle:
                data = handle.read()
            write_bytes(item.uri, data)
        except FileNotFoundError:
            log.warning("capture: spool file %s vanished before upload", item.path)
            return True
        except (StorageError, OSError) as error:
            self._counters.add("upload_retries")
            log.warning("capture: upload of %s failed (attempt %d): %s", item.uri, item.attempts + 1, error)
            return False
        try:
            os.unlink(item.path)
        except OSError as error:
            log.warning("capture: cannot delete uploaded spool file %s: %s", item.path, error)
        remove_empty_parents(item.path, self._spool_root)
        self._counters.add("files_written")
        log.debug("capture: uploaded %s", item.uri)
        return True
