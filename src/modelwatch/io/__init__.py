"""Storage URIs (local, ``s3://``), dataset readers that stream Arrow record batches, and the hourly
capture and ground-truth files.

The names below are imported from their modules on first use, so that importing one light module of
this package (e.g. :mod:`modelwatch.io.storage` in a capture sink process) does not load pyarrow.
"""

from modelwatch.lazy import lazy_exports as _lazy_exports

_MODULES = {
    "CaptureRead": "capture",
    "capture_files": "capture",
    "read_capture": "capture",
    "CaptureTable": "capture_table",
    "capture_batches": "capture_table",
    "CaptureColumns": "capture_columns",
    "read_capture_columns": "capture_columns",
    "Dataset": "datasets",
    "DatasetFormat": "datasets",
    "infer_format": "datasets",
    "read_dataset": "datasets",
    "ground_truth_prefix": "ground_truth",
    "parse_ground_truth": "ground_truth",
    "read_ground_truth": "ground_truth",
    "write_ground_truth": "ground_truth",
    "hour_files": "hours",
    "write_lines_by_hour": "hourly_lines",
    "DatasetPart": "parts",
    "plan_parts": "parts",
    "exists": "storage",
    "filesystem": "storage",
    "join_uri": "storage",
    "list_files": "storage",
    "open_input": "storage",
    "read_bytes": "storage",
    "read_text": "storage",
    "write_bytes": "storage",
    "write_text": "storage",
    "read_transform_output": "transform_output",
    "read_transform_outputs": "transform_output",
    "transform_output_files": "transform_output",
}

__all__ = sorted(_MODULES)


__getattr__, __dir__ = _lazy_exports(__name__, globals(), _MODULES)
