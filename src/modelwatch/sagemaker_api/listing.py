"""What every ``List*`` operation reads: time filters (``{Prefix}After`` / ``{Prefix}Before``, epoch
seconds), sort keys and orders checked against their enums, and the opaque ``NextToken`` that wraps the
service's own page token."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar, cast

from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.errors import ValidationError

__all__ = ["SortOrder", "next_token", "page_token", "sort_key", "sort_order", "time_filter"]

SortOrder = Literal["Ascending", "Descending"]
K = TypeVar("K", bound=str)


def time_filter(body: dict[str, Any], prefix: str) -> tuple[datetime | None, datetime | None]:
    """``{prefix}After`` and ``{prefix}Before`` (e.g. ``CreationTimeAfter``) as datetimes."""
    after, before = body.get(f"{prefix}After"), body.get(f"{prefix}Before")
    return (
        None if after is None else wire.from_epoch(after, f"{prefix}After"),
        None if before is None else wire.from_epoch(before, f"{prefix}Before"),
    )


def _enum(body: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = wire.optional(body, name, str, default)
    if value not in allowed:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return value


def sort_key(body: dict[str, Any], allowed: tuple[K, ...], default: K) -> K:
    """``SortBy``, one of ``allowed``."""
    return cast(K, _enum(body, "SortBy", allowed, default))


def sort_order(body: dict[str, Any]) -> SortOrder:
    """``SortOrder``: ``Ascending`` or ``Descending`` (the default)."""
    return cast(SortOrder, _enum(body, "SortOrder", ("Ascending", "Descending"), "Descending"))


def page_token(body: dict[str, Any]) -> str | None:
    """The service's page token inside the request's ``NextToken`` (None for the first page)."""
    state = wire.decode_token(wire.optional(body, "NextToken", str))
    if state is None:
        return None
    inner = state.get("page")
    if not isinstance(inner, str):
        raise ValidationError("Invalid pagination token: NextToken is not one this server gave")
    return inner


def next_token(answer: dict[str, Any], service_token: str | None) -> dict[str, Any]:
    """``answer`` with ``NextToken`` set when the service has another page."""
    if service_token:
        answer["NextToken"] = wire.encode_token({"page": service_token})
    return answer
