"""Storage URIs (local, ``s3://``) and dataset readers that stream Arrow record batches."""

from modelwatch.io.capture import CaptureRead, capture_files, read_capture
from modelwatch.io.capture_table import CaptureTable, capture_batches
from modelwatch.io.datasets import Dataset, DatasetFormat, infer_format, read_dataset
from modelwatch.io.parts import DatasetPart, plan_parts
from modelwatch.io.storage import (
    exists,
    filesystem,
    join_uri,
    list_files,
    open_input,
    read_bytes,
    read_text,
    write_bytes,
    write_text,
)

__all__ = [
    "CaptureRead",
    "CaptureTable",
    "Dataset",
    "DatasetFormat",
    "DatasetPart",
    "capture_batches",
    "capture_files",
    "exists",
    "filesystem",
    "infer_format",
    "join_uri",
    "list_files",
    "open_input",
    "plan_parts",
    "read_bytes",
    "read_capture",
    "read_dataset",
    "read_text",
    "write_bytes",
    "write_text",
]
