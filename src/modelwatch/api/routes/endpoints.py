"""``/endpoints``: the models whose traffic is captured and monitored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from modelwatch.api.deps import MaxResults, NameInPath, NextToken, SessionDep
from modelwatch.api.errors import responses
from modelwatch.service import endpoints
from modelwatch.service.schemas import EndpointSpec, EndpointView, Page

__all__ = ["router"]

router = APIRouter(prefix="/endpoints", tags=["endpoints"])

NameContains = Annotated[
    str | None,
    Query(max_length=63, pattern=r"^[a-zA-Z0-9-]*$", description="Only names that contain this."),
]


@router.post("", status_code=201, responses=responses(400, 403, 409, 413, 422))
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
