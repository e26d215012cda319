"""Local-disk helpers of the capture writer: the disk guard, locked append files, the writability probe.

The disk guard pauses capture while the disk that holds the capture folder (or the spool of an
``s3://`` destination) is at least ``disk_usage_limit`` full, as SageMaker stops capture at high disk
usage. It reads ``shutil.disk_usage`` at most once per ``interval`` seconds, from the writer thread,
never on the caller's path. ``usage`` is injectable so that tests can force it on and off.

Open capture files hold an exclusive ``flock``, so that a writer starting up can tell files left by a
crashed process (unlocked: upload them) from files another live process is still writing (locked: leave).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from typing import BinaryIO

from modelwatch.errors import StorageError

__all__ = [
    "DiskGuard",
    "UsageFunction",
    "disk_usage_fraction",
    "is_locked",
    "open_append",
    "probe_folder",
    "remove_empty_parents",
]

log = logging.getLogger("modelwatch.capture")

UsageFunction = Callable[[str], float]


def disk_usage_fraction(path: str) -> float:
    """Used fraction (0–1) of the filesystem that holds ``path``."""
    usage = shutil.disk_usage(path)
    return usage.used / usage.total if usage.total else 1.0


class DiskGuard:
    """Pauses capture while the disk of ``path`` is ``limit`` full or more (read at most per ``interval``)."""

    def __init__(
        self, path: str, limit: float, *, usage: UsageFunction | None = None, interval: float = 1.0
    ) -> None:
        self.path = path
        self.limit = limit
        self.interval = interval
        self._usage = usage or disk_usage_fraction
        self._next_check = 0.0
        self.paused = False

    def check(self, now: float | None = None) -> bool:
        """Re-read the usage if the interval has passed; returns whether capture is paused."""
        now = time.monotonic() if now is None else now
        if now < self._next_check:
            return self.paused
        self._next_check = now + self.interval
        try:
            used = self._usage(self.path)
        except OSError as error:
            log.warning("capture: cannot read disk usage of %s: %s", self.path, error)
            return self.paused
        pause = used >= self.limit
        if pause and not self.paused:
            log.warning(
                "capture paused: disk of %s is %.0f%% full (limit %.0f%%)",
                self.path,
                used * 100,
                self.limit * 100,
            )
        elif self.paused and not pause:
            log.info("capture resumed: disk of %s is %.0f%% full", self.path, used * 100)
        self.paused = pause
        return pause


def open_append(path: str) -> BinaryIO:
    """Open ``path`` for appending (creating its folder) and take an exclusive lock on it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle = open(path, "ab")  # noqa: SIM115 - the writer keeps it open across calls
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise
    return handle


def is_locked(path: str) -> bool:
    """Whether another open file description holds a lock on ``path`` (a live writer)."""
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return True


def probe_folder(folder: str, what: str) -> None:
    """Create ``folder`` and write, fsync and delete a probe file in it.

    Raises:
        StorageError: the folder cannot be created or written (the message says what it is for).
    """
    probe = os.path.join(folder, f".probe-{uuid.uuid4()}")
    try:
        os.makedirs(folder, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"probe")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        reason = error.strerror or str(error)
        raise StorageError(f"{what} is not writable: {reason}", uri=folder) from error
    finally:
        with contextlib.suppress(OSError):
            os.unlink(probe)


def remove_empty_parents(path: str, stop: str) -> None:
    """Remove the empty folders above ``path`` up to (not including) ``stop``."""
    folder = os.path.dirname(path)
    stop = os.path.abspath(stop)
    while os.path.abspath(folder).startswith(stop + os.sep):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = os.path.dirname(folder)
