"""``AddTags``, ``DeleteTags`` and ``ListTags`` by resource ARN over :mod:`modelwatch.service.tags`.

Tags may be put on monitoring schedules and job definitions that exist (``ResourceNotFound`` otherwise)
and on processing jobs; any other resource type is a ``ValidationException``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from modelwatch.jobs.definitions import MonitoringType
from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.errors import ValidationError
from modelwatch.sagemaker_api.reader import Reader, read_tags
from modelwatch.sagemaker_api.registry import Context, operation
from modelwatch.sagemaker_api.service_errors import Members, not_found, service_errors
from modelwatch.sagemaker_api.shapes import ARN_TYPES
from modelwatch.service.job_definitions import get_job_definition
from modelwatch.service.schedules import get_schedule
from modelwatch.service.tags import add_tags, delete_tags, list_tags

__all__: list[str] = []

_DEFINITION_TYPES = {arn_type: kind for kind, arn_type in ARN_TYPES.items()}
_TAGGABLE = ("monitoring-schedule", "processing-job", *_DEFINITION_TYPES)


def _resource(session: Session, body: dict[str, Any]) -> tuple[str, str]:
    """(resource type, name) of ``ResourceArn``; a schedule or job definition must exist."""
    value = Reader(body).text("ResourceArn", required=True, max_length=256)
    kind, name = wire.name_from_arn(value)
    if kind not in _TAGGABLE:
        raise ValidationError(f"modelwatch cannot tag a {kind}: {value}")
    with service_errors(Members(default="ResourceArn")):
        if kind == "monitoring-schedule":
            get_schedule(session, name)
        elif kind in _DEFINITION_TYPES:
            row = get_job_definition(session, name)
            if MonitoringType(row.monitoring_type) != _DEFINITION_TYPES[kind]:
                raise not_found(kind.replace("-", " "), name)
    return kind, name


@operation("AddTags")
def add(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    Reader(body).required("Tags", list)
    tags = read_tags(body)
    with ctx.transaction() as session:
        kind, name = _resource(session, body)
        with service_errors(Members(default="Tags")):
            add_tags(session, kind, name, tags)
    return {"Tags": [{"Key": key, "Value": value} for key, value in tags]}


@operation("DeleteTags")
def delete(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    request = Reader(body)
    keys = request.required("TagKeys", list)
    if not 1 <= len(keys) <= 50 or not all(isinstance(key, str) for key in keys):
        raise ValidationError(
            "1 validation error detected: Value at 'TagKeys' failed to satisfy constraint: "
            "Member must be a list of 1 to 50 strings"
        )
    with ctx.transaction() as session:
        kind, name = _resource(session, body)
        delete_tags(session, kind, name, keys)
    return {}


@operation("ListTags", read=True)
def list_(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    size = Reader(body).optional("MaxResults", int) or 50
    if not 50 <= size <= 10_000:
        raise ValidationError(
            "1 validation error detected: Value at 'MaxResults' failed to satisfy constraint: "
            "Member must have value greater than or equal to 50 and less than or equal to 10000"
        )
    state = wire.decode_token(Reader(body).optional("NextToken", str)) or {}
    offset = state.get("offset", 0)
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError("Invalid pagination token: NextToken is not one this server gave")
    with ctx.transaction(write=False) as session:
        kind, name = _resource(session, body)
        tags = list_tags(session, kind, name)
    chunk = tags[offset : offset + size]
    more = wire.encode_token({"offset": offset + size}) if offset + size < len(tags) else None
    answer: dict[str, Any] = {"Tags": [{"Key": key, "Value": value} for key, value in chunk]}
    if more:
        answer["NextToken"] = more
    return answer
