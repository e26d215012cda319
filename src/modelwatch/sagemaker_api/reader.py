"""Reading a request's members: :class:`Reader` wraps one structure of the body and names every member
it reads by its full path (``DataQualityJobInput.EndpointInput.EndpointName``), in AWS's words, when it
is missing, of the wrong type, too long or not one of its enum's values. Members it is not asked for are
left alone (AWS drops unknown members)."""

from __future__ import annotations

from typing import Any, TypeVar

from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.errors import ValidationError
from modelwatch.sagemaker_api.service_errors import validation_message

__all__ = ["MAX_TAGS", "Reader", "read_tags"]

T = TypeVar("T")

MAX_TAGS = 50
"""The most tags one request may carry (SageMaker's ``TagList``)."""


class Reader:
    """One structure of a request at ``path``: its members read with errors that name their full path."""

    def __init__(self, body: Any, path: str = "") -> None:
        if not isinstance(body, dict):
            raise ValidationError(validation_message(path or "request", "Member must be a structure"))
        self.body = body
        self.path = path

    def member(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def required(self, name: str, kind: type[T]) -> T:
        return wire.required({self.member(name): self.body.get(name)}, self.member(name), kind)

    def optional(self, name: str, kind: type[T]) -> T | None:
        return wire.optional({self.member(name): self.body.get(name)}, self.member(name), kind)

    def text(self, name: str, *, required: bool = False, min_length: int = 0, max_length: int = 1024) -> str:
        """A string member (``""`` when optional and absent) within the length bounds."""
        value = self.required(name, str) if required else (self.optional(name, str) or "")
        if (value or required) and not min_length <= len(value) <= max_length:
            raise ValidationError(
                validation_message(
                    self.member(name),
                    f"Member must have length greater than or equal to {min_length} "
                    f"and less than or equal to {max_length}",
                )
            )
        return value

    def enum(self, name: str, allowed: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self.required(name, str) if required else self.optional(name, str)
        if value is not None and value not in allowed:
            raise ValidationError(
                f"1 validation error detected: Value '{value}' at '{self.member(name)}' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
            )
        return value

    def child(self, name: str, *, required: bool = False) -> Reader | None:
        value = self.required(name, dict) if required else self.optional(name, dict)
        return None if value is None else Reader(value, self.member(name))

    def must_child(self, name: str) -> Reader:
        found = self.child(name, required=True)
        assert found is not None
        return found

    def children(self, name: str, *, required: bool = False, min_items: int = 0) -> list[Reader]:
        items = (self.required(name, list) if required else self.optional(name, list)) or []
        if len(items) < min_items:
            raise ValidationError(
                validation_message(
                    self.member(name), f"Member must have length greater than or equal to {min_items}"
                )
            )
        return [Reader(item, f"{self.member(name)}.{index + 1}") for index, item in enumerate(items)]

    def strings(self, name: str) -> dict[str, str] | None:
        """A map of strings (``Environment``)."""
        value = self.optional(name, dict)
        if value is None:
            return None
        for key, item in value.items():
            if not isinstance(item, str):
                raise ValidationError(
                    validation_message(f"{self.member(name)}.{key}", "Member must be of type string")
                )
        return dict(value)


def read_tags(body: dict[str, Any], name: str = "Tags") -> list[tuple[str, str]]:
    """``Tags`` (a list of ``{Key, Value}``, at most 50) as (key, value) pairs."""
    tags = []
    for item in Reader(body).children(name):
        key = item.text("Key", required=True, min_length=1, max_length=128)
        value = item.required("Value", str)
        if len(value) > 256:
            raise ValidationError(validation_message(item.member("Value"), "Member must have length ≤ 256"))
        tags.append((key, value))
    if len(tags) > MAX_TAGS:
        raise ValidationError(
            validation_message(name, f"Member must have length less than or equal to {MAX_TAGS}")
        )
    return tags
