"""The SageMaker JSON 1.1 endpoint: ``POST`` at ``/`` or any path (boto3 posts to the endpoint URL's
path verbatim) with ``X-Amz-Target: SageMaker.<Operation>`` (or ``Logs_20140328.<Operation>``).

A request is authenticated (:mod:`modelwatch.sagemaker_api.auth`), its JSON body parsed, and the
operation's handler run in a worker thread; an :class:`~modelwatch.sagemaker_api.errors.AwsError`
becomes its ``{"__type", "message"}`` answer. Any other exception is logged and answered 500
``InternalFailure`` (botocore retries those): bad input never gets here, handlers raise
``ValidationError`` for it.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from anyio import to_thread
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from modelwatch.sagemaker_api.errors import AwsError, UnknownOperation, ValidationError
from modelwatch.sagemaker_api.registry import Context, Operation, load_operations

__all__ = ["CONTENT_TYPE", "TARGET_HEADER", "handle", "is_sagemaker_request"]

log = logging.getLogger("modelwatch.sagemaker_api")

TARGET_HEADER = "x-amz-target"
CONTENT_TYPE = "application/x-amz-json-1.1"


def is_sagemaker_request(request: Request) -> bool:
    return request.method == "POST" and TARGET_HEADER in request.headers


def _answer(
    status: int, body: dict[str, Any], request_id: str, task: BackgroundTask | None = None
) -> Response:
    return JSONResponse(
        body,
        status_code=status,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id},
        background=task,
    )


def _error(error: AwsError, request_id: str) -> Response:
    return _answer(error.status, {"__type": error.error_type, "message": error.message}, request_id)


def _operation(target: str) -> Operation:
    found = load_operations().get(target)
    if found is None:
        raise UnknownOperation(f"modelwatch does not implement the operation {target!r} (docs/sagemaker.md)")
    return found


def _body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValidationError("the request body must be a JSON object")
    return body


def _run_tasks(ctx: Context) -> None:
    starter = getattr(ctx.request.app.state, "job_starter", None)
    if starter is None:
        return
    for task in ctx.tasks:
        try:
            task(starter)
        except Exception:  # the scheduler retries at its next tick
            log.exception("sagemaker api: could not start a job at once")


async def handle(request: Request) -> Response:
    """Answer one SageMaker API request (the route of every ``POST`` path that carries ``X-Amz-Target``)."""
    from modelwatch.sagemaker_api.auth import authenticate

    request_id = str(uuid.uuid4())
    if not is_sagemaker_request(request):
        return Response(status_code=404)
    raw = await request.body()
    try:
        operation = _operation(request.headers[TARGET_HEADER].strip())
        principal = await to_thread.run_sync(authenticate, request, raw, operation)
        body = _body(raw)
        ctx = Context(request, principal.region, principal.account, principal.key_name)
        answer = await to_thread.run_sync(operation.handler, ctx, body)
    except AwsError as error:
        return _error(error, request_id)
    except Exception:
        log.exception("sagemaker api: %s failed", request.headers.get(TARGET_HEADER))
        return _answer(
            500, {"__type": "InternalFailure", "message": "internal error (see the server log)"}, request_id
        )
    task = BackgroundTask(_run_tasks, ctx) if ctx.tasks else None
    return _answer(200, answer, request_id, task)
