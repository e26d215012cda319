"""The monitoring configuration in force for one feature: global ``monitoring_config`` plus the
feature's ``monitoring_config_overrides``.

Overrides may name any :class:`~modelwatch.formats.constraints.MonitoringConfig` key, either flat
(``{"comparison_threshold": 0.2}``) or nested like the global block
(``{"distribution_constraints": {"comparison_threshold": 0.2}}``); nested keys win over flat ones.
``"Enabled"``/``"Disabled"`` are read case-insensitively, JSON booleans are accepted too, and numbers
may be given as strings. A value that cannot be read raises :class:`~modelwatch.errors.ConfigurationError`
naming the feature and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from modelwatch.errors import ConfigurationError
from modelwatch.formats.constraints import DISTRIBUTION_KEYS, MonitoringConfig

__all__ = ["CategoricalDriftMethod", "EffectiveConfig", "NumericDriftMethod", "resolve_config"]


class NumericDriftMethod(StrEnum):
    """``distribution_constraints.comparison_method``: SageMaker's two plus modelwatch extensions."""

    SIMPLE = "Simple"
    ROBUST = "Robust"
    PSI = "PSI"
    JENSEN_SHANNON = "JensenShannon"
    KOLMOGOROV_SMIRNOV = "KolmogorovSmirnov"
    WASSERSTEIN = "Wasserstein"


class CategoricalDriftMethod(StrEnum):
    """``distribution_constraints.categorical_drift_method``: SageMaker's two plus modelwatch extensions."""

    LINFINITY = "LInfinity"
    CHI_SQUARED = "ChiSquared"
    PSI = "PSI"
    JENSEN_SHANNON = "JensenShannon"


@dataclass(frozen=True)
class EffectiveConfig:
    """Resolved, typed settings for the checks of one feature."""

    evaluate_constraints: bool = True
    datatype_check_threshold: float = 1.0
    domain_content_threshold: float = 1.0
    perform_comparison: bool = True
    comparison_threshold: float = 0.1
    comparison_method: NumericDriftMethod = NumericDriftMethod.ROBUST
    categorical_comparison_threshold: float = 0.1
    categorical_drift_method: CategoricalDriftMethod = CategoricalDriftMethod.LINFINITY


_E = TypeVar("_E", bound=StrEnum)


def _where(feature: str | None, key: str) -> str:
    return f"monitoring config key {key!r}" + (f" of feature {feature!r}" if feature else "")


def _switch(value: Any, key: str, feature: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("enabled", "disabled"):
        return value.strip().lower() == "enabled"
    raise ConfigurationError(
        f"{_where(feature, key)} must be 'Enabled' or 'Disabled'. Got {value!r} instead."
    )


def _number(value: Any, key: str, feature: str | None) -> float:
    if not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    raise ConfigurationError(f"{_where(feature, key)} must be a number. Got {value!r} instead.")


def _choice(enum: type[_E], value: Any, key: str, feature: str | None) -> _E:
    if isinstance(value, str):
        for member in enum:
            if member.value.lower() == value.strip().lower():
                return member
    allowed = ", ".join(repr(m.value) for m in enum)
    raise ConfigurationError(f"{_where(feature, key)} must be one of {allowed}. Got {value!r} instead.")


def _raw_settings(config: MonitoringConfig) -> dict[str, Any]:
    dist = config.distribution_constraints
    return {
        "evaluate_constraints": config.evaluate_constraints,
        "datatype_check_threshold": config.datatype_check_threshold,
        "domain_content_threshold": config.domain_content_threshold,
        "perform_comparison": dist.perform_comparison,
        "comparison_threshold": dist.comparison_threshold,
        "comparison_method": dist.comparison_method,
        "categorical_comparison_threshold": dist.categorical_comparison_threshold,
        "categorical_drift_method": dist.categorical_drift_method,
    }


def _flatten(overrides: Mapping[str, Any]) -> dict[str, Any]:
    flat = {key: value for key, value in overrides.items() if key != "distribution_constraints"}
    nested = overrides.get("distribution_constraints")
    if isinstance(nested, Mapping):
        flat.update({key: nested[key] for key in DISTRIBUTION_KEYS if key in nested})
    return flat


def resolve_config(
    config: MonitoringConfig,
    overrides: Mapping[str, Any] | None = None,
    *,
    feature: str | None = None,
) -> EffectiveConfig:
    """Merge ``overrides`` into ``config`` and type every value.

    ``categorical_comparison_threshold`` defaults to the (possibly overridden) ``comparison_threshold``
    and ``categorical_drift_method`` to ``LInfinity``. Unknown override keys are ignored.
    """
    raw = _raw_settings(config)
    if overrides:
        raw.update({key: value for key, value in _flatten(overrides).items() if key in raw})
    threshold = _number(raw["comparison_threshold"], "comparison_threshold", feature)
    categorical_threshold = raw["categorical_comparison_threshold"]
    categorical_method = raw["categorical_drift_method"]
    return EffectiveConfig(
        evaluate_constraints=_switch(raw["evaluate_constraints"], "evaluate_constraints", feature),
        datatype_check_threshold=_number(
            raw["datatype_check_threshold"], "datatype_check_threshold", feature
        ),
        domain_content_threshold=_number(
            raw["domain_content_threshold"], "domain_content_threshold", feature
        ),
        perform_comparison=_switch(raw["perform_comparison"], "perform_comparison", feature),
        comparison_threshold=threshold,
        comparison_method=_choice(NumericDriftMethod, raw["comparison_method"], "comparison_method", feature),
        categorical_comparison_threshold=(
            threshold
            if categorical_threshold is None
            else _number(categorical_threshold, "categorical_comparison_threshold", feature)
        ),
        categorical_drift_method=(
            CategoricalDriftMethod.LINFINITY
            if categorical_method is None
            else _choice(CategoricalDriftMethod, categorical_method, "categorical_drift_method", feature)
        ),
    )
