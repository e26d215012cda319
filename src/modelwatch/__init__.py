"""modelwatch: self-hosted model monitoring, file-compatible with SageMaker Model Monitor."""

from modelwatch.errors import (
    ConfigurationError,
    ConflictError,
    DataError,
    EmptyDatasetError,
    FormatError,
    ModelwatchError,
    NotFoundError,
    ScriptError,
    StorageError,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "DataError",
    "EmptyDatasetError",
    "FormatError",
    "ModelwatchError",
    "NotFoundError",
    "ScriptError",
    "StorageError",
    "ValidationError",
    "__version__",
]
