"""The API's own request and response bodies; everything else is a model of ``service.schemas``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from modelwatch.service.schemas import ExecutionView, MetricPoint

__all__ = [
    "ErrorBody",
    "ErrorDetail",
    "ExecutionDetail",
    "FieldError",
    "Health",
    "MetricNames",
    "MetricPoints",
    "RunNowRequest",
    "UtcDateTime",
]


def _as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
"""A datetime in ISO 8601; without an offset it is UTC."""


class FieldError(BaseModel):
    field: str = Field(description="The field's path, e.g. definition.endpoint_input.endpoint_name.")
    message: str


class ErrorDetail(BaseModel):
    type: str = Field(description="ValidationError, NotFoundError, ConflictError, Unauthorized, ...")
    message: str
    fields: list[FieldError] | None = Field(default=None, description="Only for validation errors.")


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


class Health(BaseModel):
    status: str = "ok"
    version: str


class RunNowRequest(BaseModel):
    """Run a schedule's job once, now, over ``[window_start, window_end)``."""

    model_config = ConfigDict(extra="forbid")

    window_start: UtcDateTime
    window_end: UtcDateTime


class ExecutionDetail(ExecutionView):
    """An execution with links to its files (paths of the file route)."""

    files: dict[str, str] = Field(
        description="The result files that exist, by name: the path of the file route that serves each."
    )
    log: str | None = Field(description="The path of the execution's log, once there is one.")


class MetricNames(BaseModel):
    names: list[str]


class MetricPoints(BaseModel):
    points: list[MetricPoint]
