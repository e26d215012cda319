"""Bias reports from settled group counts, resolved exactly as smclarify 0.5's ``bias_report`` does.

:class:`~modelwatch.analysis.bias_counts.BiasCounts` counts rows by membership codes in one scan;
this module takes the decisions smclarify takes on the whole column (spec clarify.md §3):

1. the column's pandas dtype and categorical / continuous mode (more than one value → categorical;
   float → continuous; int → continuous when ``nunique / count >= 0.05``; bool, strings → categorical);
2. the membership test: ``== value`` (retrying with the values cast to the column's type when nothing
   matches), or ``> threshold`` for continuous columns, with the interval text ``"(t, max]"``;
3. one facet entry per distinct value, in order of first appearance, for a categorical facet without
   values (one-vs-rest);

then sums the counts into a 2×2×2 table [facet d, label, prediction] (and one per group value) and
computes the metrics with :mod:`~modelwatch.analysis.bias_metrics`.

Errors that make smclarify's whole report fail (a facet column missing from the data, a threshold that
is not a number, predicted labels that are never positive, …) raise :class:`BiasAnalysisError` with
smclarify's message; errors of single metrics are values (``value`` None, ``error`` text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from modelwatch.analysis.bias_counts import BiasTally, FacetTally
from modelwatch.analysis.bias_metrics import (
    DESCRIPTIONS,
    POST_TRAINING,
    PRE_TRAINING,
    FacetCounts,
    GroupCounts,
    MetricError,
    compute_metric,
    flip_test,
)
from modelwatch.analysis.bias_typing import (
    Bits,
    CastFailure,
    ColumnKind,
    ColumnState,
    cast_values,
    threshold_of,
    typed_key,
)
from modelwatch.errors import DataError
from modelwatch.formats.clarify import BiasMetric, BiasStage, FacetBias

__all__ = [
    "BiasAnalysisError",
    "EntryLayout",
    "Stage",
    "entry_layouts",
    "facet_entries",
    "label_value_or_threshold",
    "stage_report",
]

Stage = Literal["pre_training", "post_training"]
UNIQUENESS_THRESHOLD = 0.05

_CAST_BIT = {
    ColumnKind.INT: Bits.CAST_INT,
    ColumnKind.FLOAT: Bits.CAST_FLOAT,
    ColumnKind.BOOL: Bits.CAST_BOOL,
    ColumnKind.OBJECT: Bits.CAST_STR,
}
_NOT_NUMERIC_THRESHOLD = "Facet/label value provided must be a single numeric threshold for continuous data"


class BiasAnalysisError(DataError):
    """A whole facet report cannot be computed (smclarify raises instead of reporting metric errors).

    ``reason`` is smclarify's message; ``stage`` and ``facet`` say which report failed.
    """

    def __init__(
        self, message: str, *, stage: str, facet: str | None = None, column: str | None = None
    ) -> None:
        self.stage = stage
        self.facet = facet
        where = f"{stage.replace('_', '-')} bias" + (f", facet {facet!r}" if facet is not None else "")
        super().__init__(f"{where}: {message}", column=column)
        self.reason = message


@dataclass(frozen=True)
class _Selection:
    """How membership is read from codes: rows whose code has ``bit`` set are members."""

    bit: int
    continuous: bool
    kind: ColumnKind


def _is_continuous(state: ColumnState, values: tuple[Any, ...] | None) -> bool:
    """smclarify's ``series_datatype``."""
    if values is not None and len(values) > 1:
        return False
    kind = state.kind()
    if kind is ColumnKind.FLOAT:
        return True
    if kind is ColumnKind.INT:
        count = state.count
        ratio = 0.0 if count == 0 else state.nunique() / count
        return ratio >= UNIQUENESS_THRESHOLD
    return False


def _numeric_threshold(values: tuple[Any, ...]) -> int | float | None:
    first = values[0]
    if isinstance(first, int | float):
        return first
    return threshold_of(values)


def _interval(threshold: int | float, maximum: int | float | None) -> str:
    """The text of smclarify's ``IntervalIndex.from_breaks(sorted([t, max]))``: ``"(t, max]"``, or ``""``
    when ``abs(max)`` equals the threshold (smclarify then builds no interval at all)."""
    if maximum is None or (isinstance(maximum, float) and math.isnan(maximum)) or abs(maximum) == threshold:
        return ""
    lo, hi = sorted([threshold, maximum])
    if isinstance(threshold, int) and isinstance(maximum, int):
        return f"({int(lo)}, {int(hi)}]"
    return f"({float(lo)!r}, {float(hi)!r}]"


