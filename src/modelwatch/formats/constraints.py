"""The data-quality ``constraints.json`` model (SageMaker Model Monitor, spec 3.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelwatch.formats.statistics import InferredType

__all__ = ["Constraints", "DistributionConstraints", "FeatureConstraints", "MonitoringConfig"]


@dataclass(frozen=True)
class DistributionConstraints:
    perform_comparison: str = "Enabled"
    comparison_threshold: float = 0.1
    comparison_method: str = "Robust"
    categorical_comparison_threshold: float | None = None
    categorical_drift_method: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MonitoringConfig:
    evaluate_constraints: str = "Enabled"
    emit_metrics: str = "Enabled"
    datatype_check_threshold: float = 1.0
    domain_content_threshold: float = 1.0
    distribution_constraints: DistributionConstraints = field(default_factory=DistributionConstraints)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureConstraints:
    """One feature of constraints.json.

    ``monitoring_config_overrides`` holds per-feature overrides of :class:`MonitoringConfig` keys
    (SageMaker's SDK writes them under ``string_constraints.monitoring_config_overrides``; the docs name a
    feature-level ``monitoringConfigOverrides``; both are read). ``extra`` keeps unknown keys so that a
    hand-edited file survives a read/write round trip.
    """

    name: str
    inferred_type: InferredType
    completeness: float | None = None
    is_non_negative: bool | None = None
    domains: tuple[str, ...] | None = None
    monitoring_config_overrides: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Constraints:
    features: tuple[FeatureConstraints, ...]
    monitoring_config: MonitoringConfig = field(default_factory=MonitoringConfig)
    version: float = 0.0

    def feature(self, name: str) -> FeatureConstraints | None:
        return next((f for f in self.features if f.name == name), None)
