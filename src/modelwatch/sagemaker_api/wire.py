"""What every operation shares: reading fields of a request body with errors that name them, epoch
timestamps, ARNs and opaque page tokens."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from modelwatch.sagemaker_api.errors import ValidationError

__all__ = [
    "DEFAULT_ACCOUNT",
    "EXECUTION_JOB_PREFIX",
    "arn",
    "decode_token",
    "encode_token",
    "enum_field",
    "epoch",
    "execution_id_of",
    "execution_job_name",
    "from_epoch",
    "max_results",
    "name_from_arn",
    "optional",
    "required",
]

DEFAULT_ACCOUNT = "000000000000"
"""The account id in ARNs unless ``MODELWATCH_AWS_ACCOUNT_ID`` says otherwise."""

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


def required(body: dict[str, Any], name: str, kind: type[T]) -> T:
    """``body[name]``, which must be there and of type ``kind``."""
    if name not in body or body[name] is None:
        raise ValidationError(
            f"1 validation error detected: Value null at '{name}' failed to satisfy "
            "constraint: Member must not be null"
        )
    return _typed(body[name], name, kind)


def optional(body: dict[str, Any], name: str, kind: type[T], default: T | None = None) -> T | None:
    """``body[name]`` of type ``kind`` when given, else ``default``."""
    if body.get(name) is None:
        return default
    return _typed(body[name], name, kind)


def _typed(value: Any, name: str, kind: type[T]) -> T:
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]  # an int is a valid JSON number for a float
    if not ok:
        raise ValidationError(
            f"1 validation error detected: Value at '{name}' failed to satisfy "
            f"constraint: Member must be of type {kind.__name__}"
        )
    return value  # checked by isinstance above


def enum_field(body: dict[str, Any], name: str, enum: type[E], default: E | None = None) -> E | None:
    """``body[name]`` as a member of ``enum`` (by value), or ``default`` when not given."""
    value = optional(body, name, str)
    if value is None:
        return default
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{name}' failed to "
            f"satisfy constraint: Member must satisfy enum value set: [{allowed}]"
        ) from None


def max_results(body: dict[str, Any], default: int = 100) -> int:
    """``MaxResults``, 1 to 100 (SageMaker's bounds)."""
    value = optional(body, "MaxResults", int, default)
    assert value is not None
    if not 1 <= value <= 100:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at 'maxResults' failed to "
            "satisfy constraint: Member must have value less than or equal to 100 "
            "and greater than or equal to 1"
        )
    return value


def encode_token(state: dict[str, Any]) -> str:
    """An opaque ``NextToken`` for ``state`` (url-safe base64 of its JSON)."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def decode_token(token: str | None) -> dict[str, Any] | None:
    """The state of a ``NextToken`` made by :func:`encode_token`; None for no token."""
    if not token:
        return None
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError("Invalid pagination token: NextToken is not one this server gave") from None
    if not isinstance(state, dict):
        raise ValidationError("Invalid pagination token: NextToken is not one this server gave")
    return state


def epoch(moment: datetime | None) -> float | None:
    """A timestamp as epoch seconds (what botocore parses for a ``timestamp`` shape)."""
    return None if moment is None else moment.timestamp()


def from_epoch(value: Any, name: str) -> datetime:
    """A request timestamp (epoch seconds, int or float; or ISO 8601) as an aware UTC datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValidationError(f"Value at '{name}' is not a valid timestamp") from None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"Value '{value}' at '{name}' is not a valid timestamp") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ValidationError(f"Value at '{name}' is not a valid timestamp")


def arn(region: str, account: str, resource_type: str, name: str) -> str:
    """``arn:aws:sagemaker:{region}:{account}:{resource_type}/{name}`` (SageMaker lower-cases names in
    ARNs; modelwatch's names are case-sensitive, so an ARN keeps the name as it is)."""
    return f"arn:aws:sagemaker:{region}:{account}:{resource_type}/{name}"


def name_from_arn(value: str, resource_type: str | None = None) -> tuple[str, str]:
    """(resource type, name) of a SageMaker ARN; ``resource_type`` when given must match."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sagemaker" or "/" not in parts[5]:
        raise ValidationError(f"Value '{value}' at 'ResourceArn' is not a SageMaker ARN")
    kind, name = parts[5].split("/", 1)
    if resource_type is not None and kind != resource_type:
        raise ValidationError(f"'{value}' is not the ARN of a {resource_type}")
    return kind, name


EXECUTION_JOB_PREFIX = "monitoring-execution-"
"""Every monitoring execution is also a processing job (the SDK's ``list_executions()`` describes each):
its name is this prefix and the execution's id, its ARN ``…:processing-job/{name}``."""


def execution_job_name(execution_id: int) -> str:
    """The processing job name of a monitoring execution."""
    return f"{EXECUTION_JOB_PREFIX}{execution_id}"


def execution_id_of(job_name: str) -> int | None:
    """The execution id that a processing job name stands for, or None if it names no execution."""
    suffix = job_name.removeprefix(EXECUTION_JOB_PREFIX)
    if suffix == job_name or not suffix.isascii() or not suffix.isdigit() or len(suffix) > 10:
        return None
    return int(suffix)
