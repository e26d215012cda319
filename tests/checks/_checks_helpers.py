"""Builders of small Statistics objects for the checks tests (exact level-0 sketches)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from modelwatch.formats.statistics import (
    CategoricalBucket,
    FeatureStatistics,
    InferredType,
    KLLSketchData,
    NumericalStatistics,
    Statistics,
    StringStatistics,
)

GOLDEN_DQ = Path("/work/shared/golden/sagemaker-sdk/quality_check_step/data_quality")


def sketch(*levels: Iterable[float]) -> KLLSketchData:
    """A sketch whose level ``h`` holds the given items (weight ``2**h``)."""
    return KLLSketchData(data=tuple(tuple(float(v) for v in level) for level in levels))


def numeric(
    name: str,
    values: Sequence[float],
    *,
    inferred: InferredType = InferredType.FRACTIONAL,
    missing: int = 0,
    type_counts: Mapping[InferredType, int] | None = None,
    with_sketch: bool = True,
) -> FeatureStatistics:
    """A numeric feature whose sketch is the exact data (≤ 2049 values)."""
    arr = np.asarray(values, dtype=np.float64)
    assert arr.size <= 2049
    return FeatureStatistics(
        name=name,
        inferred_type=inferred,
        numerical=NumericalStatistics(
            num_present=int(arr.size),
            num_missing=missing,
            mean=float(arr.mean()) if arr.size else float("nan"),
            sum=float(arr.sum()),
            std_dev=float(arr.std()) if arr.size else float("nan"),
            min=float(arr.min()) if arr.size else float("nan"),
            max=float(arr.max()) if arr.size else float("nan"),
            sketch=sketch(arr) if with_sketch else KLLSketchData(),
        ),
        type_counts=dict(type_counts) if type_counts is not None else None,
    )


def categorical(
    name: str,
    counts: Mapping[str, int],
    *,
    missing: int = 0,
    uncovered: int = 0,
    type_counts: Mapping[InferredType, int] | None = None,
) -> FeatureStatistics:
    """A string feature with the given bucket counts; ``uncovered`` present values are not in buckets."""
    present = sum(counts.values()) + uncovered
    return FeatureStatistics(
        name=name,
        inferred_type=InferredType.STRING,
        string=StringStatistics(
            num_present=present,
            num_missing=missing,
            distinct_count=float(len(counts)),
            buckets=tuple(CategoricalBucket(value, count) for value, count in counts.items()),
        ),
        type_counts=dict(type_counts) if type_counts is not None else None,
    )


def unknown(name: str) -> FeatureStatistics:
    return FeatureStatistics(name=name, inferred_type=InferredType.UNKNOWN)


def statistics(*features: FeatureStatistics, item_count: int | None = None) -> Statistics:
    if item_count is None:
        item_count = max((f.num_present + f.num_missing for f in features), default=0)
    return Statistics(item_count=item_count, features=tuple(features))


def golden_json(name: str) -> dict:
    return json.loads((GOLDEN_DQ / name).read_text())