def _categorical_bit(
    kind: ColumnKind, values: tuple[Any, ...], codes: np.ndarray, counts: np.ndarray
) -> int | CastFailure:
    direct = Bits.EQ_STR if kind is ColumnKind.OBJECT else Bits.EQ_NUM
    if int(counts[(codes & direct) != 0].sum()) > 0:
        return direct
    cast = cast_values(values, kind)
    return cast if isinstance(cast, CastFailure) else _CAST_BIT[kind]


def _value_text(value: Any) -> str:
    """``str()`` of a value as smclarify prints config values and one-vs-rest values."""
    if value is None:
        return "nan"
    if isinstance(value, float):
        return repr(value)
    return str(value)


class _Resolver:
    """The decisions of one stage for one facet, in smclarify's order."""

    def __init__(self, tally: BiasTally, stage: Stage) -> None:
        self.tally = tally
        self.spec = tally.spec
        self.stage = stage

    def fail(self, message: str, facet: str | None = None, column: str | None = None) -> BiasAnalysisError:
        return BiasAnalysisError(message, stage=self.stage, facet=facet, column=column)

    def label(self, table: FacetTally, facet: str) -> tuple[_Selection, str]:
        spec = self.spec
        values = spec.label_values
        if not values:
            raise self.fail(
                "Positive label values or thresholds are empty for Label column", facet, spec.label
            )
        state = self.tally.columns[spec.label]
        kind = state.kind()
        if _is_continuous(state, values):
            threshold = _numeric_threshold(values)
            if threshold is None:
                raise self.fail(_NOT_NUMERIC_THRESHOLD, facet, spec.label)
            return _Selection(Bits.GT, True, kind), _interval(threshold, state.maximum())
        bit = _categorical_bit(kind, values, table.y, table.count)
        if isinstance(bit, CastFailure):
            raise self.fail(bit.message, facet, spec.label)
        return _Selection(bit, False, kind), ",".join(_value_text(v) for v in values)

    def predicted(self, table: FacetTally, label: _Selection, facet: str) -> _Selection:
        spec = self.spec
        assert spec.predicted_label is not None
        state = self.tally.columns[spec.predicted_label]
        kind = state.kind()
        continuous = _is_continuous(state, spec.label_values)
        if continuous != label.continuous:
            raise self.fail(
                "Predicted Label Column series datatype is not the same as Label Column series",
                facet,
                spec.predicted_label,
            )
        if continuous:
            bit = Bits.GT
            if label.kind is ColumnKind.INT and kind is ColumnKind.FLOAT:  # astype(int64): truncation
                if state.nulls or (state.num_max is not None and math.isinf(state.num_max)):
                    raise self.fail("Cannot convert non-finite values (NA or inf) to integer", facet)
                bit = Bits.GT_TRUNC
            selection = _Selection(bit, True, kind)
        else:
            found = _categorical_bit(kind, spec.label_values, table.p, table.count)
            if isinstance(found, CastFailure):
                raise self.fail(found.message, facet, spec.predicted_label)
            selection = _Selection(found, False, kind)
        if int(table.count[(table.p & selection.bit) != 0].sum()) == 0:
            raise self.fail(
                "No Label values are present in the predicted Label Column,"
                "Positive Predicted Index Series contains all False values",
                facet,
                spec.predicted_label,
            )
        return selection


def _group_index(tally: BiasTally, table: FacetTally) -> tuple[np.ndarray, int, str | None] | None:
    """Per table row, the index of its group value among the sorted distinct values (-1: missing value),
    the number of groups, and the error numpy.unique would raise; None without a group variable."""
    group = tally.spec.group
    if group is None:
        return None
    kind = tally.columns[group].kind()
    keys = [typed_key(text, kind) for text in table.g]
    present = [k for k in keys if k is not None]
    has_null = len(present) != len(keys)
    if kind is ColumnKind.OBJECT and has_null:
        # numpy.unique sorts an object array of strings and NaN: Python cannot compare them
        return np.full(len(keys), -1, np.int64), 0, "'<' not supported between instances of 'str' and 'float'"
    unique = sorted(set(present))
    index = {value: i for i, value in enumerate(unique)}
    size = len(unique) + (1 if has_null and kind is ColumnKind.FLOAT else 0)  # NaN: a group of no rows
    rows = np.array([index[k] if k is not None else -1 for k in keys], dtype=np.int64)
    return rows, size, None


