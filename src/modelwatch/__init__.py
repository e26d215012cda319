"""modelwatch: self-hosted model monitoring, file-compatible with SageMaker Model Monitor."""

from modelwatch.errors import (
    ConfigurationError,
    DataError,
    EmptyDatasetError,
    FormatError,
    ModelwatchError,
    StorageError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "DataError",
    "EmptyDatasetError",
    "FormatError",
    "ModelwatchError",
    "StorageError",
    "__version__",
]
