"""Deequ's data-type inference, vectorised over Arrow arrays.

Deequ classifies the *string form* of each value:

* Integral:   ``^(-|\\+)? ?\\d+$``
* Fractional: ``^(-|\\+)? ?\\d+((\\.\\d+)|((?:\\.\\d+)?[Ee][-+]?\\d+))$``
* Boolean:    ``^(true|false)$`` (counted as String here: Model Monitor reports such columns as String)
* String:     anything else; nulls are not counted.

Regular expressions cost ~50 ns a value, so the common cases take cheaper routes with the same answers
(a property test checks them against the two expressions):

* a string can only be numeric if its first byte is a digit, a sign or a space;
* all-digit strings are Integral;
* if the candidates all parse as float64, a string is Integral when it has no ``.``/``e``/``E`` and a
  finite value, Fractional when it has one and every dot sits between two digits of the same string
  (float parsers also accept ``.5``, ``5.``, ``5.e3``, ``nan`` and ``inf``, which Deequ does not call
  numeric), else String;
* otherwise the two regular expressions decide.

Dictionary-encoded columns are classified once per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.analysis.arrow_numpy import bool_mask, positions, to_numpy
from modelwatch.formats.statistics import InferredType

__all__ = ["TypedValues", "classify", "infer_type"]

INTEGRAL_PATTERN = r"^(-|\+)? ?\d+$"
FRACTIONAL_PATTERN = r"^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$"
_PROBE = 512
_DIGITS = np.zeros(256, dtype=bool)
_DIGITS[ord("0") : ord("9") + 1] = True
_CAN_START_NUMBER = _DIGITS.copy()
_CAN_START_NUMBER[[ord("+"), ord("-"), ord(" ")]] = True
_DOT, _LOWER_E, _UPPER_E = ord("."), ord("e"), ord("E")


@dataclass(frozen=True)
class TypedValues:
    """What one batch of one column holds, by Deequ's types.

    ``numeric`` holds the float64 values of the Integral and Fractional entries, in row order.
    """

    present: int
    integral: int
    fractional: int
    numeric: np.ndarray

    @property
    def string(self) -> int:
        return self.present - self.integral - self.fractional


def infer_type(integral: int, fractional: int, string: int) -> InferredType:
    """Deequ's decision: any string → String; else any fractional → Fractional; else Integral."""
    if string:
        return InferredType.STRING
    if fractional:
        return InferredType.FRACTIONAL
    if integral:
        return InferredType.INTEGRAL
    return InferredType.UNKNOWN


_NONE = TypedValues(0, 0, 0, np.empty(0))


def _to_numpy(values: pa.Array) -> np.ndarray:
    """The values as float64 numpy (a float64 array without nulls is viewed in place)."""
    return to_numpy(values).astype(np.float64, copy=False)


