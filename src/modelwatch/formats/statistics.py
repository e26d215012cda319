"""The data-quality ``statistics.json`` model (SageMaker Model Monitor, spec 3.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "CategoricalBucket",
    "FeatureStatistics",
    "InferredType",
    "KLLBucket",
    "KLLSketchData",
    "NumericalStatistics",
    "Statistics",
    "StringStatistics",
]


class InferredType(StrEnum):
    INTEGRAL = "Integral"
    FRACTIONAL = "Fractional"
    STRING = "String"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class KLLBucket:
    lower_bound: float
    upper_bound: float
    count: float


@dataclass(frozen=True)
class KLLSketchData:
    """Deequ's KLL sketch as written in statistics.json: parameters and the items of each level.

    Level ``h`` items each stand for ``2**h`` values of the column.
    """

    c: float = 0.64
    k: float = 2048.0
    data: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class NumericalStatistics:
    num_present: int
    num_missing: int
    mean: float
    sum: float
    std_dev: float
    min: float
    max: float
    buckets: tuple[KLLBucket, ...] = ()
    sketch: KLLSketchData = field(default_factory=KLLSketchData)


@dataclass(frozen=True)
class CategoricalBucket:
    value: str
    count: int


@dataclass(frozen=True)
class StringStatistics:
    num_present: int
    num_missing: int
    distinct_count: float
    buckets: tuple[CategoricalBucket, ...] = ()


@dataclass(frozen=True)
class FeatureStatistics:
    """One feature of statistics.json. Exactly one of ``numerical`` / ``string`` is set, or neither
    for an ``Unknown`` (all-null) feature.

    ``type_counts`` (how many present values looked Integral, Fractional, String; Boolean values count
    as String) is not part of SageMaker's file: it is known for a freshly computed profile and used by
    ``data_type_check``; it is ``None`` for statistics read from a file.
    """

    name: str
    inferred_type: InferredType
    numerical: NumericalStatistics | None = None
    string: StringStatistics | None = None
    type_counts: dict[InferredType, int] | None = None

    @property
    def num_present(self) -> int:
        common = self.numerical or self.string
        return common.num_present if common else 0

    @property
    def num_missing(self) -> int:
        common = self.numerical or self.string
        return common.num_missing if common else 0


@dataclass(frozen=True)
class Statistics:
    item_count: int
    features: tuple[FeatureStatistics, ...]
    version: float = 0.0

    def feature(self, name: str) -> FeatureStatistics | None:
        return next((f for f in self.features if f.name == name), None)
