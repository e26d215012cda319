"""Typed access to parsed JSON that reports the file and key path of anything malformed."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, TypeVar

from modelwatch.errors import FormatError

__all__ = ["Node", "parse"]

_E = TypeVar("_E", bound=StrEnum)
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def parse(text: str, file: str | None) -> Node:
    """Parse ``text`` as JSON; invalid JSON raises :class:`FormatError` with line and column."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=file
        ) from None
    return Node(value, "", file)


class Node:
    """A parsed JSON value together with its key path (``features[2].inferred_type``) and file."""

    __slots__ = ("file", "path", "value")

    def __init__(self, value: Any, path: str, file: str | None) -> None:
        self.value = value
        self.path = path
        self.file = file

    def error(self, message: str) -> FormatError:
        """A :class:`FormatError` about this value."""
        return FormatError(message, file=self.file, key=self.path or None)

    def _expected(self, what: str) -> FormatError:
        return self.error(f"expected {what}, got {_kind(self.value)}")

    # -- objects -----------------------------------------------------------------------------------
    def _object(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self._expected("an object")
        return self.value

    def child(self, key: str) -> Node:
        """The required member ``key`` of this object."""
        obj = self._object()
        path = f"{self.path}.{key}" if self.path else key
        if key not in obj:
            raise FormatError("required key is missing", file=self.file, key=path)
        return Node(obj[key], path, self.file)

    def opt(self, key: str) -> Node | None:
        """The member ``key`` of this object, or ``None`` when it is absent or ``null``."""
        obj = self._object()
        if obj.get(key) is None:
            return None
        return Node(obj[key], f"{self.path}.{key}" if self.path else key, self.file)

    def keys(self) -> list[str]:
        """The keys of this object in file order."""
        return list(self._object())

    def extra(self, known: tuple[str, ...]) -> dict[str, Any]:
        """The members of this object whose keys are not in ``known``, in file order."""
        return {k: v for k, v in self._object().items() if k not in known}

    # -- arrays ------------------------------------------------------------------------------------
    def items(self) -> Iterator[Node]:
        """The elements of this array."""
        if not isinstance(self.value, list):
            raise self._expected("an array")
        for i, item in enumerate(self.value):
            yield Node(item, f"{self.path}[{i}]", self.file)

    def doubles(self) -> tuple[float, ...]:
        """This array of numbers as floats (the fast path of KLL sketch levels)."""
        values = self.value
        if isinstance(values, list) and all(type(v) is float or type(v) is int for v in values):
            return tuple(map(float, values))
        return tuple(item.double() for item in self.items())

    # -- scalars -----------------------------------------------------------------------------------
    def double(self) -> float:
        """A JSON number, or one of the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
        value = self.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and value in _NON_FINITE:
            return _NON_FINITE[value]
        raise self._expected("a number")

    def long(self) -> int:
        """A JSON integer (an integral float such as ``418.0`` is accepted too)."""
        value = self.value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise self._expected("an integer")

    def string(self) -> str:
        """A JSON string."""
        if not isinstance(self.value, str):
            raise self._expected("a string")
        return self.value

    def boolean(self) -> bool:
        """A JSON boolean."""
        if not isinstance(self.value, bool):
            raise self._expected("a boolean")
        return self.value

    def enum(self, enum: type[_E]) -> _E:
        """A string that must be one of the values of ``enum``."""
        text = self.string()
        try:
            return enum(text)
        except ValueError:
            allowed = ", ".join(repr(member.value) for member in enum)
            raise self.error(f"unknown value {text!r}; expected one of {allowed}") from None
