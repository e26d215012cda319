"""JSON text exactly as Jackson's ``DefaultPrettyPrinter`` writes it (SageMaker's analyzer output).

The layout (spec 3.2)::

    {
      "features" : [ {
        "name" : "a",
        "data" : [ [ 1.0, 2.0 ], [ ] ]
      }, {
        "name" : "b",
        "empty" : { }
      } ]
    }

* objects put each entry on its own line, indented by two spaces per *object* nesting level;
* arrays are written inline (``[ 1.0, 2.0 ]``) and add no indentation, so objects inside an array are
  indented by how many objects enclose them;
* ``"key" : value``, LF newlines, no trailing newline;
* ``float`` values use Java's ``Double.toString`` (:func:`~modelwatch.formats.javafloat.format_double`),
  NaN and the infinities are the quoted strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``
  (Jackson's ``QUOTE_NON_NUMERIC_NUMBERS``); ``int`` values are plain digits (Java ``long``);
* strings escape ``"``, ``\\`` and control characters (``\\n``, ``\\t``, ``\\r``, ``\\b``, ``\\f``,
  else ``\\u00XX`` with upper-case hex); everything else, ``/`` and non-ASCII included, is written as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from modelwatch.formats.javafloat import format_double

__all__ = ["dumps"]

_ESCAPES: dict[int, str] = {code: f"\\u{code:04X}" for code in range(0x20)}
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"})
_NON_FINITE = {"NaN": '"NaN"', "Infinity": '"Infinity"', "-Infinity": '"-Infinity"'}


def dumps(obj: Any) -> str:
    """Serialise ``obj`` (``dict``/``list``/``tuple``/``str``/``int``/``float``/``bool``/``None``).

    Mapping keys must be strings. Raises :class:`TypeError` for any other value type.
    """
    out: list[str] = []
    _write(obj, 0, out)
    return "".join(out)


def _quote(text: str) -> str:
    """Return ``text`` as a JSON string literal escaped as Jackson escapes it."""
    return f'"{text.translate(_ESCAPES)}"'


def _double(x: float) -> str:
    text = format_double(x)
    return _NON_FINITE.get(text, text)


def _doubles(values: Sequence[float]) -> str:
    """``values`` (all of type float) as the items of a Jackson array, ``1.0, 2.0``."""
    texts = list(map(repr, values))
    # repr is Java's text for 0 and 1e-3 <= |x| < 1e7; fix the others (NaN included) one by one.
    magnitude = np.abs(np.array(values, dtype=np.float64))
    for i in np.flatnonzero(~((magnitude >= 1e-3) & (magnitude < 1e7)) & (magnitude != 0.0)).tolist():
        texts[i] = _double(values[i])
    return ", ".join(texts)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _double(value)
    raise TypeError(f"cannot write a value of type {type(value).__name__} as JSON")


def _write(value: Any, depth: int, out: list[str]) -> None:
    if isinstance(value, Mapping):
        if not value:
            out.append("{ }")
            return
        indent = "\n" + "  " * (depth + 1)
        separator = "{" + indent
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {type(key).__name__}")
            out.append(separator)
            out.append(_quote(key))
            out.append(" : ")
            _write(item, depth + 1, out)
            separator = "," + indent
        out.append("\n" + "  " * depth + "}")
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if not value:
            out.append("[ ]")
        elif set(map(type, value)) == {float}:
            # The hot path: KLL sketch levels with up to thousands of doubles each.
            out.append("[ " + _doubles(value) + " ]")
        else:
            separator = "[ "
            for item in value:
                out.append(separator)
                _write(item, depth, out)
                separator = ", "
            out.append(" ]")
    else:
        out.append(_scalar(value))
