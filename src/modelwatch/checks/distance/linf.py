"""L-infinity distances, Deequ's ``Distance.numericalDistance`` / ``categoricalDistance``.

``Simple`` is the largest CDF (numeric) or frequency (categorical) difference; ``Robust`` subtracts
the two-sample Kolmogorov–Smirnov critical value ``c·sqrt((n+m)/(n·m))`` with ``c = 1.8``
(alpha 0.003) and clips at 0, so that small samples do not raise alarms on noise. Given an
``alpha``, ``c = sqrt(−ln(alpha/2)/2)`` (Deequ's ``LInfinityMethod(alpha=Some(a))``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from modelwatch.checks.distance.samples import category_proportions, weighted_cdf, weighted_items
from modelwatch.formats.statistics import KLLSketchData

__all__ = [
    "ROBUST_C_ALPHA",
    "linf_categorical",
    "linf_categorical_robust",
    "linf_robust",
    "linf_simple",
    "robust_correction",
]

ROBUST_C_ALPHA = 1.8
"""Deequ's default ``c(alpha)`` for alpha = 0.003."""


def robust_correction(linf: float, n: float, m: float, alpha: float | None = None) -> float:
    """``max(0, linf − c·sqrt((n+m)/(n·m)))``; NaN when either sample is empty or ``linf`` is NaN.

    ``c`` is 1.8, or ``sqrt(−ln(alpha/2)·1/2)`` for a given ``alpha`` (Deequ's ``selectMetrics``).
    """
    if math.isnan(linf) or n <= 0 or m <= 0:
        return math.nan
    c_alpha = ROBUST_C_ALPHA if alpha is None else math.sqrt(-math.log(alpha / 2) * 1 / 2)
    return max(0.0, linf - c_alpha * math.sqrt((n + m) / (n * m)))


def linf_simple(base: KLLSketchData, cur: KLLSketchData) -> float:
    """Max over every item ``x`` of both sketches of ``|F_base(x) − F_cur(x)|`` (inclusive ranks).

    NaN when either sketch is empty.
    """
    bv, bw = weighted_items(base)
    cv, cw = weighted_items(cur)
    if bv.size == 0 or cv.size == 0:
        return math.nan
    points = np.concatenate((bv, cv))
    return float(np.max(np.abs(weighted_cdf(bv, bw, points) - weighted_cdf(cv, cw, points))))


def linf_robust(base: KLLSketchData, cur: KLLSketchData, alpha: float | None = None) -> float:
    """:func:`linf_simple` minus the KS critical value; n, m = total sketch weights."""
    _, bw = weighted_items(base)
    _, cw = weighted_items(cur)
    return robust_correction(linf_simple(base, cur), float(bw.sum()), float(cw.sum()), alpha)


def linf_categorical(p_base: Mapping[str, int], p_cur: Mapping[str, int]) -> float:
    """``max |p_base(v) − p_cur(v)|`` over the union of categories (counts are normalised).

    NaN when either side has no values.
    """
    _, p, q = category_proportions(p_base, p_cur)
    if p.size == 0 or np.isnan(p).any() or np.isnan(q).any():
        return math.nan
    return float(np.max(np.abs(p - q)))


def linf_categorical_robust(
    p_base: Mapping[str, int], p_cur: Mapping[str, int], alpha: float | None = None
) -> float:
    """:func:`linf_categorical` with the robust correction; n, m = total counts (Deequ's default)."""
    n = float(sum(p_base.values()))
    m = float(sum(p_cur.values()))
    return robust_correction(linf_categorical(p_base, p_cur), n, m, alpha)
