"""Normalised Wasserstein-1 (earth mover's) distance between two KLL sketches.

``W1 = ∫ |F_base(x) − F_cur(x)| dx`` over the weighted sketch items, divided by a scale so that
thresholds carry over between features: the baseline standard deviation, or the baseline range
(max − min) when the standard deviation is 0. A constant baseline (scale 0) gives 0.0 when the
current sample is identical and ``inf`` otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from modelwatch.checks.distance.samples import weighted_cdf, weighted_items
from modelwatch.formats.statistics import KLLSketchData

__all__ = ["wasserstein", "wasserstein_normalized"]


def wasserstein(base: KLLSketchData, cur: KLLSketchData) -> float:
    """Plain W1 distance between the two weighted samples; NaN when either is empty."""
    bv, bw = weighted_items(base)
    cv, cw = weighted_items(cur)
    if bv.size == 0 or cv.size == 0:
        return math.nan
    points = np.unique(np.concatenate((bv, cv)))
    gaps = np.diff(points)
    diff = np.abs(weighted_cdf(bv, bw, points[:-1]) - weighted_cdf(cv, cw, points[:-1]))
    return float(np.sum(diff * gaps))


def _sketch_std_and_range(sketch: KLLSketchData) -> tuple[float, float]:
    values, weights = weighted_items(sketch)
    mean = float(np.average(values, weights=weights))
    std = math.sqrt(float(np.average((values - mean) ** 2, weights=weights)))
    return std, float(values[-1] - values[0])


def wasserstein_normalized(
    base: KLLSketchData,
    cur: KLLSketchData,
    *,
    std_dev: float | None = None,
    value_range: float | None = None,
) -> float:
    """W1 divided by the baseline ``std_dev``, or by ``value_range`` when the std is 0.

    Pass the baseline statistics' ``std_dev`` and ``max − min``; when both are omitted they are
    estimated from the baseline sketch (population std of the weighted items, and their range).
    """
    distance = wasserstein(base, cur)
    if math.isnan(distance):
        return math.nan
    if std_dev is None and value_range is None:
        std_dev, value_range = _sketch_std_and_range(base)
    scale = std_dev if std_dev is not None and std_dev > 0 else (value_range or 0.0)
    if scale > 0:
        return distance / scale
    return 0.0 if distance == 0 else math.inf
