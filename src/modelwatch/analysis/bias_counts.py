"""The mergeable group counts of a bias analysis, and the column typing they rest on.

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
    "BiasColumns",
    "BiasCounts",
    "BiasTally",
    "Bits",
    "CastFailure",
    "ColumnKind",
    "ColumnState",
    "FacetTally",
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


# --------------------------------------------------------------------------------------------------
# The aggregate


@dataclass(frozen=True)
class BiasColumns:
    """Which columns play which role, and the values that define the positive label and facet d.

    ``ft_features`` are the columns the Flip Test's nearest neighbours use (facet columns included; each
    facet's own column is left out when its FT runs). None keeps no feature rows, so FT is not computed.
    FT needs the rows themselves, not counts: at most ``ft_max_rows`` are kept.
    """

    label: str
    label_values: tuple[Any, ...]
    facets: tuple[tuple[str, tuple[Any, ...] | None], ...]
    predicted_label: str | None = None
    group: str | None = None
    ft_features: tuple[str, ...] | None = None
    ft_max_rows: int = 200_000

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "label_values": list(self.label_values),
            "facets": [[name, None if values is None else list(values)] for name, values in self.facets],
            "predicted_label": self.predicted_label,
            "group": self.group,
            "ft_features": None if self.ft_features is None else list(self.ft_features),
            "ft_max_rows": self.ft_max_rows,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BiasColumns:
        return cls(
            label=d["label"],
            label_values=tuple(d["label_values"]),
            facets=tuple((name, None if v is None else tuple(v)) for name, v in d["facets"]),
            predicted_label=d.get("predicted_label"),
            group=d.get("group"),
            ft_features=None if d.get("ft_features") is None else tuple(d["ft_features"]),
            ft_max_rows=int(d.get("ft_max_rows", 200_000)),
        )

    def role_columns(self) -> list[str]:
        """The label, predicted label, facet and group columns, each once, in that order."""
        names = [self.label]
        names += [self.predicted_label] if self.predicted_label else []
        names += [name for name, _ in self.facets]
        names += [self.group] if self.group else []
        return list(dict.fromkeys(names))


_KEYS = ["f", "y", "p", "g"]
_SETTLE_ROWS = 200_000  # pending grouped rows per facet before they are merged


def _group(table: pa.Table) -> pa.Table:
    grouped = table.group_by(_KEYS, use_threads=False).aggregate([("first", "min"), ("count", "sum")])
    return grouped.rename_columns({"first_min": "first", "count_sum": "count"}).select(
        [*_KEYS, "first", "count"]
    )


def _table_to_b64(table: pa.Table) -> str:
    import base64

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def _table_from_b64(text: str) -> pa.Table:
    import base64

    return pa.ipc.open_stream(base64.b64decode(text)).read_all()


@dataclass(frozen=True)
class FacetTally:
    """The settled counts of one facet: one row per distinct (facet code or value, label code,
    predicted-label code, group value), with the first row index at which it was seen."""

    f: np.ndarray  # int16 membership codes, or object strings (one-vs-rest: the raw values)
    y: np.ndarray
    p: np.ndarray
    g: list[str | None]
    first: np.ndarray
    count: np.ndarray


@dataclass(frozen=True)
class BiasTally:
    """What :meth:`BiasCounts.finalize` returns: the per-facet counts, column summaries and FT rows."""

    spec: BiasColumns
    rows: int
    columns: dict[str, ColumnState]
    present: frozenset[str]
    facets: tuple[FacetTally | None, ...]  # None: the facet column is not in the data
    ft_rows: pa.Table | None
    ft_dropped: bool


@dataclass
class BiasCounts:
    """Mergeable group counts for bias metrics: ``zero`` / ``update`` / ``merge`` / ``finalize``.

    One scan of Arrow batches counts rows per (facet membership, label membership, predicted-label
    membership, group value) for every facet, plus a :class:`ColumnState` per role column, so every
    metric but FT is a function of the counts. Memory is bounded by the number of distinct keys: small
    for membership codes, as large as the number of distinct group values (and of facet values in
    one-vs-rest mode). FT keeps up to ``ft_max_rows`` feature rows.

    ``merge(a, b)`` treats b's rows as following a's: counts are order-free (merge is commutative for
    them), while the order of first appearance (one-vs-rest facet order) and the FT row order follow the
    merge order, so merge is associative and commutative up to those two orders.
    """

    spec: BiasColumns
    rows: int = 0
    columns: dict[str, ColumnState] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    tables: list[list[pa.Table]] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    ft: list[pa.Table] = field(default_factory=list)
    ft_kept: int = 0
    ft_dropped: bool = False

    @classmethod
    def zero(cls, spec: BiasColumns) -> BiasCounts:
        return cls(spec=spec, tables=[[] for _ in spec.facets], pending=[0 for _ in spec.facets])

    # ---- update

    def update(self, batch: pa.RecordBatch | pa.Table) -> BiasCounts:
        """Count one batch. A missing label, predicted-label or group column raises
        :class:`~modelwatch.errors.DataError`; a missing facet column fails only that facet's report."""
        from modelwatch.errors import DataError

        names = set(batch.schema.names)
        spec = self.spec
        for role, name in (
            ("label", spec.label),
            ("predicted label", spec.predicted_label),
            ("group variable", spec.group),
        ):
            if name is not None and name not in names:
                raise DataError(
                    f"the {role} column is not in the data (columns: {', '.join(batch.schema.names)})",
                    column=name,
                )
        n = batch.num_rows
        if n == 0:
            return self
        wanted = [c for c in spec.role_columns() if c in names]
        ft_names = [c for c in (spec.ft_features or ()) if c in names]
        parsed = {name: parse_column(batch.column(name)) for name in dict.fromkeys(wanted + ft_names)}
        for name, p in parsed.items():
            self.columns.setdefault(name, ColumnState()).update(p)
        self.present |= set(parsed)
        self.missing |= {name for name, _ in spec.facets if name not in names}
        y = membership_codes(parsed[spec.label], spec.label_values)
        p = (
            membership_codes(parsed[spec.predicted_label], spec.label_values)
            if spec.predicted_label
            else np.zeros(n, np.int16)
        )
        g = parsed[spec.group].text if spec.group else pa.nulls(n, pa.string())
        first = np.arange(self.rows, self.rows + n, dtype=np.int64)
        facet_codes: list[Any] = []
        for j, (name, values) in enumerate(spec.facets):
            if name not in names:
                facet_codes.append(None)
                continue
            f: Any = membership_codes(parsed[name], values) if values is not None else parsed[name].text
            facet_codes.append(f)
            table = pa.table({"f": f, "y": y, "p": p, "g": g, "first": first, "count": np.ones(n, np.int64)})
            self._add(j, _group(table))
        if spec.ft_features is not None:
            self._keep_ft_rows(parsed, ft_names, p, facet_codes, n)
        self.rows += n
        return self

    def _add(self, j: int, table: pa.Table) -> None:
        self.tables[j].append(table)
        self.pending[j] += table.num_rows
        if len(self.tables[j]) > 1 and self.pending[j] > _SETTLE_ROWS:
            self._settle(j)

    def _settle(self, j: int) -> None:
        if len(self.tables[j]) > 1:
            merged = _group(pa.concat_tables(self.tables[j], promote_options="permissive"))
            self.tables[j] = [merged]
        self.pending[j] = sum(t.num_rows for t in self.tables[j])

    def _keep_ft_rows(
        self, parsed: dict[str, Parsed], ft_names: list[str], p: np.ndarray, facet_codes: list[Any], n: int
    ) -> None:
        if self.ft_dropped or self.ft_kept + n > self.spec.ft_max_rows:
            self.ft_dropped = True
            self.ft = []
            self.ft_kept = 0
            return
        columns: dict[str, Any] = {f"x:{name}": parsed[name].num for name in ft_names}
        columns["__p"] = p
        for j, code in enumerate(facet_codes):
            if code is not None:
                columns[f"__f{j}"] = code
        self.ft.append(pa.table(columns))
        self.ft_kept += n

    # ---- merge

    def merge(self, other: BiasCounts) -> BiasCounts:
        """The counts of this data followed by ``other``'s (a new object; neither input changes)."""
        if other.spec != self.spec:
            raise ValueError("cannot merge bias counts of different column specifications")
        tables = []
        for j in range(len(self.spec.facets)):
            shifted = [
                t.set_column(t.schema.get_field_index("first"), "first", pc.add(t.column("first"), self.rows))
                for t in other.tables[j]
            ]
            tables.append([*self.tables[j], *shifted])
        columns = dict(self.columns)
        for name, state in other.columns.items():
            columns[name] = columns[name].merge(state) if name in columns else state
        ft_dropped = (
            self.ft_dropped or other.ft_dropped or self.ft_kept + other.ft_kept > self.spec.ft_max_rows
        )
        merged = BiasCounts(
            spec=self.spec,
            rows=self.rows + other.rows,
            columns=columns,
            present=self.present | other.present,
            missing=self.missing | other.missing,
            tables=tables,
            pending=[sum(t.num_rows for t in ts) for ts in tables],
            ft=[] if ft_dropped else [*self.ft, *other.ft],
            ft_kept=0 if ft_dropped else self.ft_kept + other.ft_kept,
            ft_dropped=ft_dropped,
        )
        for j in range(len(tables)):
            if merged.pending[j] > _SETTLE_ROWS:
                merged._settle(j)
        return merged

    # ---- finalize

    def finalize(self) -> BiasTally:
        """Settle the counts (the aggregate itself stays usable)."""
        facets: list[FacetTally | None] = []
        for j, (name, values) in enumerate(self.spec.facets):
            if name in self.missing or (self.rows and name not in self.present):
                facets.append(None)
                continue
            self._settle(j)
            if not self.tables[j]:
                facets.append(_empty_tally(values is None))
                continue
            t = self.tables[j][0]
            facets.append(
                FacetTally(
                    f=np.asarray(t.column("f").to_numpy(zero_copy_only=False)),
                    y=np.asarray(t.column("y").to_numpy(zero_copy_only=False), dtype=np.int16),
                    p=np.asarray(t.column("p").to_numpy(zero_copy_only=False), dtype=np.int16),
                    g=t.column("g").to_pylist(),
                    first=np.asarray(t.column("first").to_numpy(zero_copy_only=False), dtype=np.int64),
                    count=np.asarray(t.column("count").to_numpy(zero_copy_only=False), dtype=np.int64),
                )
            )
        ft = None
        if self.spec.ft_features is not None and not self.ft_dropped and self.ft:
            ft = pa.concat_tables(self.ft, promote_options="permissive")
        return BiasTally(
            spec=self.spec,
            rows=self.rows,
            columns=dict(self.columns),
            present=frozenset(self.present),
            facets=tuple(facets),
            ft_rows=ft,
            ft_dropped=self.ft_dropped,
        )

    # ---- serialisation

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (counts as Arrow IPC in base64) that :meth:`from_dict` reads back."""
        for j in range(len(self.spec.facets)):
            self._settle(j)
        return {
            "spec": self.spec.to_dict(),
            "rows": self.rows,
            "columns": {name: state.to_dict() for name, state in self.columns.items()},
            "present": sorted(self.present),
            "missing": sorted(self.missing),
            "tables": [[_table_to_b64(t) for t in ts] for ts in self.tables],
            "ft": [_table_to_b64(t) for t in self.ft],
            "ft_kept": self.ft_kept,
            "ft_dropped": self.ft_dropped,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BiasCounts:
        tables = [[_table_from_b64(t) for t in ts] for ts in d["tables"]]
        return cls(
            spec=BiasColumns.from_dict(d["spec"]),
            rows=int(d["rows"]),
            columns={name: ColumnState.from_dict(s) for name, s in d["columns"].items()},
            present=set(d["present"]),
            missing=set(d["missing"]),
            tables=tables,
            pending=[sum(t.num_rows for t in ts) for ts in tables],
            ft=[_table_from_b64(t) for t in d["ft"]],
            ft_kept=int(d["ft_kept"]),
            ft_dropped=bool(d["ft_dropped"]),
        )


def _empty_tally(one_vs_rest: bool) -> FacetTally:
    return FacetTally(
        f=np.empty(0, dtype=object if one_vs_rest else np.int16),
        y=np.empty(0, np.int16),
        p=np.empty(0, np.int16),
        g=[],
        first=np.empty(0, np.int64),
        count=np.empty(0, np.int64),
    )
