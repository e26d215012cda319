"""Endpoints: the models whose traffic modelwatch captures and monitors."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.capture.config import DataCaptureConfig
from modelwatch.errors import ConfigurationError, ConflictError, ValidationError
from modelwatch.service.layout import capture_root
from modelwatch.service.lookup import by_name, ensure_new_name
from modelwatch.service.models import Endpoint, Schedule
from modelwatch.service.paging import page
from modelwatch.service.roots import confine
from modelwatch.service.schemas import EndpointSpec, EndpointView, Page

__all__ = ["create_endpoint", "delete_endpoint", "describe_endpoint", "get_endpoint", "list_endpoints"]

KIND = "endpoint"


def _view(row: Endpoint) -> EndpointView:
    return EndpointView.model_validate(row, from_attributes=True)


def get_endpoint(session: Session, name: str) -> Endpoint:
    return by_name(session, Endpoint, name, KIND)


def create_endpoint(session: Session, spec: EndpointSpec) -> EndpointView:
    """Register an endpoint. Its capture goes to the config's ``DestinationS3Uri`` or ``{storage}/capture``.

    Raises:
        ConflictError: the name is taken.
        ValidationError: the capture config is invalid (the field is named).
    """
    capture_uri = capture_root()
    if spec.data_capture_config is not None:
        try:
            capture_uri = DataCaptureConfig.from_sagemaker(
                {"DestinationS3Uri": capture_uri, **spec.data_capture_config}
            ).destination_uri
        except ConfigurationError as error:
            raise ValidationError(str(error), field="data_capture_config") from None
        confine(capture_uri, "data_capture_config.DestinationS3Uri")  # MODELWATCH_ALLOWED_ROOTS
    ensure_new_name(session, Endpoint, spec.name, KIND)
    row = Endpoint(
        name=spec.name,
        variants=list(spec.variants),
        data_capture_config=spec.data_capture_config,
        capture_uri=capture_uri,
        status="InService",
    )
    session.add(row)
    session.flush()
    return _view(row)


def describe_endpoint(session: Session, name: str) -> EndpointView:
    return _view(get_endpoint(session, name))


def list_endpoints(
    session: Session,
    *,
    name_contains: str | None = None,
    max_results: int = 100,
    next_token: str | None = None,
) -> Page[EndpointView]:
    query = sa.select(Endpoint).order_by(Endpoint.name)
    if name_contains:
        query = query.where(Endpoint.name.contains(name_contains, autoescape=True))
    rows, token = page(session, query, max_results, next_token)
    return Page[EndpointView](items=[_view(r) for r in rows], next_token=token)


def delete_endpoint(session: Session, name: str) -> None:
    """Delete an endpoint (its captured files stay).

    Raises:
        ConflictError: monitoring schedules of the endpoint exist (SageMaker's rule: delete them first).
    """
    row = get_endpoint(session, name)
    schedules = session.scalars(sa.select(Schedule.name).where(Schedule.endpoint_name == name)).all()
    if schedules:
        raise ConflictError(
            f"endpoint {name!r} still has monitoring schedules {', '.join(sorted(schedules))}; "
            "delete them first"
        )
    session.delete(row)
