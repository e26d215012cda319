"""``/endpoints``: the models whose traffic is captured and monitored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response

from modelwatch.api.errors import responses
from modelwatch.errors import ValidationError
from modelwatch.service import endpoints, ground_truth
from modelwatch.service.schemas import EndpointSpec, EndpointView, GroundTruthUploadView, Page
from modelwatch.web.deps import MaxResults, NameInPath, NextToken, SessionDep, transaction

__all__ = ["router"]

router = APIRouter(prefix="/endpoints", tags=["endpoints"])

NameContains = Annotated[
    str | None,
    Query(max_length=63, pattern=r"^[a-zA-Z0-9-]*$", description="Only names that contain this."),
]


@router.post("", status_code=201, responses=responses(400, 403, 409, 413, 422, 507))
def create_endpoint(spec: EndpointSpec, session: SessionDep) -> EndpointView:
    """Register an endpoint; its capture goes to the config's DestinationS3Uri or {storage}/capture."""
    return endpoints.create_endpoint(session, spec)


@router.get("", responses=responses(422))
def list_endpoints(
    session: SessionDep,
    name_contains: NameContains = None,
    max_results: MaxResults = 100,
    next_token: NextToken = None,
) -> Page[EndpointView]:
    """Endpoints by name."""
    return endpoints.list_endpoints(
        session, name_contains=name_contains, max_results=max_results, next_token=next_token
    )


@router.get("/{name}", responses=responses(404, 422))
def describe_endpoint(name: NameInPath, session: SessionDep) -> EndpointView:
    return endpoints.describe_endpoint(session, name)


@router.delete("/{name}", status_code=204, response_class=Response, responses=responses(403, 404, 409, 422))
def delete_endpoint(name: NameInPath, session: SessionDep) -> None:
    """Delete an endpoint (its captured files stay); 409 while it has monitoring schedules."""
    endpoints.delete_endpoint(session, name)


_JSON_LINES = {"schema": {"type": "string", "description": "Ground-truth records, one JSON object a line."}}


@router.post(
    "/{name}/ground-truth",
    status_code=201,
    responses=responses(400, 403, 404, 413, 422, 507),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-ndjson": _JSON_LINES},
        }
    },
)
async def upload_ground_truth(
    name: NameInPath,
    request: Request,
    collected_at: Annotated[
        datetime | None,
        Query(description="When the labels were collected (their hour folder); default now. No zone: UTC."),
    ] = None,
) -> GroundTruthUploadView:
    """Store labels of the endpoint's predictions (SageMaker's ground-truth JSON Lines, ≤ 1 MiB a request).

    Every line is checked; with any invalid line nothing is stored and the answer (400) lists the lines.
    """
    body = await request.body()
    moment = None
    if collected_at is not None:
        try:
            moment = collected_at.replace(tzinfo=collected_at.tzinfo or UTC).astimezone(UTC)
        except OverflowError:
            raise ValidationError("is out of range", field="collected_at") from None

    def store() -> GroundTruthUploadView:
        with transaction(request, write=False) as session:
            return ground_truth.upload_ground_truth(session, name, body, collected_at=moment)

    return await anyio.to_thread.run_sync(store)
