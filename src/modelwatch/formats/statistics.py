"""The data-quality ``statistics.json`` model (SageMaker Model Monitor, spec 3.3) and its reader/writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from modelwatch.formats import jackson
from modelwatch.formats._reader import Node, parse

__all__ = [
    "CategoricalBucket",
    "FeatureStatistics",
    "InferredType",
    "KLLBucket",
    "KLLSketchData",
    "NumericalStatistics",
    "Statistics",
    "StringStatistics",
    "statistics_from_json",
    "statistics_to_json",
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


# -- statistics.json ------------------------------------------------------------------------------


def statistics_to_json(s: Statistics) -> str:
    """Write ``s`` as SageMaker's statistics.json text (Jackson layout, Java doubles, no trailing LF).

    An ``Unknown`` feature without statistics is written with ``string_statistics`` holding
    ``num_present = 0``, ``num_missing = item_count``, ``distinct_count = 0.0`` and no buckets.
    """
    features = [_feature_to_dict(f, s.item_count) for f in s.features]
    doc = {"version": float(s.version), "dataset": {"item_count": int(s.item_count)}, "features": features}
    return jackson.dumps(doc)


def _common(num_present: int, num_missing: int) -> dict[str, Any]:
    return {"num_present": int(num_present), "num_missing": int(num_missing)}


def _feature_to_dict(f: FeatureStatistics, item_count: int) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "inferred_type": str(f.inferred_type)}
    if f.numerical is not None:
        n = f.numerical
        kll = {
            "buckets": [
                {
                    "lower_bound": float(b.lower_bound),
                    "upper_bound": float(b.upper_bound),
                    "count": float(b.count),
                }
                for b in n.buckets
            ],
            "sketch": {
                "parameters": {"c": float(n.sketch.c), "k": float(n.sketch.k)},
                "data": [list(map(float, level)) for level in n.sketch.data],
            },
        }
        out["numerical_statistics"] = {
            "common": _common(n.num_present, n.num_missing),
            "mean": float(n.mean),
            "sum": float(n.sum),
            "std_dev": float(n.std_dev),
            "min": float(n.min),
            "max": float(n.max),
            "distribution": {"kll": kll},
        }
    if f.string is not None or (f.numerical is None and f.inferred_type is InferredType.UNKNOWN):
        st = f.string or StringStatistics(num_present=0, num_missing=item_count, distinct_count=0.0)
        out["string_statistics"] = {
            "common": _common(st.num_present, st.num_missing),
            "distinct_count": float(st.distinct_count),
            "distribution": {
                "categorical": {"buckets": [{"value": b.value, "count": int(b.count)} for b in st.buckets]}
            },
        }
    return out


def statistics_from_json(text: str, *, file: str | None = None) -> Statistics:
    """Read a data-quality statistics.json (any JSON layout).

    Raises :class:`~modelwatch.errors.FormatError` naming ``file`` and the key path when the text is
    not JSON, a required key is missing or a value has the wrong type. ``type_counts`` is ``None``.
    An ``Unknown`` feature whose ``string_statistics`` carry nothing (no value present, all
    ``item_count`` values missing, no distinct values, no buckets) reads back without statistics.
    """
    root = parse(text, file)
    version = v.double() if (v := root.opt("version")) else 0.0
    item_count = root.child("dataset").child("item_count").long()
    features = tuple(_feature_from_node(node, item_count) for node in root.child("features").items())
    return Statistics(item_count=item_count, features=features, version=version)


def _feature_from_node(node: Node, item_count: int) -> FeatureStatistics:
    name = node.child("name").string()
    inferred_type = node.child("inferred_type").enum(InferredType)
    numerical_node = node.opt("numerical_statistics")
    string_node = node.opt("string_statistics")
    if inferred_type in (InferredType.INTEGRAL, InferredType.FRACTIONAL) and numerical_node is None:
        numerical_node = node.child("numerical_statistics")  # raises: required key is missing
    if inferred_type is InferredType.STRING and string_node is None:
        string_node = node.child("string_statistics")
    numerical = _numerical_from_node(numerical_node) if numerical_node else None
    string = _string_from_node(string_node) if string_node else None
    if inferred_type is InferredType.UNKNOWN and string == StringStatistics(0, item_count, 0.0):
        string = None
    return FeatureStatistics(name=name, inferred_type=inferred_type, numerical=numerical, string=string)


def _numerical_from_node(node: Node) -> NumericalStatistics:
    common = node.child("common")
    buckets: tuple[KLLBucket, ...] = ()
    sketch = KLLSketchData()
    if (dist := node.opt("distribution")) and (kll := dist.opt("kll")):
        if b := kll.opt("buckets"):
            buckets = tuple(
                KLLBucket(
                    lower_bound=item.child("lower_bound").double(),
                    upper_bound=item.child("upper_bound").double(),
                    count=item.child("count").double(),
                )
                for item in b.items()
            )
        if sk := kll.opt("sketch"):
            params = sk.opt("parameters")
            c = p.double() if params and (p := params.opt("c")) else KLLSketchData.c
            k = p.double() if params and (p := params.opt("k")) else KLLSketchData.k
            data = tuple(level.doubles() for level in d.items()) if (d := sk.opt("data")) else ()
            sketch = KLLSketchData(c=c, k=k, data=data)
    return NumericalStatistics(
        num_present=common.child("num_present").long(),
        num_missing=common.child("num_missing").long(),
        mean=node.child("mean").double(),
        sum=node.child("sum").double(),
        std_dev=node.child("std_dev").double(),
        min=node.child("min").double(),
        max=node.child("max").double(),
        buckets=buckets,
        sketch=sketch,
    )


def _string_from_node(node: Node) -> StringStatistics:
    common = node.child("common")
    buckets: tuple[CategoricalBucket, ...] = ()
    if (dist := node.opt("distribution")) and (cat := dist.opt("categorical")) and (b := cat.opt("buckets")):
        buckets = tuple(
            CategoricalBucket(value=item.child("value").string(), count=item.child("count").long())
            for item in b.items()
        )
    return StringStatistics(
        num_present=common.child("num_present").long(),
        num_missing=common.child("num_missing").long(),
        distinct_count=node.child("distinct_count").double(),
        buckets=buckets,
    )
