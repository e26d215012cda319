"""Two-sample Kolmogorov–Smirnov test on two KLL sketches.

The statistic is ``D = sup_x |F_base(x) − F_cur(x)|`` over the sketch-estimated CDFs (equal to
:func:`~modelwatch.checks.distance.linf.linf_simple`). The p-value uses the effective sample sizes
``n, m`` = total sketch weights and Smirnov's asymptotic distribution as scipy's
``ks_2samp(method="asymp")`` does: ``kstwo.sf(D, round(n·m/(n+m)))``. For sketches of raw data
(≤ 2049 values) it therefore equals ``scipy.stats.ks_2samp(base, cur, method="asymp")``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from modelwatch.checks.distance.linf import linf_simple
from modelwatch.checks.distance.samples import total_weight
from modelwatch.formats.statistics import KLLSketchData

__all__ = ["KSResult", "ks_test"]


@dataclass(frozen=True)
class KSResult:
    """KS statistic ``D`` and its two-sided p-value (NaN when a sketch is empty)."""

    statistic: float
    p_value: float


def ks_test(base: KLLSketchData, cur: KLLSketchData) -> KSResult:
    """Two-sided two-sample KS test of the current sketch against the baseline sketch."""
    statistic = linf_simple(base, cur)
    if math.isnan(statistic):
        return KSResult(math.nan, math.nan)
    n, m = total_weight(base), total_weight(cur)
    effective = round(n * m / (n + m))
    from scipy import stats as scipy_stats  # imported when needed: scipy takes ~0.5 s to import

    p_value = float(scipy_stats.kstwo.sf(statistic, max(effective, 1)))
    return KSResult(statistic, min(max(p_value, 0.0), 1.0))
