"""The shape of a suggestion rule (Deequ's ``ConstraintRule``): does it apply, what does it propose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from modelwatch.formats.statistics import FeatureStatistics

__all__ = ["ConstraintField", "Suggestion", "SuggestionRule"]

ConstraintField = Literal["completeness", "is_non_negative", "domains"]
"""The :class:`~modelwatch.formats.constraints.FeatureConstraints` field a rule fills in."""


@dataclass(frozen=True)
class Suggestion:
    """A proposed value for one constraint field of one feature, with why."""

    field: ConstraintField
    value: float | bool | tuple[str, ...]
    description: str


class SuggestionRule(Protocol):
    """One rule: ``applies`` decides from the profile alone, ``propose`` builds the constraint."""

    @property
    def description(self) -> str:
        """What the rule proposes, in words (read-only: the rules are frozen dataclasses)."""
        ...

    def applies(self, feature: FeatureStatistics, item_count: int) -> bool:
        """Whether the rule has something to propose for ``feature``."""
        ...

    def propose(self, feature: FeatureStatistics, item_count: int) -> Suggestion:
        """The constraint value for ``feature`` (only called when :meth:`applies` is true)."""
        ...