@dataclass(frozen=True)
class EntryLayout:
    """One facet entry: the facet-d, label and prediction membership of each settled count row, so its
    counts can be rebuilt from any count vector (the bootstrap resamples them)."""

    value_or_threshold: str
    d: np.ndarray  # int64 0/1 per count row
    y: np.ndarray
    p: np.ndarray
    groups: tuple[np.ndarray, int, str | None] | None
    ft_bit: int | None
    ft_value: Any

    def counts(self, count: np.ndarray) -> FacetCounts:
        cells = np.zeros((2, 2, 2), dtype=np.int64)
        np.add.at(cells, (self.d, self.y, self.p), count)
        groups = None
        if self.groups is not None:
            rows, size, error = self.groups
            if error is not None:
                groups = GroupCounts(np.zeros(0), np.zeros((0, 2, 2, 2)), error)
            else:
                by_group = np.zeros((size, 2, 2, 2), dtype=np.int64)
                keep = rows >= 0
                np.add.at(by_group, (rows[keep], self.d[keep], self.y[keep], self.p[keep]), count[keep])
                groups = GroupCounts(by_group.sum(axis=(1, 2, 3)), by_group)
        return FacetCounts(cells, groups)

    def whole(self, count: np.ndarray) -> FacetCounts:
        """Counts of the whole dataset (facet ignored), for GE."""
        cells = np.zeros((2, 2, 2), dtype=np.int64)
        np.add.at(cells, (np.zeros(len(self.y), dtype=np.int64), self.y, self.p), count)
        return FacetCounts(cells)


def _one_vs_rest(table: FacetTally, kind: ColumnKind) -> tuple[list[Any], list[Any]]:
    """(typed key per table row, distinct values in order of first appearance)."""
    keys = [typed_key(text, kind) for text in table.f]
    first: dict[Any, int] = {}
    nan_first: int | None = None
    for key, at in zip(keys, table.first.tolist(), strict=True):
        if key is None:
            nan_first = at if nan_first is None else min(nan_first, at)
        elif key not in first or at < first[key]:
            first[key] = at
    ordered: list[tuple[int, Any]] = [(at, key) for key, at in first.items()]
    if nan_first is not None:
        ordered.append((nan_first, None))
    ordered.sort(key=lambda item: item[0])
    return keys, [key for _, key in ordered]


def _ft_value(
    tally: BiasTally, facet_index: int, d_rows: np.ndarray | None, p_bit: int, counts: FacetCounts
) -> tuple[Any, str | None]:
    if counts.n(d=True) == 0:
        return None, "Facet set is empty"
    if counts.n(d=False) == 0:
        return None, "Negated Facet set is empty"
    spec = tally.spec
    name = spec.facets[facet_index][0]
    features = [c for c in (spec.ft_features or ()) if c != name and c in tally.present]
    if any(tally.columns[c].kind() is ColumnKind.OBJECT for c in features):
        return None, "FlipTest does not support non-numeric columns"
    if tally.ft_dropped:
        return None, (
            f"FT keeps at most {spec.ft_max_rows} feature rows in memory and the data has {tally.rows} rows "
            "(raise ft_max_rows to compute it)"
        )
    rows = tally.ft_rows
    if rows is None or d_rows is None:
        return None, "FT needs the feature rows, which were not kept"
    matrix = (
        np.column_stack([rows.column(f"x:{c}").to_numpy(zero_copy_only=False) for c in features])
        if features
        else np.empty((rows.num_rows, 0))
    )
    predicted = (np.asarray(rows.column("__p").to_numpy(zero_copy_only=False)) & p_bit) != 0
    try:
        return flip_test(matrix.astype(np.float64), d_rows, predicted), None
    except MetricError as exc:
        return None, str(exc)


def _ft_rows_mask(
    tally: BiasTally, facet_index: int, bit: int | None, kind: ColumnKind, value: Any
) -> np.ndarray | None:
    rows = tally.ft_rows
    if rows is None or f"__f{facet_index}" not in rows.column_names:
        return None
    column = rows.column(f"__f{facet_index}")
    if bit is not None:
        return (np.asarray(column.to_numpy(zero_copy_only=False)) & bit) != 0
    texts = column.to_pylist()
    mapping = {text: typed_key(text, kind) == value and value is not None for text in set(texts)}
    return np.fromiter((mapping[t] for t in texts), dtype=bool, count=len(texts))


