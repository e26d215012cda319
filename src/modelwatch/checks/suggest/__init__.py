"""Suggest baseline constraints from baseline statistics, one small rule per constraint.

:func:`suggest_constraints` writes what SageMaker's baseline job writes: per feature ``name``,
``inferred_type`` and what the :data:`RULES` propose, and the default ``monitoring_config``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from modelwatch.checks.suggest.completeness import CompletenessRule
from modelwatch.checks.suggest.domains import DomainsRule
from modelwatch.checks.suggest.non_negative import NonNegativeRule
from modelwatch.checks.suggest.rule import ConstraintField, Suggestion, SuggestionRule
from modelwatch.formats.constraints import (
    Constraints,
    DistributionConstraints,
    FeatureConstraints,
    MonitoringConfig,
)
from modelwatch.formats.statistics import FeatureStatistics, Statistics

__all__ = [
    "RULES",
    "CompletenessRule",
    "ConstraintField",
    "DomainsRule",
    "NonNegativeRule",
    "Suggestion",
    "SuggestionRule",
    "default_monitoring_config",
    "suggest_constraints",
    "suggest_feature",
]

RULES: tuple[SuggestionRule, ...] = (CompletenessRule(), NonNegativeRule(), DomainsRule())
"""The rules that :func:`suggest_constraints` runs, in order."""


def default_monitoring_config() -> MonitoringConfig:
    """The ``monitoring_config`` block exactly as SageMaker's baseline job writes it."""
    return MonitoringConfig(
        evaluate_constraints="Enabled",
        emit_metrics="Enabled",
        datatype_check_threshold=1.0,
        domain_content_threshold=1.0,
        distribution_constraints=DistributionConstraints(
            perform_comparison="Enabled", comparison_threshold=0.1, comparison_method="Robust"
        ),
    )


def suggest_feature(
    feature: FeatureStatistics, item_count: int, rules: tuple[SuggestionRule, ...] = RULES
) -> FeatureConstraints:
    """Constraints for one feature: its name and type plus every applicable rule's proposal."""
    constraint = FeatureConstraints(name=feature.name, inferred_type=feature.inferred_type)
    for rule in rules:
        if rule.applies(feature, item_count):
            suggestion = rule.propose(feature, item_count)
            # the field's value type is the rule's to match (Suggestion pairs a field with its value)
            changes: dict[str, Any] = {suggestion.field: suggestion.value}
            constraint = replace(constraint, **changes)
    return constraint


def suggest_constraints(stats: Statistics, rules: tuple[SuggestionRule, ...] = RULES) -> Constraints:
    """Suggest constraints.json content from baseline statistics."""
    return Constraints(
        features=tuple(suggest_feature(feature, stats.item_count, rules) for feature in stats.features),
        monitoring_config=default_monitoring_config(),
    )
