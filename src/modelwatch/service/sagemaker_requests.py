"""The SageMaker API request that created a resource, kept per (resource type, name) so that Describe
answers with what Create sent, the members modelwatch does not use (``RoleArn``, ``ClusterConfig``,
``LocalPath``, ``NetworkConfig``) included.

Resource types are the ARN types: ``monitoring-schedule``, ``data-quality-job-definition``,
``model-quality-job-definition``, ``model-bias-job-definition``, ``model-explainability-job-definition``,
``processing-job``. A resource made through the REST API or the CLI has no request; Describe then
answers from the typed resource alone.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.service.models import SageMakerRequest

__all__ = ["delete_request", "get_request", "save_request"]


def save_request(session: Session, resource_type: str, name: str, request: dict[str, Any]) -> None:
    """Keep ``request`` as the one that made ``resource_type/name`` (an earlier one is replaced: a name
    freed by a delete can be taken again)."""
    delete_request(session, resource_type, name)
    session.add(SageMakerRequest(resource_type=resource_type, resource_name=name, request=request))
    session.flush()


def get_request(session: Session, resource_type: str, name: str) -> dict[str, Any] | None:
    """The request kept for ``resource_type/name``, or None when it was not made through SageMaker's API."""
    return session.scalar(
        sa.select(SageMakerRequest.request).where(
            SageMakerRequest.resource_type == resource_type, SageMakerRequest.resource_name == name
        )
    )


def delete_request(session: Session, resource_type: str, name: str) -> None:
    """Forget the request of ``resource_type/name`` (nothing happens when there is none)."""
    session.execute(
        sa.delete(SageMakerRequest).where(
            SageMakerRequest.resource_type == resource_type, SageMakerRequest.resource_name == name
        )
    )
