"""Storage URIs (local, ``s3://``), dataset readers that stream Arrow record batches, and the hourly
capture and ground-truth files."""

from modelwatch.io.capture import CaptureRead, capture_files, read_capture
from modelwatch.io.capture_table import CaptureTable, capture_batches
from modelwatch.io.datasets import Dataset, DatasetFormat, infer_format, read_dataset
from modelwatch.io.ground_truth import (
    ground_truth_prefix,
    parse_ground_truth,
    read_ground_truth,
    write_ground_truth,
)
from modelwatch.io.hours import hour_files
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
    "ground_truth_prefix",
    "hour_files",
    "infer_format",
    "join_uri",
    "list_files",
    "open_input",
    "parse_ground_truth",
    "plan_parts",
    "read_bytes",
    "read_capture",
    "read_dataset",
    "read_ground_truth",
    "read_text",
    "write_bytes",
    "write_ground_truth",
    "write_text",
]
