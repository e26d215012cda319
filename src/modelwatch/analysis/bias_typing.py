"""The column typing that the bias group counts rest on.

smclarify decides from the *pandas dtype* and the whole column (spec clarify.md §3) whether a facet or
label is categorical or continuous, and matches values with Python ``==`` semantics. modelwatch reads
Arrow batches (CSV columns arrive as strings), so this module

* parses each batch once (:func:`parse_column`): null mask (pandas' default NA strings), numeric
  value, "is an integer / number / boolean literal" flags, string form;
* keeps a mergeable :class:`ColumnState` per role column (row and null counts, the kind flags, the
  maxima, the distinct integers) from which :meth:`ColumnState.kind` resolves the dtype pandas'
  ``read_csv`` would give (int64, float64, bool, object) after the whole dataset is seen;
* turns a batch into small integer *membership codes* (:func:`membership_codes`): bit flags that answer
  every question smclarify may ask of a value (``== v`` as a number, as a string, after casting the
  values to the column's type, ``> threshold``), so the counts never need the raw values and the
  decision between the answers is taken at the end, when the dtype is known.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "NA_STRINGS",
    "Bits",
    "CastFailure",
    "ColumnKind",
    "ColumnState",
    "Parsed",
    "cast_values",
    "membership_codes",
    "parse_column",
    "threshold_of",
    "typed_key",
]

# pandas.read_csv's default NA strings (pandas 2.2, ``keep_default_na=True``)
NA_STRINGS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)
_TRUE = ("True", "TRUE", "true")
_FALSE = ("False", "FALSE", "false")
_INT_RE = r"^\s*[+-]?[0-9]+\s*$"
_FLOAT_RE = r"(?i)^\s*[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?|inf|infinity)\s*$"


class ColumnKind(StrEnum):
    """The pandas dtype family a column would be read as."""

    INT = "int64"
    FLOAT = "float64"
    BOOL = "bool"
    OBJECT = "object"


class Bits:
    """Membership-code bits of one row of a facet, label or predicted-label column."""

    NULL = 1
    EQ_NUM = 2  # numeric value equals a numeric config value (int64 / float64 / bool columns)
    EQ_STR = 4  # string equals a string config value (object columns)
    CAST_INT = 8  # equals a config value cast with numpy.int64 (smclarify's retry)
    CAST_FLOAT = 16  # ... cast with numpy.float64
    CAST_STR = 32  # ... cast with str
    CAST_BOOL = 64  # ... cast with numpy.bool_
    GT = 128  # numeric value > threshold (continuous)
    GT_TRUNC = 256  # int64(value) > threshold (a float predicted label cast to an int64 label's dtype)


@dataclass(frozen=True)
class CastFailure:
    """smclarify's value conversion raised; ``message`` is its exception text."""

    message: str


_NO_POSITIVE = (
    "'label' has not positive elements. Double-check if 'label' and 'positive_label_values'"
    "have correct data-types or values."
)


def _as_int64(value: Any) -> int:
    if isinstance(value, str):
        return int(value)  # numpy.int64(str) parses like int(str)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("cannot convert float NaN to integer")
        return int(value)  # truncation, as numpy.int64(1.7) == 1
    return int(value)


def cast_values(values: tuple[Any, ...], kind: ColumnKind) -> list[Any] | CastFailure:
    """smclarify's ``convert_positive_label_values``: the config values cast to the column's element type.

    Returns the values unchanged when the first already has that type (only possible for object columns
    and strings), the cast values, or the failure smclarify would raise.
    """
    if kind is ColumnKind.OBJECT:
        if isinstance(values[0], str):
            return list(values)
        return [str(v) for v in values]
    if kind is ColumnKind.BOOL:
        return [bool(v) for v in values]
    if kind is ColumnKind.FLOAT:
        try:
            return [float(v) for v in values]
        except ValueError:
            return CastFailure(_NO_POSITIVE)
    try:
        return [_as_int64(v) for v in values]
    except ValueError as exc:
        if "invalid literal for int() with base 10" not in str(exc):
            return CastFailure(_NO_POSITIVE)
        try:
            return [float(v) for v in values]
        except ValueError as inner:
            return CastFailure(str(inner))


@dataclass
class Parsed:
    """One batch of one column, parsed once."""

    null: np.ndarray  # bool
    num: np.ndarray  # float64, NaN where not numeric
    is_int: np.ndarray  # bool: an integer literal / integer-typed value
    is_num: np.ndarray  # bool: a number literal / numeric-typed value
    is_bool: np.ndarray  # bool: a True/False literal / bool-typed value
    text: pa.Array  # string form, null where null
    ints: np.ndarray  # int64 values of the integer rows (for the distinct count)


