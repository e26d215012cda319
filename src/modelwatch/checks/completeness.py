"""Completeness (share of non-null values) of one feature of a statistics file."""

from __future__ import annotations

from modelwatch.formats.statistics import FeatureStatistics

__all__ = ["feature_completeness"]


def feature_completeness(feature: FeatureStatistics, item_count: int) -> float | None:
    """``num_present / (num_present + num_missing)``; None when the dataset has no rows.

    An ``Unknown`` (all-null) feature has neither numerical nor string statistics: its missing count
    is then ``item_count`` and its completeness 0.0.
    """
    total = feature.num_present + feature.num_missing
    if total == 0:
        total = item_count
    if total <= 0:
        return None
    return feature.num_present / total
