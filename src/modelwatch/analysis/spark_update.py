"""Spark's per-row update of ``stddev_pop``/``avg``/``sum``, compiled with numba on first use.

Spark's ``CentralMomentAgg`` (and Deequ's ``StandardDeviation``, which reuses it) folds the rows
of a partition one at a time into ``(n, avg, m2)``::

    n += 1; delta = x - avg; deltaN = delta / n; avg += deltaN; m2 += delta * (delta - deltaN)

and ``sum`` adds the values left to right. Every rounding of that loop is part of the result
(``std_dev = sqrt(m2 / n)`` differs in the last digits from a two-pass formula), so it is run as
written, operation for operation, in a compiled loop: numba (no fast-math, so no fused
multiply-add and no reassociation) loaded on the first call only, its machine code cached on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["spark_update"]

_Kernel = Callable[[np.ndarray, float, float, float, float], tuple[float, float, float, float]]
_compiled: _Kernel | None = None


def _update(values: Any, n: float, avg: float, m2: float, total: float) -> tuple[float, float, float, float]:
    for i in range(values.shape[0]):
        x = values[i]
        n = n + 1.0
        delta = x - avg
        delta_n = delta / n
        avg = avg + delta_n
        m2 = m2 + delta * (delta - delta_n)
        total = total + x
    return n, avg, m2, total


def _kernel() -> _Kernel:
    global _compiled
    if _compiled is None:
        import numba  # imported when needed: numba takes ~0.2 s to import

        _compiled = numba.njit(cache=True, nogil=True, error_model="numpy")(_update)
    return _compiled


def spark_update(
    values: np.ndarray, n: float, avg: float, m2: float, total: float
) -> tuple[float, float, float, float]:
    """Continue Spark's sequential update of ``(n, avg, m2)`` and the running ``sum`` over ``values``."""
    if values.size == 0:
        return n, avg, m2, total
    contiguous = np.ascontiguousarray(values, dtype=np.float64)
    return _kernel()(contiguous, float(n), float(avg), float(m2), float(total))
