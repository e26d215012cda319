"""Evaluate baseline constraints against current statistics (SageMaker's data-quality checks).

Checks read results, never data: every check is a function of the baseline statistics, the
constraints and the current statistics.

* Columns are matched **by position**: current feature ``i`` is checked against constraint feature
  ``i`` whatever its name; violations name the baseline feature. Baseline statistics (for drift)
  are looked up by the constraint feature's name.
* Violations come ordered by feature position, then by :data:`CHECK_ORDER`; extra current
  columns follow the baseline features.
* The effective settings of a feature are the global ``monitoring_config`` with the feature's
  ``monitoring_config_overrides`` applied (:func:`~modelwatch.checks.config.resolve_config`);
  ``evaluate_constraints: Disabled`` there turns off every check of that feature, including its
  ``missing_column_check``. ``extra_column_check`` follows the global setting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from modelwatch.checks.column_checks import extra_column_check, missing_column_check
from modelwatch.checks.config import EffectiveConfig, resolve_config
from modelwatch.checks.drift_check import baseline_drift_check
from modelwatch.checks.feature_checks import categorical_values_check, completeness_check, data_type_check
from modelwatch.checks.outcome import SkippedCheck
from modelwatch.formats.constraints import Constraints, FeatureConstraints
from modelwatch.formats.statistics import FeatureStatistics, Statistics
from modelwatch.formats.violations import CheckType, Violation, Violations

__all__ = ["CHECK_ORDER", "Evaluation", "evaluate", "evaluate_constraints"]

logger = logging.getLogger(__name__)

CHECK_ORDER: tuple[CheckType, ...] = (
    CheckType.MISSING_COLUMN,
    CheckType.DATA_TYPE,
    CheckType.COMPLETENESS,
    CheckType.CATEGORICAL_VALUES,
    CheckType.BASELINE_DRIFT,
    CheckType.EXTRA_COLUMN,
)
"""Order of the check types within one feature position."""


@dataclass(frozen=True)
class Evaluation:
    """Violations plus the checks that applied but could not be computed, with the reason."""

    violations: Violations
    skipped: tuple[SkippedCheck, ...] = ()


def _feature_checks(
    constraint: FeatureConstraints,
    config: EffectiveConfig,
    baseline: FeatureStatistics | None,
    current: FeatureStatistics,
    item_count: int,
) -> list[Violation | SkippedCheck | None]:
    name = constraint.name
    return [
        data_type_check(name, constraint.inferred_type, current, config.datatype_check_threshold),
        completeness_check(name, constraint.completeness, current, item_count),
        categorical_values_check(name, constraint.domains, current, config.domain_content_threshold),
        baseline_drift_check(name, baseline, current, config),
    ]


def evaluate(baseline: Statistics, constraints: Constraints, current: Statistics) -> Evaluation:
    """Run every check; return the violations and the skipped checks."""
    outcomes: list[Violation | SkippedCheck | None] = []
    n_baseline, n_current = len(constraints.features), len(current.features)
    for position, constraint in enumerate(constraints.features):
        config = resolve_config(
            constraints.monitoring_config, constraint.monitoring_config_overrides, feature=constraint.name
        )
        if not config.evaluate_constraints:
            continue
        if position >= n_current:
            outcomes.append(missing_column_check(constraint.name, n_current, n_baseline))
            continue
        outcomes.extend(
            _feature_checks(
                constraint,
                config,
                baseline.feature(constraint.name),
                current.features[position],
                current.item_count,
            )
        )
    if resolve_config(constraints.monitoring_config).evaluate_constraints:
        outcomes.extend(
            extra_column_check(feature.name, n_current, n_baseline)
            for feature in current.features[n_baseline:]
        )
    return Evaluation(
        violations=Violations(tuple(o for o in outcomes if isinstance(o, Violation))),
        skipped=tuple(o for o in outcomes if isinstance(o, SkippedCheck)),
    )


def evaluate_constraints(baseline: Statistics, constraints: Constraints, current: Statistics) -> Violations:
    """Check ``current`` against ``constraints`` (and ``baseline`` for drift); log skipped checks."""
    result = evaluate(baseline, constraints, current)
    for skipped in result.skipped:
        logger.warning(
            "%s skipped for feature %r: %s", skipped.check_type.value, skipped.feature_name, skipped.reason
        )
    return result.violations
