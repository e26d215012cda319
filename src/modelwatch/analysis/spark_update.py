"""Spark's per-row update of ``stddev_pop``/``avg``/``sum``, compiled with numba on first use.

Spark's ``CentralMomentAgg`` (and Deequ's ``StandardDeviation``, which reuses it) folds the rows
of a partition one at a time into ``(n, avg, m2)``::

    n += 1; delta = x - avg; deltaN = delta / n; avg += deltaN; m2 += delta * (delta - deltaN)

and ``sum`` adds the values left to right. Every rounding of that loop is part of the result
(``std_dev = sqrt(m2 / n)`` differs in the last digits from a two-pass formula), so it is run as
written, operation for operation, in a compiled loop: numba (no fast-math, so no fused
multiply-add and no reassociation) loaded on the first large batch only, its machine code cached
on disk. Python floats are IEEE doubles too, so small batches run the same function uncompiled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["COMPILED_FROM", "spark_update"]

COMPILED_FROM = 4096
"""Batches of fewer values run the loop in Python until numba is loaded (same IEEE operations in the
same order, so the same bits): a small input does not pay numba's ~0.3 s import and cache load."""

_Kernel = Callable[[np.ndarray, float, float, float, float], tuple[float, float, float, float]]
_compiled: _Kernel | None = None


def _update(values: Any, n: float, avg: float, m2: float, total: float) -> tuple[float, float, float, float]:
    for i in range(len(values)):
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
    if values.size < COMPILED_FROM and _compiled is None:
        return _update(
            values.astype(np.float64, copy=False).tolist(), float(n), float(avg), float(m2), float(total)
        )
    contiguous = np.ascontiguousarray(values, dtype=np.float64)
    return _kernel()(contiguous, float(n), float(avg), float(m2), float(total))