def entry_layouts(
    tally: BiasTally, facet_index: int, stage: Stage
) -> tuple[list[EntryLayout], int, ColumnKind]:
    """The resolved entries of one facet for one stage, the predicted-label bit and the facet's kind.

    Raises:
        BiasAnalysisError: smclarify's whole report would fail (its message is the ``reason``).
    """
    spec = tally.spec
    resolver = _Resolver(tally, stage)
    name, values = spec.facets[facet_index]
    table = tally.facets[facet_index]
    if table is None:
        raise resolver.fail(f"Facet column {name} is not present in the dataset", name, name)
    if stage == "post_training" and spec.predicted_label is None:
        raise resolver.fail("predicted_label_column has to be provided for Post training metrics", name)
    facet_state = tally.columns.get(name, ColumnState())
    facet_kind = facet_state.kind()
    facet_continuous = _is_continuous(facet_state, values)
    facet_threshold = None
    if facet_continuous and values:
        facet_threshold = _numeric_threshold(values)
        if facet_threshold is None:
            raise resolver.fail(_NOT_NUMERIC_THRESHOLD, name, name)
    label, _ = resolver.label(table, name)
    y = (table.y & label.bit) != 0
    if stage == "post_training":
        predicted = resolver.predicted(table, label, name)
        p = (table.p & predicted.bit) != 0
        p_bit = predicted.bit
    else:
        p = np.zeros(len(table.count), dtype=bool)
        p_bit = 0

    groups = _group_index(tally, table)
    y64, p64 = y.astype(np.int64), p.astype(np.int64)
    layouts: list[EntryLayout] = []
    if facet_continuous:
        if not values or facet_threshold is None:
            raise resolver.fail("Threshold values must be provided for continuous features", name, name)
        d = (table.f.astype(np.int16) & Bits.GT) != 0
        text = _interval(facet_threshold, facet_state.maximum())
        layouts.append(EntryLayout(text, d.astype(np.int64), y64, p64, groups, Bits.GT, None))
    elif values is not None:
        codes = table.f.astype(np.int16)
        bit = _categorical_bit(facet_kind, values, codes, table.count)
        if isinstance(bit, CastFailure):
            raise resolver.fail(
                f"the facet values {list(values)} cannot be converted to the column's type: {bit.message}",
                name,
                name,
            )
        text = ",".join(_value_text(v) for v in values)
        layouts.append(EntryLayout(text, ((codes & bit) != 0).astype(np.int64), y64, p64, groups, bit, None))
    else:
        keys, ordered = _one_vs_rest(table, facet_kind)
        for value in ordered:
            d = np.array([k is not None and k == value for k in keys], dtype=np.int64)
            layouts.append(EntryLayout(_value_text(value), d, y64, p64, groups, None, value))
    return layouts, p_bit, facet_kind


def facet_entries(
    tally: BiasTally, facet_index: int, stage: Stage, methods: tuple[str, ...]
) -> tuple[FacetBias, ...]:
    """The analysis.json entries of one facet for one stage (``methods`` in output order).

    Raises:
        BiasAnalysisError: smclarify's whole report would fail (its message is the ``reason``).
    """
    layouts, p_bit, facet_kind = entry_layouts(tally, facet_index, stage)
    table = tally.facets[facet_index]
    assert table is not None
    out = []
    for layout in layouts:
        counts = layout.counts(table.count)
        metrics = []
        for metric in methods:
            if metric == "FT":
                mask = _ft_rows_mask(tally, facet_index, layout.ft_bit, facet_kind, layout.ft_value)
                result, error = _ft_value(tally, facet_index, mask, p_bit, counts)
            elif metric == "GE":
                result, error = compute_metric("GE", layout.whole(table.count))
            else:
                result, error = compute_metric(metric, counts)
            metrics.append(BiasMetric(metric, DESCRIPTIONS[metric], result, error))
        out.append(FacetBias(layout.value_or_threshold, tuple(metrics)))
    return tuple(out)


def label_value_or_threshold(tally: BiasTally, stage: Stage = "pre_training") -> str:
    """The stage's ``label_value_or_threshold`` text (values joined with "," or the interval)."""
    resolver = _Resolver(tally, stage)
    table = next((t for t in tally.facets if t is not None), None)
    if table is None:
        name = tally.spec.facets[0][0] if tally.spec.facets else None
        raise resolver.fail(f"Facet column {name} is not present in the dataset", name, name)
    return resolver.label(table, tally.spec.facets[0][0])[1]


def stage_report(tally: BiasTally, stage: Stage, methods: tuple[str, ...] | None = None) -> BiasStage:
    """One stage of ``analysis.json`` for every facet. ``methods`` None computes all of the stage's
    metrics; they are reported in name order, as smclarify runs them.

    Raises:
        BiasAnalysisError: a facet's whole report fails (the first such facet).
    """
    available = tuple(PRE_TRAINING if stage == "pre_training" else POST_TRAINING)
    chosen = tuple(sorted(methods if methods is not None else available))
    unknown = [m for m in chosen if m not in available]
    if unknown:
        raise ValueError(
            f"unknown {stage.replace('_', '-')} metrics {unknown}; expected some of {list(available)}"
        )
    facets: dict[str, tuple[FacetBias, ...]] = {}
    for index, (name, _) in enumerate(tally.spec.facets):
        facets[name] = facet_entries(tally, index, stage, chosen)
    return BiasStage(tally.spec.label, label_value_or_threshold(tally, stage), facets)
