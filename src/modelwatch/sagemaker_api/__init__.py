"""SageMaker's own clients, unchanged: the SageMaker JSON 1.1 API (boto3, the SageMaker Python SDK's
``model_monitor``) over modelwatch's service (docs/sagemaker.md).

``modelwatch server`` answers it on its own port: a ``POST`` to any path with an ``X-Amz-Target``
header. Every operation is a thin layer over the service functions that the REST API, the CLI and the
dashboard use, so one schedule, job definition or execution is the same in all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["install_sagemaker_api"]


def install_sagemaker_api(app: FastAPI) -> None:
    """Answer SageMaker API requests on ``app``: a ``POST`` route on every path that no other route
    takes (a request without ``X-Amz-Target`` there is a 404, as before)."""
    from modelwatch.sagemaker_api.app import handle

    app.router.add_route("/{path:path}", handle, methods=["POST"], include_in_schema=False)
