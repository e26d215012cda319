"""Rule: a numeric column with observed minimum ≥ 0 stays non-negative (Deequ ``NonNegativeNumbersRule``).

When the minimum is negative the rule does not apply and ``is_non_negative`` is left out of
constraints.json (SageMaker's real output only ever shows ``true``).
"""

from __future__ import annotations

from dataclasses import dataclass

from modelwatch.checks.suggest.rule import Suggestion
from modelwatch.formats.statistics import FeatureStatistics

__all__ = ["NonNegativeRule"]


@dataclass(frozen=True)
class NonNegativeRule:
    """``is_non_negative`` = true for numeric columns whose observed minimum is ≥ 0."""

    description: str = "Numeric values must not be negative, as none were observed"

    def applies(self, feature: FeatureStatistics, item_count: int) -> bool:
        numerical = feature.numerical
        return numerical is not None and numerical.num_present > 0 and numerical.min >= 0

    def propose(self, feature: FeatureStatistics, item_count: int) -> Suggestion:
        return Suggestion("is_non_negative", True, self.description)
