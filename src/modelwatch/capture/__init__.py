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

from modelwatch.lazy import lazy_exports as _lazy_exports

# imported on first use: a capture sink process, or an app that only adds the middleware, does not load
# pyarrow (batch capture) or starlette (the middleware, which needs the optional ``capture`` extra)
_MODULES = {
    "BatchCaptureResult": "batch",
    "add_inference_ids": "batch",
    "capture_batch": "batch",
    "CaptureMode": "config",
    "DataCaptureConfig": "config",
    "CaptureCounters": "counters",
    "CaptureMiddleware": "middleware",
    "build_record": "record",
    "record_line": "record",
    "CaptureWriter": "writer",
}

__all__ = sorted(_MODULES)


__getattr__, __dir__ = _lazy_exports(__name__, globals(), _MODULES)
