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
    """Answer SageMaker API requests on ``app``: a route on every path that no other route takes, which
    matches only a ``POST`` carrying ``X-Amz-Target``. Any other request never sees it, so an unknown
    path or method is answered as before (404 or 405 with the API's error shape)."""
    from starlette.routing import Match, Route
    from starlette.types import Scope

    from modelwatch.sagemaker_api.app import TARGET_HEADER, handle

    target = TARGET_HEADER.encode()

    class SageMakerRoute(Route):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            if scope["type"] != "http" or scope["method"] != "POST":
                return Match.NONE, {}
            if not any(name == target for name, _ in scope["headers"]):
                return Match.NONE, {}
            return super().matches(scope)

    app.router.routes.append(
        SageMakerRoute("/{path:path}", handle, methods=["POST"], include_in_schema=False)
    )