def _string_parse(arr: pa.Array) -> Parsed:
    arr = arr.cast(pa.string())
    null_arrow = pc.or_kleene(pc.is_null(arr), pc.is_in(arr, value_set=pa.array(NA_STRINGS, pa.string())))
    null = np.asarray(null_arrow.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)
    text = pc.if_else(null_arrow, pa.scalar(None, pa.string()), arr)
    filled = text.fill_null("")
    is_int = np.asarray(pc.match_substring_regex(filled, _INT_RE).to_numpy(zero_copy_only=False), dtype=bool)
    is_num = np.asarray(
        pc.match_substring_regex(filled, _FLOAT_RE).to_numpy(zero_copy_only=False), dtype=bool
    )
    is_true = np.asarray(
        pc.is_in(filled, value_set=pa.array(_TRUE)).to_numpy(zero_copy_only=False), dtype=bool
    )
    is_false = np.asarray(
        pc.is_in(filled, value_set=pa.array(_FALSE)).to_numpy(zero_copy_only=False), dtype=bool
    )
    num = np.full(len(arr), np.nan)
    ints = np.empty(0, dtype=np.int64)
    if is_num.any():
        trimmed = pc.utf8_trim_whitespace(filled.filter(pa.array(is_num)))
        num[is_num] = pc.cast(trimmed, pa.float64()).to_numpy(zero_copy_only=False)
    if is_int.any():
        trimmed = pc.utf8_trim_whitespace(filled.filter(pa.array(is_int)))
        try:
            ints = np.asarray(pc.cast(trimmed, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # beyond int64: pandas reads those as floats
            is_int[:] = False
    num[is_true] = 1.0
    num[is_false] = 0.0
    return Parsed(null, num, is_int, is_num, is_true | is_false, text, ints)


def parse_column(arr: pa.Array | pa.ChunkedArray) -> Parsed:
    """Parse one column of a batch (any Arrow type; CSV strings are parsed as pandas would)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    n = len(arr)
    kind = arr.type
    if pa.types.is_integer(kind):
        null = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        values = np.asarray(arr.fill_null(0).cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        num = values.astype(np.float64)
        num[null] = np.nan
        return Parsed(null, num, ~null, ~null, np.zeros(n, bool), arr.cast(pa.string()), values[~null])
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        num = np.asarray(
            arr.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=np.float64
        )
        null = np.isnan(num)
        text = pc.if_else(
            pa.array(null), pa.scalar(None, pa.string()), arr.cast(pa.float64()).cast(pa.string())
        )
        return Parsed(null, num, np.zeros(n, bool), ~null, np.zeros(n, bool), text, np.empty(0, np.int64))
    if pa.types.is_boolean(kind):
        null = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        num = np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=np.float64)
        num[null] = np.nan
        text = pc.if_else(arr, pa.scalar("True"), pa.scalar("False"))
        return Parsed(null, num, np.zeros(n, bool), np.zeros(n, bool), ~null, text, np.empty(0, np.int64))
    if pa.types.is_null(kind):
        return _string_parse(pa.nulls(n, pa.string()))
    return _string_parse(arr)


@dataclass
class ColumnState:
    """Mergeable summary of one column: enough to resolve its pandas dtype, uniqueness and maximum."""

    rows: int = 0
    nulls: int = 0
    all_int: bool = True
    all_num: bool = True
    all_bool: bool = True
    int_max: int | None = None
    num_max: float | None = None
    distinct_ints: np.ndarray | None = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def update(self, parsed: Parsed) -> None:
        present = ~parsed.null
        self.rows += len(parsed.null)
        self.nulls += int(parsed.null.sum())
        self.all_int = self.all_int and bool(parsed.is_int[present].all())
        self.all_num = self.all_num and bool(parsed.is_num[present].all())
        self.all_bool = self.all_bool and bool(parsed.is_bool[present].all())
        if parsed.ints.size:
            top = int(parsed.ints.max())
            self.int_max = top if self.int_max is None else max(self.int_max, top)
        numeric = parsed.num[parsed.is_num & present]
        numeric = numeric[~np.isnan(numeric)]
        if numeric.size:
            top_f = float(numeric.max())
            self.num_max = top_f if self.num_max is None else max(self.num_max, top_f)
        if not self.all_int:
            self.distinct_ints = None
        elif self.distinct_ints is not None and parsed.ints.size:
            self.distinct_ints = np.union1d(self.distinct_ints, parsed.ints)

    def merge(self, other: ColumnState) -> ColumnState:
        distinct = None
        if (
            self.all_int
            and other.all_int
            and self.distinct_ints is not None
            and other.distinct_ints is not None
        ):
            distinct = np.union1d(self.distinct_ints, other.distinct_ints)
        return ColumnState(
            rows=self.rows + other.rows,
            nulls=self.nulls + other.nulls,
            all_int=self.all_int and other.all_int,
            all_num=self.all_num and other.all_num,
            all_bool=self.all_bool and other.all_bool,
            int_max=_max(self.int_max, other.int_max),
            num_max=_max(self.num_max, other.num_max),
            distinct_ints=distinct,
        )

    @property
    def count(self) -> int:
        """Non-null values (pandas ``Series.count``)."""
        return self.rows - self.nulls

    def kind(self) -> ColumnKind:
        """The dtype ``pandas.read_csv`` gives the column: integers with a missing value become float64,
        True/False with a missing value become object, an all-missing column is float64."""
        if self.count == 0:
            return ColumnKind.FLOAT
        if self.all_int:
            return ColumnKind.INT if self.nulls == 0 else ColumnKind.FLOAT
        if self.all_num:
            return ColumnKind.FLOAT
        if self.all_bool:
            return ColumnKind.BOOL if self.nulls == 0 else ColumnKind.OBJECT
        return ColumnKind.OBJECT

    def nunique(self) -> int:
        """Distinct integers (only meaningful, and only kept, while the column is all integers)."""
        return int(self.distinct_ints.size) if self.distinct_ints is not None else 0

    def maximum(self) -> int | float | None:
        """The maximum as pandas gives it: an int for int64 columns, a float for float64 ones."""
        return self.int_max if self.kind() is ColumnKind.INT else self.num_max

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "nulls": self.nulls,
            "all_int": self.all_int,
            "all_num": self.all_num,
            "all_bool": self.all_bool,
            "int_max": self.int_max,
            "num_max": self.num_max,
            "distinct_ints": None if self.distinct_ints is None else self.distinct_ints.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnState:
        distinct = d.get("distinct_ints")
        return cls(
            rows=int(d["rows"]),
            nulls=int(d["nulls"]),
            all_int=bool(d["all_int"]),
            all_num=bool(d["all_num"]),
            all_bool=bool(d["all_bool"]),
            int_max=d.get("int_max"),
            num_max=d.get("num_max"),
            distinct_ints=None if distinct is None else np.asarray(distinct, dtype=np.int64),
        )


def _max(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _numeric(values: list[Any]) -> np.ndarray:
    return np.asarray([float(v) for v in values if isinstance(v, int | float)], dtype=np.float64)


def _strings(values: list[Any]) -> pa.Array:
    return pa.array([v for v in values if isinstance(v, str)], pa.string())


def threshold_of(values: tuple[Any, ...]) -> float | None:
    """The continuous threshold smclarify uses: the first value, a string converted with ``float``."""
    first = values[0]
    if isinstance(first, int | float):
        return float(first)
    try:
        return float(first)
    except ValueError:
        return None


def membership_codes(parsed: Parsed, values: tuple[Any, ...]) -> np.ndarray:
    """Bit flags (:class:`Bits`) per row: every membership test smclarify may apply to ``values``."""
    n = len(parsed.null)
    code = np.where(parsed.null, Bits.NULL, 0).astype(np.int16)
    value_list = list(values)
    direct_num = _numeric(value_list)
    if direct_num.size:
        code |= np.where(np.isin(parsed.num, direct_num), Bits.EQ_NUM, 0).astype(np.int16)
    direct_str = _strings(value_list)
    if len(direct_str):
        hit = pc.is_in(parsed.text, value_set=direct_str).fill_null(False)
        code |= np.where(np.asarray(hit.to_numpy(zero_copy_only=False), bool), Bits.EQ_STR, 0).astype(
            np.int16
        )
    for kind, bit in (
        (ColumnKind.INT, Bits.CAST_INT),
        (ColumnKind.FLOAT, Bits.CAST_FLOAT),
        (ColumnKind.BOOL, Bits.CAST_BOOL),
    ):
        cast = cast_values(values, kind)
        if isinstance(cast, list):
            targets = np.asarray([float(v) for v in cast], dtype=np.float64)
            code |= np.where(np.isin(parsed.num, targets), bit, 0).astype(np.int16)
    cast_str = cast_values(values, ColumnKind.OBJECT)
    if isinstance(cast_str, list):
        hit = pc.is_in(parsed.text, value_set=pa.array(cast_str, pa.string())).fill_null(False)
        code |= np.where(np.asarray(hit.to_numpy(zero_copy_only=False), bool), Bits.CAST_STR, 0).astype(
            np.int16
        )
    threshold = threshold_of(values) if len(values) == 1 else None
    if threshold is not None and n:
        with np.errstate(invalid="ignore"):
            code |= np.where(parsed.num > threshold, Bits.GT, 0).astype(np.int16)
            code |= np.where(np.trunc(parsed.num) > threshold, Bits.GT_TRUNC, 0).astype(np.int16)
    return code


_FLOAT_TEXT = re.compile(r"^[+-]?(inf|infinity)$", re.IGNORECASE)


def typed_key(text: str | None, kind: ColumnKind) -> Any:
    """A raw value (string form) as the Python value pandas would hold: None for missing."""
    if text is None:
        return None
    if kind is ColumnKind.INT:
        return int(text.strip())
    if kind is ColumnKind.FLOAT:
        if text in _TRUE:
            return 1.0
        if text in _FALSE:
            return 0.0
        return float(text.strip())
    if kind is ColumnKind.BOOL:
        return text in _TRUE
    return text
