"""Rule: retain the observed completeness (Deequ ``CompleteIfCompleteRule``/``RetainCompletenessRule``)."""

from __future__ import annotations

from dataclasses import dataclass

from modelwatch.checks.completeness import feature_completeness
from modelwatch.checks.suggest.rule import Suggestion
from modelwatch.formats.statistics import FeatureStatistics

__all__ = ["CompletenessRule"]


@dataclass(frozen=True)
class CompletenessRule:
    """``completeness`` = the observed non-null share (1.0 when complete, 0.0 for an all-null column)."""

    description: str = "The share of non-null values must stay at least the observed share"

    def applies(self, feature: FeatureStatistics, item_count: int) -> bool:
        return feature_completeness(feature, item_count) is not None

    def propose(self, feature: FeatureStatistics, item_count: int) -> Suggestion:
        value = feature_completeness(feature, item_count)
        assert value is not None
        return Suggestion("completeness", value, f"{self.description}: {value}")
