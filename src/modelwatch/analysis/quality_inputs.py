"""The inputs of the model-quality aggregates: labels, predictions and probabilities (numbers or
strings, numpy or Arrow) normalised, with errors that name the record (its id, else its row)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.errors import DataError, ValidationError

__all__ = [
    "ArrayLike",
    "Records",
    "as_arrow",
    "as_numbers",
    "binary",
    "binary_values",
    "classes",
    "numeric_values",
    "same_length",
]

_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$"

ArrayLike: TypeAlias = np.ndarray | pa.Array | pa.ChunkedArray | Sequence[Any]


@dataclass(frozen=True)
class Records:
    """How messages name a record: by its id when given, else by its 1-based row number."""

    ids: ArrayLike | None
    offset: int

    def name(self, index: int) -> str:
        if self.ids is not None:
            ids = self.ids
            value = ids[index].as_py() if isinstance(ids, pa.Array | pa.ChunkedArray) else ids[index]
            return f"record {value!r}"
        return f"row {self.offset + index + 1}"

    def error(self, index: int, column: str, message: str) -> DataError:
        return DataError(f"{self.name(index)}: {message}", column=column)


def as_arrow(values: ArrayLike) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values.dictionary_decode() if pa.types.is_dictionary(values.type) else values
    array = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise ValidationError(f"expected a one-dimensional array, got shape {array.shape}")
    if array.dtype.kind == "O":
        try:
            return pa.array(array, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array([as_text(v) for v in array], pa.string())
    return pa.array(array)


def as_text(value: Any) -> str | None:
    """A value of a mixed-type list as text (booleans as ``1``/``0``)."""
    if value is None or isinstance(value, bool | np.bool_):
        return None if value is None else ("1" if value else "0")
    return str(value)


def first_index(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def no_nulls(array: pa.Array, column: str, records: Records) -> None:
    if array.null_count:
        index = first_index(np.asarray(array.is_null()))
        raise records.error(index, column, f"the {column} is missing")


def as_numbers(values: ArrayLike, column: str, records: Records, expected: str = "a number") -> np.ndarray:
    """``values`` as finite float64; a null, NaN, infinite or non-numeric value raises DataError."""
    array = as_arrow(values)
    no_nulls(array, column, records)
    kind = array.type
    if len(array) == 0:
        return np.zeros(0)
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind):
        numbers = array.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.utf8_trim_whitespace(array)
        try:
            numbers = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            valid = np.asarray(pc.match_substring_regex(text, _NUMBER, ignore_case=True))
            index = first_index(~valid) if not valid.all() else 0
            raise records.error(
                index, column, f"{column} {text[index].as_py()!r} is not {expected}"
            ) from None
    else:
        raise DataError(f"{column} values of type {kind} are not {expected}", column=column)
    bad = ~np.isfinite(numbers)
    if bad.any():
        index = first_index(bad)
        raise records.error(index, column, f"{column} {array[index].as_py()!r} is not {expected}")
    return numbers


def binary(values: ArrayLike, column: str, records: Records) -> np.ndarray:
    """Binary labels as booleans (True = positive): ``1``/``0`` as numbers or strings (``"1.0"`` too),
    booleans, and ``"true"``/``"false"`` in any case."""
    array = as_arrow(values)
    if pa.types.is_boolean(array.type):
        no_nulls(array, column, records)
        return array.to_numpy(zero_copy_only=False).astype(bool)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        text = pc.utf8_lower(pc.utf8_trim_whitespace(array))
        array = pc.if_else(pc.equal(text, "true"), "1", pc.if_else(pc.equal(text, "false"), "0", text))
    expected = "a binary label (0, 1, true or false)"
    numbers = as_numbers(array, column, records, expected)
    bad = (numbers != 0.0) & (numbers != 1.0)
    if bad.any():
        index = first_index(bad)
        raise records.error(index, column, f"{column} {as_arrow(values)[index].as_py()!r} is not {expected}")
    return numbers == 1.0


def classes(values: ArrayLike, column: str, records: Records) -> pa.Array:
    """Class labels as strings: numbers written without a fraction when integral (``1``, ``1.0`` and
    ``"1.0"`` are all class ``"1"``), booleans as ``"1"``/``"0"``, other strings trimmed."""
    array = as_arrow(values)
    no_nulls(array, column, records)
    kind = array.type
    if len(array) == 0:
        return pa.array([], pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "1", "0")
    if pa.types.is_integer(kind):
        return pc.cast(array, pa.string())
    if pa.types.is_floating(kind):
        numbers = as_numbers(array, column, records, "a class label")
        integral = numbers == np.round(numbers)
        as_int = pc.cast(pa.array(np.where(integral, numbers, 0.0).astype(np.int64)), pa.string())
        return pc.if_else(pa.array(integral), as_int, pc.cast(array, pa.string()))
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise DataError(f"{column} values of type {kind} are not class labels", column=column)
    text = pc.cast(pc.utf8_trim_whitespace(array), pa.string())
    numeric = np.asarray(pc.match_substring_regex(text, _NUMBER, ignore_case=True))
    if not numeric.any():
        return text
    numbers = np.full(len(text), np.nan)
    numbers[numeric] = pc.cast(text.filter(pa.array(numeric)), pa.float64()).to_numpy(zero_copy_only=False)
    integral = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < 2.0**63)
    as_int = pc.cast(pa.array(np.where(integral, numbers, 0.0).astype(np.int64)), pa.string())
    return pc.if_else(pa.array(integral), as_int, text)


def numeric_values(
    values: ArrayLike, *, column: str = "value", record_ids: ArrayLike | None = None
) -> np.ndarray:
    """``values`` (numbers, or strings of numbers) as finite float64; raises DataError naming the record."""
    return as_numbers(values, column, Records(record_ids, 0))


def binary_values(
    values: ArrayLike, *, column: str = "label", record_ids: ArrayLike | None = None
) -> np.ndarray:
    """Binary labels (``1``/``0``, ``"1.0"``, ``true``/``false``) as booleans, True = positive."""
    return binary(values, column, Records(record_ids, 0))


def same_length(**arrays: Any) -> int:
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise ValidationError(f"labels, predictions and probabilities differ in length: {shown}")
    return next(iter(lengths.values()))
