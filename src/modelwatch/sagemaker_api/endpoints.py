"""Endpoints that SageMaker's clients name without ever registering them with modelwatch.

A job definition's ``EndpointInput`` names an endpoint; when modelwatch does not know it, it is created
the way the REST API would (:func:`modelwatch.service.endpoints.create_endpoint`), with its capture where
the user's ``CaptureMiddleware`` / ``DataCaptureConfig`` most likely wrote it. The first of these folders
that holds a folder for the endpoint is taken, else the first:

1. modelwatch's capture root, ``{storage}/capture`` (what modelwatch's own capture writes by default);
2. the SageMaker SDK's default, ``s3://{bucket}/model-monitor/data-capture``, in the bucket of the
   definition's output (the SDK's ``DataCaptureConfig`` without ``destination_s3_uri``).

Its variants are the folders found under ``{capture}/{endpoint}/`` (``AllTraffic`` when none). An
endpoint whose capture lives elsewhere is registered first through the REST API or the CLI, with its
``DataCaptureConfig``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from modelwatch.errors import NotFoundError, StorageError
from modelwatch.io.storage import exists, filesystem, join_uri
from modelwatch.jobs.definitions import JobDefinition
from modelwatch.service.endpoints import create_endpoint, get_endpoint
from modelwatch.service.layout import capture_root
from modelwatch.service.schemas import EndpointSpec

__all__ = ["SDK_CAPTURE_PREFIX", "capture_candidates", "ensure_endpoint"]

SDK_CAPTURE_PREFIX = "model-monitor/data-capture"
"""Where the SageMaker SDK's ``DataCaptureConfig`` captures by default, under the session's bucket."""


def capture_candidates(output_uri: str | None) -> list[str]:
    """The capture roots to look in, in order (see the module's docstring)."""
    found = [capture_root()]
    if output_uri and output_uri.startswith("s3://"):
        bucket = output_uri.removeprefix("s3://").split("/", 1)[0]
        if bucket:
            found.append(f"s3://{bucket}/{SDK_CAPTURE_PREFIX}")
    return found


def _variants(root: str, endpoint: str) -> list[str]:
    fs, path = filesystem(join_uri(root, endpoint))
    names = sorted(
        entry.rstrip("/").rsplit("/", 1)[-1] for entry in fs.ls(path, detail=False) if fs.isdir(entry)
    )
    return [name for name in names if name and not name.startswith((".", "_"))][:10]


def ensure_endpoint(session: Session, definition: JobDefinition) -> None:
    """Create the endpoint of ``definition``'s input when modelwatch does not know it yet."""
    name = definition.endpoint_name
    if name is None:
        return
    try:
        get_endpoint(session, name)
        return
    except NotFoundError:
        pass
    candidates = capture_candidates(definition.output_uri)
    root, variants = candidates[0], ["AllTraffic"]
    for candidate in candidates:
        try:
            if exists(join_uri(candidate, name)):
                root, variants = candidate, _variants(candidate, name) or variants
                break
        except (StorageError, OSError):  # an unreachable bucket is no capture
            continue
    config = (
        None
        if root == capture_root()
        else {"DestinationS3Uri": root, "EnableCapture": True, "InitialSamplingPercentage": 100}
    )
    create_endpoint(session, EndpointSpec(name=name, variants=variants, data_capture_config=config))
