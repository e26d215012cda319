"""The one hierarchy of errors that modelwatch raises.

::

    ModelwatchError
     ├── ConfigurationError        a setting, flag or argument is invalid
     │    └── ValidationError      a request field breaks a rule (names the field)
     ├── NotFoundError             a named resource (endpoint, schedule, execution, ...) does not exist
     ├── ConflictError             the request conflicts with the current state (name in use, still in use)
     ├── StorageError              a URI cannot be read or written (missing file, denied, full disk)
     │    └── InsufficientStorage  the disk or quota is full (ENOSPC, EDQUOT, a database that cannot grow)
     ├── DataError                 input data is malformed; carries file, line and column
     │    └── EmptyDatasetError    the input holds no rows at all
     ├── FormatError               a SageMaker JSON file (statistics / constraints / violations) is malformed
     ├── ScriptError               a user pre- or post-processing script failed (names script and line)
     └── EndpointError             a model endpoint failed: HTTP status, timeout, no connection (names URL)

Every message names what it is about: the file, the line (1-based), the column, and what was expected.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "DataError",
    "EmptyDatasetError",
    "EndpointError",
    "FormatError",
    "InsufficientStorage",
    "ModelwatchError",
    "NotFoundError",
    "ScriptError",
    "StorageError",
    "ValidationError",
]


class ModelwatchError(Exception):
    """Base class of every error modelwatch raises on purpose."""


class ConfigurationError(ModelwatchError):
    """A setting, command-line flag or argument is invalid."""


class ValidationError(ConfigurationError):
    """A field of a request breaks a rule (a name pattern, a cron expression, an offset, a range).

    ``field`` is the field's path as the API names it (``"MonitoringScheduleName"``,
    ``"ScheduleConfig.ScheduleExpression"``).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message)


class NotFoundError(ModelwatchError):
    """A named resource does not exist. ``kind`` is e.g. ``"monitoring schedule"``."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(f"{kind} {name!r} does not exist")


class ConflictError(ModelwatchError):
    """The request conflicts with the current state: a name already in use, a resource still in use."""


class StorageError(ModelwatchError):
    """A storage URI cannot be listed, read or written."""

    def __init__(self, message: str, *, uri: str | None = None) -> None:
        self.uri = uri
        super().__init__(f"{uri}: {message}" if uri else message)


class InsufficientStorage(StorageError):
    """No space is left where modelwatch writes: the disk or a quota is full, or the database cannot grow.

    The API answers 507; the service keeps running, and the same request works once space is freed.
    """


class DataError(ModelwatchError):
    """Input data is malformed. The message names the file, line and column when they are known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.reason = message
        where = ", ".join(
            part
            for part in (
                file,
                f"line {line}" if line is not None else None,
                f"column {column!r}" if column is not None else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class EmptyDatasetError(DataError):
    """The input holds no data rows (no files, empty files or header-only files)."""


class FormatError(ModelwatchError):
    """A SageMaker JSON file is malformed or misses a required key."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        parts = [p for p in (file, f"key {key!r}" if key else None) if p]
        super().__init__(f"{', '.join(parts)}: {message}" if parts else message)


class ScriptError(ModelwatchError):
    """A user's pre- or post-processing script failed: it does not load, lacks its handler, raises, or
    returns the wrong type. The message names the script, the line and the exception."""

    def __init__(self, message: str, *, script: str, line: int | None = None) -> None:
        self.script = script
        self.line = line
        self.reason = message
        where = f"{script}, line {line}" if line is not None else script
        super().__init__(f"{where}: {message}")


class EndpointError(ModelwatchError):
    """A model endpoint failed: an HTTP error status, a timeout, no connection, or an unreadable answer.

    ``url``, ``status`` (None when no response came) and ``body`` (its first bytes) say which and why.
    """

    BODY_HEAD = 200

    def __init__(self, message: str, *, url: str, status: int | None = None, body: bytes = b"") -> None:
        self.url = url
        self.status = status
        self.body = body[: self.BODY_HEAD]
        self.reason = message
        super().__init__(f"POST {url}: {message}")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:  # keyword-only fields survive pickling
        rebuild = functools.partial(EndpointError, url=self.url, status=self.status, body=self.body)
        return rebuild, (self.reason,)