def _bytes_and_offsets(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of a string array and the n + 1 offsets of its strings into them."""
    offset_type = np.int64 if pa.types.is_large_string(values.type) else np.int32
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[values.offset : values.offset + len(values) + 1]
    if buffers[2] is None:
        return np.empty(0, np.uint8), offsets - offsets[0]
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data, offsets - offsets[0] if offsets[0] else offsets


def _first_bytes(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """First byte of each string; 0 for an empty string."""
    starts, ends = offsets[:-1], offsets[1:]
    if len(data) == 0:
        return np.zeros(len(starts), dtype=np.uint8)
    return np.where(ends > starts, data[np.minimum(starts, len(data) - 1)], 0)


STRING, INTEGRAL, FRACTIONAL = 0, 1, 2


def _candidates(values: pa.Array) -> np.ndarray:
    """Which strings could be numbers: those starting with a digit, a sign or a space."""
    data, offsets = _bytes_and_offsets(values)
    return _CAN_START_NUMBER[_first_bytes(data, offsets)]


def _classify_string_array(values: pa.Array) -> TypedValues:
    """Classify a string array without nulls."""
    if len(values) == 0:
        return _NONE
    data, offsets = _bytes_and_offsets(values)
    candidate = _CAN_START_NUMBER[_first_bytes(data, offsets)]
    if candidate.all():
        return _summarise(*_kinds_of_candidates(values, data, offsets))
    if not candidate.any():
        return TypedValues(len(values), 0, 0, np.empty(0))
    return _summarise(*_kinds(values, candidate))


def _kinds(values: pa.Array, candidate: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per value of a string array without nulls: its kind (STRING / INTEGRAL / FRACTIONAL) and its
    float64 value (NaN unless numeric)."""
    n = len(values)
    if candidate is None:
        candidate = _candidates(values)
    kinds = np.zeros(n, dtype=np.int8)
    numbers = np.full(n, np.nan)
    if not candidate.any():
        return kinds, numbers
    if not candidate.all():
        where = np.flatnonzero(candidate)
        subset = values.filter(bool_mask(candidate))
        sub_kinds, sub_numbers = _kinds_of_candidates(subset, *_bytes_and_offsets(subset))
        kinds[where], numbers[where] = sub_kinds, sub_numbers
        return kinds, numbers
    return _kinds_of_candidates(values, *_bytes_and_offsets(values))


def _kinds_of_candidates(
    values: pa.Array, data: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if (
        pc.all(pc.ascii_is_decimal(values.slice(0, _PROBE))).as_py()
        and pc.all(pc.ascii_is_decimal(values)).as_py()
    ):
        return np.full(len(values), INTEGRAL, dtype=np.int8), _to_numpy(pc.cast(values, pa.float64()))
    parsed = _try_parse_floats(values)
    if parsed is not None:
        if (data == _LOWER_E).any() or (data == _UPPER_E).any():
            return _kinds_of_parsed(data, offsets, parsed), parsed
        return _kinds_of_plain_decimals(values, data, offsets, parsed), parsed
    return _kinds_by_regex(values)


def _try_parse_floats(values: pa.Array) -> np.ndarray | None:
    """float64 values if every string parses; probe a slice first, since a failed cast is slow."""
    try:
        pc.cast(values.slice(0, _PROBE), pa.float64())
        return _to_numpy(pc.cast(values, pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _kinds_of_plain_decimals(
    values: pa.Array, data: np.ndarray, offsets: np.ndarray, parsed: np.ndarray
) -> np.ndarray:
    """Kinds of non-empty strings without exponents that all parse as float64 (the common case).

    A finite value with a fractional part must have been written with a dot; only integer-valued
    strings need a look at their text. Without exponents, non-finite values are ``nan``/``inf`` words.
    """
    finite = np.isfinite(parsed)
    dotted = finite & (parsed != np.trunc(parsed))
    unsure = np.flatnonzero(finite & ~dotted)
    if len(unsure):
        subset = values.take(positions(unsure))
        dotted[unsure] = to_numpy(pc.match_substring(subset, "."))
    starts, ends = offsets[:-1], offsets[1:]
    first, last = data[starts], data[ends - 1]
    second = data[np.minimum(starts + 1, len(data) - 1)]
    signed = (first == ord("+")) | (first == ord("-"))
    malformed = (first == _DOT) | (signed & (second == _DOT)) | (last == _DOT)
    kinds = np.zeros(len(parsed), dtype=np.int8)
    kinds[finite & ~dotted] = INTEGRAL
    kinds[dotted & ~malformed] = FRACTIONAL
    return kinds


def _kinds_of_parsed(data: np.ndarray, offsets: np.ndarray, parsed: np.ndarray) -> np.ndarray:
    """Kinds of non-empty strings that all parse as float64, decided from their bytes."""
    n = len(parsed)
    starts = np.zeros(len(data) + 1, dtype=bool)
    starts[offsets] = True  # string starts, and the end of the data
    marks = np.flatnonzero((data == _DOT) | (data == _LOWER_E) | (data == _UPPER_E))
    owner = np.searchsorted(offsets, marks, side="right") - 1
    marked = np.zeros(n, dtype=bool)
    marked[owner] = True
    is_dot = data[marks] == _DOT
    dots = marks[is_dot]
    # a dot is well formed when a digit of the same string stands on each side of it
    before = _DIGITS[data[np.maximum(dots - 1, 0)]] & ~starts[dots]
    after = _DIGITS[data[np.minimum(dots + 1, len(data) - 1)]] & ~starts[dots + 1]
    malformed = np.zeros(n, dtype=bool)
    malformed[owner[is_dot][~(before & after)]] = True
    kinds = np.zeros(n, dtype=np.int8)
    kinds[~marked & np.isfinite(parsed)] = INTEGRAL
    kinds[marked & ~malformed] = FRACTIONAL
    return kinds


def _kinds_by_regex(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    integral = to_numpy(pc.match_substring_regex(values, INTEGRAL_PATTERN))
    fractional = to_numpy(pc.match_substring_regex(values, FRACTIONAL_PATTERN))
    kinds = np.where(integral, INTEGRAL, np.where(fractional, FRACTIONAL, STRING)).astype(np.int8)
    numbers = np.full(len(values), np.nan)
    numeric = kinds > 0
    if numeric.any():
        # Deequ allows one space after the sign ("- 5"), which float parsers reject.
        strings = pc.replace_substring(values.filter(bool_mask(numeric)), " ", "")
        numbers[numeric] = _to_numpy(pc.cast(strings, pa.float64()))
    return kinds, numbers


def _summarise(kinds: np.ndarray, numbers: np.ndarray) -> TypedValues:
    integral = int(np.count_nonzero(kinds == INTEGRAL))
    fractional = int(np.count_nonzero(kinds == FRACTIONAL))
    numeric = numbers if integral + fractional == len(kinds) else numbers[kinds > 0]
    return TypedValues(len(kinds), integral, fractional, numeric)


def _classify_dictionary(column: pa.DictionaryArray) -> TypedValues:
    """Classify each distinct value once, then expand by the indices."""
    indices = column.indices.drop_null() if column.null_count else column.indices
    codes = to_numpy(indices)
    dictionary = column.dictionary
    if not (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)):
        return classify(dictionary.take(indices))
    # fill_null converts its Python argument through pyarrow's pandas check: only when needed
    kinds, numbers = _kinds(dictionary.fill_null("") if dictionary.null_count else dictionary)
    if not kinds.any():
        return TypedValues(len(codes), 0, 0, np.empty(0))
    return _summarise(kinds[codes], numbers[codes])


def classify(column: pa.Array | pa.ChunkedArray) -> TypedValues:
    """Classify one batch of a column. Nulls (and NaN in float columns) are missing values."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if pa.types.is_dictionary(kind):
        return _classify_dictionary(column)
    present = column.drop_null() if column.null_count else column
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _classify_string_array(present)
    if pa.types.is_string_view(kind):
        return classify(present.cast(pa.string()))
    if pa.types.is_integer(kind):
        values = _to_numpy(present)
        return TypedValues(len(values), len(values), 0, values)
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = _to_numpy(pc.cast(present, pa.float64()))
        values = values[~np.isnan(values)]
        finite = np.isfinite(values)
        return TypedValues(len(values), 0, int(finite.sum()), values if finite.all() else values[finite])
    # booleans, dates, timestamps, binary, nested: Deequ sees their string form, which is not numeric.
    return TypedValues(len(present), 0, 0, np.empty(0))
