"""Drift distances between a baseline and a current distribution, each one small function.

Numeric distributions are KLL sketches (:class:`~modelwatch.formats.statistics.KLLSketchData`) read
as weighted samples; categorical distributions are ``{category: count}`` maps (see
:func:`category_counts`).
"""

from modelwatch.checks.distance.binned import (
    PSI_EPSILON,
    decile_edges,
    js_distance,
    js_distance_categorical,
    psi,
    psi_categorical,
)
from modelwatch.checks.distance.chi_squared import ChiSquaredResult, chi_squared
from modelwatch.checks.distance.ks import KSResult, ks_test
from modelwatch.checks.distance.linf import (
    ROBUST_C_ALPHA,
    linf_categorical,
    linf_categorical_robust,
    linf_robust,
    linf_simple,
    robust_correction,
)
from modelwatch.checks.distance.samples import (
    OTHER_CATEGORY,
    category_counts,
    total_weight,
    weighted_cdf,
    weighted_items,
)
from modelwatch.checks.distance.wasserstein import wasserstein, wasserstein_normalized

__all__ = [
    "OTHER_CATEGORY",
    "PSI_EPSILON",
    "ROBUST_C_ALPHA",
    "ChiSquaredResult",
    "KSResult",
    "category_counts",
    "chi_squared",
    "decile_edges",
    "js_distance",
    "js_distance_categorical",
    "ks_test",
    "linf_categorical",
    "linf_categorical_robust",
    "linf_robust",
    "linf_simple",
    "psi",
    "psi_categorical",
    "robust_correction",
    "total_weight",
    "wasserstein",
    "wasserstein_normalized",
    "weighted_cdf",
    "weighted_items",
]
