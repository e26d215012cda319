"""The column profile: one mergeable aggregate per column, and the dataset profile over all columns.

``ColumnProfile`` follows the aggregate contract of the design (``zero`` / ``update`` / ``merge`` /
``finalize``, serialisable with ``to_dict`` / ``from_dict``) and gives a :class:`FeatureStatistics`
exactly as SageMaker's analyzer would write it.

Categorical counts are kept only for columns that hold non-numeric values, since hashing every float
would cost more than the rest of the profile. A column whose first non-numeric value appears after
numeric ones (``categorical_complete`` is then false) needs its categorical counts recomputed in a
second pass over that column: :func:`modelwatch.engines.local.profile_dataset` does that.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.analysis.categorical import Categorical
from modelwatch.analysis.kll import KLLSketch
from modelwatch.analysis.moments import Moments
from modelwatch.analysis.types import classify, infer_type
from modelwatch.formats.statistics import (
    CategoricalBucket,
    FeatureStatistics,
    InferredType,
    KLLBucket,
    KLLSketchData,
    NumericalStatistics,
    Statistics,
    StringStatistics,
)

__all__ = ["ColumnProfile", "DatasetProfile", "profile_table"]


def as_strings(column: pa.Array) -> pa.Array:
    """The present values of a column in their string form (dictionary arrays of strings stay encoded)."""
    present = column.drop_null() if column.null_count else column
    if pa.types.is_string(present.type):
        return present
    if pa.types.is_dictionary(present.type) and pa.types.is_string(present.type.value_type):
        return present
    if pa.types.is_boolean(present.type):
        return pc.if_else(present, "true", "false")
    return pc.cast(present, pa.string())


@dataclass
class ColumnProfile:
    """Everything statistics.json says about one column, as a mergeable aggregate."""

    name: str
    count: int = 0
    present: int = 0
    integral: int = 0
    fractional: int = 0
    moments: Moments = field(default_factory=Moments)
    sketch: KLLSketch = field(default_factory=KLLSketch)
    categorical: Categorical | None = None
    categorical_complete: bool = True
    top_values: int = 1000

    @classmethod
    def zero(cls, name: str, *, top_values: int = 1000) -> ColumnProfile:
        return cls(name=name, top_values=top_values)

    @property
    def string(self) -> int:
        return self.present - self.integral - self.fractional

    @property
    def inferred_type(self) -> InferredType:
        return infer_type(self.integral, self.fractional, self.string)

    def update(self, column: pa.Array) -> None:
        """Add one batch of this column."""
        typed = classify(column)
        had_values = self.present > 0
        self.count += len(column)
        self.present += typed.present
        self.integral += typed.integral
        self.fractional += typed.fractional
        self.moments.update(typed.numeric)
        self.sketch.update(typed.numeric)
        if self.categorical is None and typed.string:
            self.categorical = Categorical(self.top_values)
            self.categorical_complete = not had_values
        if self.categorical is not None:
            self.categorical.update(as_strings(column))

    def update_categorical(self, column: pa.Array) -> None:
        """Second-pass update: categorical counts only (the rest was counted in the first pass)."""
        if self.categorical is None:
            self.categorical = Categorical(self.top_values)
        self.categorical.update(as_strings(column))

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """Merge ``other`` (a profile of later rows of the same column) into this one."""
        self.categorical_complete = self._merged_categorical_completeness(other)
        self.count += other.count
        self.present += other.present
        self.integral += other.integral
        self.fractional += other.fractional
        self.moments.merge(other.moments)
        self.sketch.merge(other.sketch)
        if other.categorical is not None:
            if self.categorical is None:
                self.categorical = Categorical(self.top_values)
            self.categorical.merge(other.categorical)
        return self

    def _merged_categorical_completeness(self, other: ColumnProfile) -> bool:
        if self.categorical is None and other.categorical is None:
            return True
        mine = self.categorical_complete if self.categorical is not None else self.present == 0
        theirs = other.categorical_complete if other.categorical is not None else other.present == 0
        return mine and theirs

    def finalize(self) -> FeatureStatistics:
        """The feature as statistics.json describes it."""
        inferred = self.inferred_type
        counts = {
            InferredType.INTEGRAL: self.integral,
            InferredType.FRACTIONAL: self.fractional,
            InferredType.STRING: self.string,
        }
        missing = self.count - self.present
        if inferred in (InferredType.INTEGRAL, InferredType.FRACTIONAL):
            return FeatureStatistics(
                self.name, inferred, numerical=self._numerical(missing), type_counts=counts
            )
        return FeatureStatistics(self.name, inferred, string=self._string(missing), type_counts=counts)

    def _numerical(self, missing: int) -> NumericalStatistics:
        m = self.moments
        buckets = tuple(KLLBucket(lo, hi, c) for lo, hi, c in self.sketch.buckets(m.min, m.max))
        return NumericalStatistics(
            num_present=self.present,
            num_missing=missing,
            mean=m.average,
            sum=m.sum,
            std_dev=m.std_dev,
            min=m.min,
            max=m.max,
            buckets=buckets,
            sketch=KLLSketchData(c=self.sketch.c, k=float(self.sketch.k), data=self.sketch.data()),
        )

    def _string(self, missing: int) -> StringStatistics:
        if self.categorical is None:
            return StringStatistics(self.present, missing, 0.0, ())
        if not self.categorical_complete:
            raise RuntimeError(f"column {self.name!r}: categorical counts need a second pass")
        buckets = tuple(CategoricalBucket(v, c) for v, c in self.categorical.top())
        return StringStatistics(self.present, missing, self.categorical.distinct_count, buckets)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "count": self.count,
            "present": self.present,
            "integral": self.integral,
            "fractional": self.fractional,
            "moments": self.moments.to_dict(),
            "sketch": base64.b64encode(self.sketch.to_bytes()).decode("ascii"),
            "categorical": None if self.categorical is None else self.categorical.to_dict(),
            "categorical_complete": self.categorical_complete,
            "top_values": self.top_values,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnProfile:
        categorical = data["categorical"]
        return cls(
            name=str(data["name"]),
            count=int(data["count"]),
            present=int(data["present"]),
            integral=int(data["integral"]),
            fractional=int(data["fractional"]),
            moments=Moments.from_dict(data["moments"]),
            sketch=KLLSketch.from_bytes(base64.b64decode(str(data["sketch"]))),
            categorical=None if categorical is None else Categorical.from_dict(categorical),
            categorical_complete=bool(data["categorical_complete"]),
            top_values=int(data["top_values"]),
        )


@dataclass
class DatasetProfile:
    """Profiles of all columns of a dataset (matched by position) and its row count."""

    columns: list[ColumnProfile]
    item_count: int = 0

    @classmethod
    def zero(cls, names: Sequence[str], *, top_values: int = 1000) -> DatasetProfile:
        return cls([ColumnProfile.zero(name, top_values=top_values) for name in names])

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        for profile, column in zip(self.columns, batch.columns, strict=True):
            profile.update(_as_array(column))
        self.item_count += batch.num_rows

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        for mine, theirs in zip(self.columns, other.columns, strict=True):
            mine.merge(theirs)
        self.item_count += other.item_count
        return self

    def incomplete_columns(self) -> list[int]:
        """Positions of columns whose categorical counts need a second pass."""
        return [
            i for i, c in enumerate(self.columns) if c.categorical is not None and not c.categorical_complete
        ]

    def finalize(self) -> Statistics:
        return Statistics(item_count=self.item_count, features=tuple(c.finalize() for c in self.columns))

    def to_dict(self) -> dict[str, object]:
        return {"item_count": self.item_count, "columns": [c.to_dict() for c in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetProfile:
        columns = [ColumnProfile.from_dict(c) for c in data["columns"]]
        return cls(columns, int(data["item_count"]))


def merge_partials(partials: Sequence[DatasetProfile]) -> DatasetProfile:
    """Merge the partial profiles of consecutive parts in order, into the first one.

    As in Spark's final aggregation, whose buffer starts empty and merges every partition's buffer,
    the first partial's moments are merged into empty moments before the others (this rounds its
    running mean as Spark does; see :class:`~modelwatch.analysis.moments.Moments`). A single partial
    is returned untouched, bit for bit.
    """
    merged = partials[0]
    if len(partials) > 1:
        for column in merged.columns:
            column.moments = Moments().merge(column.moments)
    for partial in partials[1:]:
        merged.merge(partial)
    return merged


def _as_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def profile_table(table: pa.Table | pa.RecordBatch, *, top_values: int = 1000) -> Statistics:
    """Profile an in-memory table in one go (a convenience for small data and tests)."""
    profile = DatasetProfile.zero(
        table.column_names if isinstance(table, pa.Table) else table.schema.names, top_values=top_values
    )
    profile.update(table)
    for position in profile.incomplete_columns():
        column = profile.columns[position]
        column.categorical = None
        column.categorical_complete = True
        column.update_categorical(_as_array(table.column(position)))
    return profile.finalize()
