"""SageMaker Model Monitor's JSON files: the models, and byte-compatible readers and writers.

``statistics.json``, ``constraints.json`` and ``constraint_violations.json`` are written exactly as
SageMaker's analyzer writes them (Jackson's pretty printer, Java's ``Double.toString``), and read in
any JSON layout; malformed files raise :class:`~modelwatch.errors.FormatError`.
"""

from __future__ import annotations

from modelwatch.formats.constraints import (
    Constraints,
    DistributionConstraints,
    FeatureConstraints,
    MonitoringConfig,
    constraints_from_json,
    constraints_to_json,
)
from modelwatch.formats.jackson import dumps
from modelwatch.formats.javafloat import format_double
from modelwatch.formats.statistics import (
    CategoricalBucket,
    FeatureStatistics,
    InferredType,
    KLLBucket,
    KLLSketchData,
    NumericalStatistics,
    Statistics,
    StringStatistics,
    statistics_from_json,
    statistics_to_json,
)
from modelwatch.formats.violations import (
    CheckType,
    Violation,
    Violations,
    violations_from_json,
    violations_to_json,
)

__all__ = [
    "CategoricalBucket",
    "CheckType",
    "Constraints",
    "DistributionConstraints",
    "FeatureConstraints",
    "FeatureStatistics",
    "InferredType",
    "KLLBucket",
    "KLLSketchData",
    "MonitoringConfig",
    "NumericalStatistics",
    "Statistics",
    "StringStatistics",
    "Violation",
    "Violations",
    "constraints_from_json",
    "constraints_to_json",
    "dumps",
    "format_double",
    "statistics_from_json",
    "statistics_to_json",
    "violations_from_json",
    "violations_to_json",
]
