"""Checks: suggest constraints from baseline statistics, evaluate them against current statistics,
and measure drift. Checks read statistics, never data.
"""

from modelwatch.checks.column_order import column_order_hint
from modelwatch.checks.config import (
    CategoricalDriftMethod,
    EffectiveConfig,
    NumericDriftMethod,
    resolve_config,
)
from modelwatch.checks.distance import (
    OTHER_CATEGORY,
    ChiSquaredResult,
    KSResult,
    category_counts,
    chi_squared,
    js_distance,
    js_distance_categorical,
    ks_test,
    linf_categorical,
    linf_categorical_robust,
    linf_robust,
    linf_simple,
    psi,
    psi_categorical,
    wasserstein,
    wasserstein_normalized,
    weighted_items,
)
from modelwatch.checks.drift_report import (
    DriftReport,
    FeatureDrift,
    FeatureKind,
    SkippedFeature,
    drift_report,
    drift_report_to_dict,
)
from modelwatch.checks.evaluate import CHECK_ORDER, Evaluation, evaluate, evaluate_constraints
from modelwatch.checks.outcome import SkippedCheck
from modelwatch.checks.suggest import default_monitoring_config, suggest_constraints

__all__ = [
    "CHECK_ORDER",
    "OTHER_CATEGORY",
    "CategoricalDriftMethod",
    "ChiSquaredResult",
    "DriftReport",
    "EffectiveConfig",
    "Evaluation",
    "FeatureDrift",
    "FeatureKind",
    "KSResult",
    "NumericDriftMethod",
    "SkippedCheck",
    "SkippedFeature",
    "category_counts",
    "chi_squared",
    "column_order_hint",
    "default_monitoring_config",
    "drift_report",
    "drift_report_to_dict",
    "evaluate",
    "evaluate_constraints",
    "js_distance",
    "js_distance_categorical",
    "ks_test",
    "linf_categorical",
    "linf_categorical_robust",
    "linf_robust",
    "linf_simple",
    "psi",
    "psi_categorical",
    "resolve_config",
    "suggest_constraints",
    "wasserstein",
    "wasserstein_normalized",
    "weighted_items",
]
