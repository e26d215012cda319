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

import importlib as _importlib
import typing as _typing

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


def __getattr__(name: str) -> _typing.Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES})
