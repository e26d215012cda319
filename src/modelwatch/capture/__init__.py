"""Data capture: SageMaker-format capture records of real-time and batch inference.

* :class:`DataCaptureConfig` / :class:`CaptureMode`: what to capture and where (``from_sagemaker``
  reads SageMaker's ``DataCaptureConfig`` dict).
* :class:`CaptureWriter`: a non-blocking writer (bounded queue, one thread or a sink process, hourly
  files, roll, flush, disk guard, ``s3://`` via a local spool) with :class:`CaptureCounters`.
* :func:`build_record`: one capture record in SageMaker's format.
* :func:`capture_batch`: the input/output manifests of a batch transform run.
* :class:`CaptureMiddleware` (ASGI) and the proxy in :mod:`modelwatch.capture.proxy` need the
  ``capture`` extra (starlette, uvicorn, httptools); they are imported on first use.
"""

from typing import Any

from modelwatch.capture.batch import BatchCaptureResult, add_inference_ids, capture_batch
from modelwatch.capture.config import CaptureMode, DataCaptureConfig
from modelwatch.capture.counters import CaptureCounters
from modelwatch.capture.record import build_record, record_line
from modelwatch.capture.writer import CaptureWriter

__all__ = [
    "BatchCaptureResult",
    "CaptureCounters",
    "CaptureMiddleware",
    "CaptureMode",
    "CaptureWriter",
    "DataCaptureConfig",
    "add_inference_ids",
    "build_record",
    "capture_batch",
    "record_line",
]


def __getattr__(name: str) -> Any:
    if name == "CaptureMiddleware":  # lazily: it needs the optional ``capture`` extra
        from modelwatch.capture.middleware import CaptureMiddleware

        return CaptureMiddleware
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
