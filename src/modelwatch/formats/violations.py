"""The ``constraint_violations.json`` model (SageMaker Model Monitor, spec 3.6)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CheckType", "Violation", "Violations"]


class CheckType(StrEnum):
    DATA_TYPE = "data_type_check"
    COMPLETENESS = "completeness_check"
    BASELINE_DRIFT = "baseline_drift_check"
    MISSING_COLUMN = "missing_column_check"
    EXTRA_COLUMN = "extra_column_check"
    CATEGORICAL_VALUES = "categorical_values_check"


@dataclass(frozen=True)
class Violation:
    feature_name: str
    constraint_check_type: str
    description: str


@dataclass(frozen=True)
class Violations:
    violations: tuple[Violation, ...] = ()
