"""The one hierarchy of errors that modelwatch raises.

::

    ModelwatchError
     ├── ConfigurationError        a setting, flag or argument is invalid
     ├── StorageError              a URI cannot be read or written (missing file, denied, full disk)
     ├── DataError                 input data is malformed; carries file, line and column
     │    └── EmptyDatasetError    the input holds no rows at all
     └── FormatError               a SageMaker JSON file (statistics / constraints / violations) is malformed

Every message names what it is about: the file, the line (1-based), the column, and what was expected.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DataError",
    "EmptyDatasetError",
    "FormatError",
    "ModelwatchError",
    "StorageError",
]


class ModelwatchError(Exception):
    """Base class of every error modelwatch raises on purpose."""


class ConfigurationError(ModelwatchError):
    """A setting, command-line flag or argument is invalid."""


class StorageError(ModelwatchError):
    """A storage URI cannot be listed, read or written."""

    def __init__(self, message: str, *, uri: str | None = None) -> None:
        self.uri = uri
        super().__init__(f"{uri}: {message}" if uri else message)


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
