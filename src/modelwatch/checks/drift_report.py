"""``drift.json``: every drift distance for every comparable feature (a modelwatch extension).

Features are matched by position, as in :mod:`modelwatch.checks.evaluate`, and reported under the
baseline name. A feature whose distributions cannot be compared (no sketch or buckets, the current
column is of another kind, all values null) is listed in ``skipped`` with the reason.
Undefined values are NaN (the JSON writer turns them into ``"NaN"``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from modelwatch.checks.distance import (
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
    wasserstein_normalized,
)
from modelwatch.formats.statistics import FeatureStatistics, NumericalStatistics, Statistics, StringStatistics

__all__ = [
    "DriftReport",
    "FeatureDrift",
    "FeatureKind",
    "SkippedFeature",
    "drift_report",
    "drift_report_to_dict",
    "feature_drift",
]

_NAN = math.nan


class FeatureKind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


@dataclass(frozen=True)
class FeatureDrift:
    """All distances of one feature; the ones that do not apply to its kind are NaN."""

    name: str
    kind: FeatureKind
    linf_simple: float = _NAN
    linf_robust: float = _NAN
    psi: float = _NAN
    js_distance: float = _NAN
    ks_statistic: float = _NAN
    ks_pvalue: float = _NAN
    wasserstein_normalized: float = _NAN
    chi_squared_statistic: float = _NAN
    chi_squared_pvalue: float = _NAN


@dataclass(frozen=True)
class SkippedFeature:
    name: str
    reason: str


@dataclass(frozen=True)
class DriftReport:
    features: tuple[FeatureDrift, ...]
    skipped: tuple[SkippedFeature, ...] = field(default=())


def _numeric(name: str, base: NumericalStatistics, cur: NumericalStatistics) -> FeatureDrift:
    ks = ks_test(base.sketch, cur.sketch)
    return FeatureDrift(
        name=name,
        kind=FeatureKind.NUMERIC,
        linf_simple=linf_simple(base.sketch, cur.sketch),
        linf_robust=linf_robust(base.sketch, cur.sketch),
        psi=psi(base.sketch, cur.sketch),
        js_distance=js_distance(base.sketch, cur.sketch),
        ks_statistic=ks.statistic,
        ks_pvalue=ks.p_value,
        wasserstein_normalized=wasserstein_normalized(
            base.sketch, cur.sketch, std_dev=base.std_dev, value_range=base.max - base.min
        ),
    )


def _categorical(name: str, base: StringStatistics, cur: StringStatistics) -> FeatureDrift:
    p, q = category_counts(base), category_counts(cur)
    chi = chi_squared(p, q)
    return FeatureDrift(
        name=name,
        kind=FeatureKind.CATEGORICAL,
        linf_simple=linf_categorical(p, q),
        linf_robust=linf_categorical_robust(p, q),
        psi=psi_categorical(p, q),
        js_distance=js_distance_categorical(p, q),
        chi_squared_statistic=chi.statistic,
        chi_squared_pvalue=chi.p_value,
    )


def feature_drift(base: FeatureStatistics, cur: FeatureStatistics) -> FeatureDrift | SkippedFeature:
    """The distances of one baseline/current feature pair, or why there are none."""
    name = base.name
    if base.numerical is not None:
        if not any(base.numerical.sketch.data):
            return SkippedFeature(name, "the baseline statistics hold no KLL sketch")
        if cur.numerical is None or not any(cur.numerical.sketch.data):
            return SkippedFeature(name, f"the current column ({cur.inferred_type.value}) has no KLL sketch")
        return _numeric(name, base.numerical, cur.numerical)
    if base.string is not None:
        if cur.string is None or cur.string.num_present <= 0:
            return SkippedFeature(name, f"the current column ({cur.inferred_type.value}) has no categories")
        if base.string.num_present <= 0:
            return SkippedFeature(name, "the baseline statistics hold no categories")
        return _categorical(name, base.string, cur.string)
    return SkippedFeature(name, "the baseline column has no values (Unknown type)")


def drift_report(baseline: Statistics, current: Statistics) -> DriftReport:
    """Compute every distance for each baseline feature and the current feature at its position."""
    features: list[FeatureDrift] = []
    skipped: list[SkippedFeature] = []
    for position, base in enumerate(baseline.features):
        if position >= len(current.features):
            skipped.append(SkippedFeature(base.name, "the current dataset has no column at this position"))
            continue
        result = feature_drift(base, current.features[position])
        if isinstance(result, FeatureDrift):
            features.append(result)
        else:
            skipped.append(result)
    return DriftReport(features=tuple(features), skipped=tuple(skipped))


def drift_report_to_dict(report: DriftReport) -> dict[str, Any]:
    """A plain, JSON-able dict (floats stay floats, NaN where undefined) for ``drift.json``."""
    return {
        "features": [{**asdict(feature), "kind": feature.kind.value} for feature in report.features],
        "skipped": [asdict(skipped) for skipped in report.skipped],
    }
