"""Rule: a low-cardinality string column keeps its observed categories (Deequ ``CategoricalRangeRule``).

Applies when the categorical buckets list every present value (no values beyond the kept top
values), there are at most :data:`MAX_CATEGORIES` categories, and at most
:data:`MAX_SINGLETON_SHARE` of them were seen only once. The domain lists the categories by
descending count, ties by value.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelwatch.checks.suggest.rule import Suggestion
from modelwatch.formats.statistics import FeatureStatistics

__all__ = ["MAX_CATEGORIES", "MAX_SINGLETON_SHARE", "DomainsRule"]

MAX_CATEGORIES = 120
MAX_SINGLETON_SHARE = 0.1


@dataclass(frozen=True)
class DomainsRule:
    """``domains`` = the observed categories of a string column with a small, well-populated set of values."""

    description: str = "Values must come from the observed set of categories"

    def applies(self, feature: FeatureStatistics, item_count: int) -> bool:
        stats = feature.string
        if stats is None or stats.num_present <= 0 or not stats.buckets:
            return False
        buckets = stats.buckets
        covered = sum(bucket.count for bucket in buckets) >= stats.num_present
        singletons = sum(1 for bucket in buckets if bucket.count == 1)
        return covered and len(buckets) <= MAX_CATEGORIES and singletons <= MAX_SINGLETON_SHARE * len(buckets)

    def propose(self, feature: FeatureStatistics, item_count: int) -> Suggestion:
        assert feature.string is not None
        ordered = sorted(feature.string.buckets, key=lambda bucket: (-bucket.count, bucket.value))
        values = tuple(bucket.value for bucket in ordered)
        return Suggestion("domains", values, f"{self.description}: {len(values)} categories")
