"""Binned drift distances: population stability index (PSI) and Jensen–Shannon distance.

Numeric features are binned by the **baseline deciles**: the 9 weighted quantiles at 0.1 … 0.9 of
the baseline sketch (inverse CDF: the smallest item whose inclusive CDF reaches the level) are the
right-closed bin edges ``(-inf, q1], (q1, q2], …, (q9, +inf)``. Repeated deciles (discrete data) are
merged, so a feature with few distinct values gets fewer bins. Categorical features use their
categories (the union of both sides) as bins.

PSI = ``Σ (q_i − p_i)·ln(q_i / p_i)`` with ``p`` the baseline and ``q`` the current proportions;
an empty bin's proportion is replaced by :data:`PSI_EPSILON` (no renormalisation) so that the sum
stays finite. Jensen–Shannon distance = square root of the JS divergence with base-2 logarithms
(in [0, 1]); it needs no epsilon.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from modelwatch.checks.distance.samples import category_proportions, weighted_items
from modelwatch.formats.statistics import KLLSketchData

__all__ = [
    "PSI_EPSILON",
    "decile_edges",
    "js_distance",
    "js_distance_categorical",
    "js_distance_proportions",
    "psi",
    "psi_categorical",
    "psi_proportions",
    "sketch_bin_proportions",
]

PSI_EPSILON = 1e-4
"""Proportion used in place of 0 for an empty bin in PSI."""

_DECILES = np.linspace(0.1, 0.9, 9)


def decile_edges(sketch: KLLSketchData) -> np.ndarray:
    """Distinct baseline deciles (inverse weighted CDF at 0.1 … 0.9), sorted; empty for an empty sketch."""
    values, weights = weighted_items(sketch)
    if values.size == 0:
        return values
    cdf = np.cumsum(weights) / weights.sum()
    index = np.searchsorted(cdf, _DECILES - 1e-12, side="left")
    return np.unique(values[np.minimum(index, values.size - 1)])


def sketch_bin_proportions(sketch: KLLSketchData, edges: np.ndarray) -> np.ndarray:
    """Weighted share of the sketch in each right-closed bin ``(e_{i-1}, e_i]`` (``len(edges)+1`` bins)."""
    values, weights = weighted_items(sketch)
    masses = np.bincount(
        np.searchsorted(edges, values, side="left"), weights=weights, minlength=edges.size + 1
    )
    total = masses.sum()
    return masses / total if total > 0 else np.full(edges.size + 1, math.nan)


def psi_proportions(p_base: np.ndarray, p_cur: np.ndarray, epsilon: float = PSI_EPSILON) -> float:
    """PSI of two aligned proportion vectors, empty bins replaced by ``epsilon``."""
    if p_base.size == 0 or np.isnan(p_base).any() or np.isnan(p_cur).any():
        return math.nan
    p = np.where(p_base > 0, p_base, epsilon)
    q = np.where(p_cur > 0, p_cur, epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def js_distance_proportions(p_base: np.ndarray, p_cur: np.ndarray) -> float:
    """Jensen–Shannon distance (base 2) of two aligned proportion vectors."""
    if p_base.size == 0 or np.isnan(p_base).any() or np.isnan(p_cur).any():
        return math.nan
    mid = (p_base + p_cur) / 2.0

    def _kl(a: np.ndarray) -> float:
        nonzero = a > 0
        return float(np.sum(a[nonzero] * np.log2(a[nonzero] / mid[nonzero])))

    divergence = (_kl(p_base) + _kl(p_cur)) / 2.0
    return math.sqrt(max(divergence, 0.0))


def _binned(base: KLLSketchData, cur: KLLSketchData) -> tuple[np.ndarray, np.ndarray]:
    edges = decile_edges(base)
    if edges.size == 0 or not any(cur.data):
        return np.empty(0), np.empty(0)
    return sketch_bin_proportions(base, edges), sketch_bin_proportions(cur, edges)


def psi(base: KLLSketchData, cur: KLLSketchData, epsilon: float = PSI_EPSILON) -> float:
    """PSI of two numeric sketches over the baseline decile bins; NaN when either is empty."""
    return psi_proportions(*_binned(base, cur), epsilon=epsilon)


def js_distance(base: KLLSketchData, cur: KLLSketchData) -> float:
    """Jensen–Shannon distance (base 2) of two numeric sketches over the baseline decile bins."""
    return js_distance_proportions(*_binned(base, cur))


def psi_categorical(
    p_base: Mapping[str, int], p_cur: Mapping[str, int], epsilon: float = PSI_EPSILON
) -> float:
    """PSI over the union of categories; NaN when either side has no values."""
    _, p, q = category_proportions(p_base, p_cur)
    return psi_proportions(p, q, epsilon=epsilon)


def js_distance_categorical(p_base: Mapping[str, int], p_cur: Mapping[str, int]) -> float:
    """Jensen–Shannon distance (base 2) over the union of categories."""
    _, p, q = category_proportions(p_base, p_cur)
    return js_distance_proportions(p, q)
