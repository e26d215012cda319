"""Distributions that the drift distances compare, read from statistics (never from data).

* Numeric: the items of a Deequ KLL sketch as a weighted sample (an item of level ``h`` stands
  for ``2**h`` values), sorted by value.
* Categorical: category counts from the categorical buckets; values that the buckets do not cover
  (bounded top values) are pooled into one extra :data:`OTHER_CATEGORY`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from modelwatch.formats.statistics import KLLSketchData, StringStatistics

__all__ = [
    "OTHER_CATEGORY",
    "category_counts",
    "category_proportions",
    "total_weight",
    "weighted_cdf",
    "weighted_items",
]

OTHER_CATEGORY = "__modelwatch_other__"
"""Key of the pooled category for present values that the categorical buckets do not list."""


def weighted_items(sketch: KLLSketchData) -> tuple[np.ndarray, np.ndarray]:
    """Return the sketch items sorted by value and their weights (level ``h`` → ``2**h``).

    A sketch of at most 2049 values holds level 0 only, so the result is then the exact data.
    """
    levels = [np.asarray(level, dtype=np.float64) for level in sketch.data]
    if not levels or sum(level.size for level in levels) == 0:
        return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.float64)
    values = np.concatenate(levels)
    weights = np.concatenate(
        [np.full(level.size, float(2**h), dtype=np.float64) for h, level in enumerate(levels)]
    )
    order = np.argsort(values, kind="stable")
    return values[order], weights[order]


def total_weight(sketch: KLLSketchData) -> float:
    """How many values the sketch stands for (sum of item weights)."""
    return float(sum(len(level) * 2**h for h, level in enumerate(sketch.data)))


def weighted_cdf(values: np.ndarray, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Inclusive empirical CDF of a sorted weighted sample evaluated at the points ``at``.

    ``F(x) = (total weight of items <= x) / (total weight)``, Deequ's inclusive rank.
    """
    cumulative = np.concatenate(([0.0], np.cumsum(weights)))
    index = np.searchsorted(values, at, side="right")
    return cumulative[index] / cumulative[-1]


def category_counts(stats: StringStatistics) -> dict[str, int]:
    """Counts per category from the categorical buckets.

    If the buckets cover fewer values than ``num_present`` (only the top values are kept), the
    remainder becomes one extra category :data:`OTHER_CATEGORY`.
    """
    counts: dict[str, int] = {}
    for bucket in stats.buckets:
        counts[bucket.value] = counts.get(bucket.value, 0) + int(bucket.count)
    remainder = stats.num_present - sum(counts.values())
    if remainder > 0:
        counts[OTHER_CATEGORY] = counts.get(OTHER_CATEGORY, 0) + remainder
    return counts


def category_proportions(
    base: Mapping[str, float], cur: Mapping[str, float]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Align two count maps on the union of their categories (sorted) and normalise each to 1.

    Either side may sum to 0; its proportions are then NaN.
    """
    categories = sorted(set(base) | set(cur))
    p = np.array([float(base.get(c, 0)) for c in categories], dtype=np.float64)
    q = np.array([float(cur.get(c, 0)) for c in categories], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return categories, p / p.sum(), q / q.sum()
