"""Spark's per-row update of ``stddev_pop``/``avg``/``sum``, as a compiled loop built on first use.

Spark's ``CentralMomentAgg`` (and Deequ's ``StandardDeviation``, which reuses it) folds the rows
of a partition one at a time into ``(n, avg, m2)``::

    n += 1; delta = x - avg; deltaN = delta / n; avg += deltaN; m2 += delta * (delta - deltaN)

and ``sum`` adds the values left to right. Every rounding of that loop is part of the result
(``std_dev = sqrt(m2 / n)`` differs in the last digits from a two-pass formula), so it runs as
written, operation for operation: :data:`_LOOP` is that loop in LLVM IR, compiled in-process by
llvmlite (a wheel, the compiler numba is built on: ~50 ms to import and compile, where numba takes
~0.3 s). The IR carries no fast-math flags, so LLVM neither reorders nor fuses the operations (no
fused multiply-add: the default ``FPOpFusion::Standard`` fuses only explicit ``fmuladd``); a
Hypothesis test checks it against a Python port bit for bit. Python floats are IEEE doubles too, so
small batches run the same loop in Python (:func:`_update`) and spare even that start-up.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["COMPILED_FROM", "spark_update"]

COMPILED_FROM = 4096
"""A column's first values, up to this many, run the loop in Python until the compiled loop exists
(same bits): a small input never builds it, a large one builds it once whatever its batch size."""

_LOOP = r"""
define void @spark_update(ptr noalias %x, i64 %len, ptr noalias %state) {
entry:
  %n0 = load double, ptr %state
  %p1 = getelementptr double, ptr %state, i64 1
  %a0 = load double, ptr %p1
  %p2 = getelementptr double, ptr %state, i64 2
  %m0 = load double, ptr %p2
  %p3 = getelementptr double, ptr %state, i64 3
  %s0 = load double, ptr %p3
  %empty = icmp eq i64 %len, 0
  br i1 %empty, label %done, label %loop
loop:
  %i = phi i64 [0, %entry], [%i1, %loop]
  %n = phi double [%n0, %entry], [%nn, %loop]
  %a = phi double [%a0, %entry], [%an, %loop]
  %m = phi double [%m0, %entry], [%mn, %loop]
  %s = phi double [%s0, %entry], [%sn, %loop]
  %px = getelementptr double, ptr %x, i64 %i
  %v = load double, ptr %px
  %nn = fadd double %n, 1.0
  %d = fsub double %v, %a
  %dn = fdiv double %d, %nn
  %an = fadd double %a, %dn
  %t = fsub double %d, %dn
  %u = fmul double %d, %t
  %mn = fadd double %m, %u
  %sn = fadd double %s, %v
  %i1 = add i64 %i, 1
  %more = icmp ult i64 %i1, %len
  br i1 %more, label %loop, label %store
store:
  store double %nn, ptr %state
  store double %an, ptr %p1
  store double %mn, ptr %p2
  store double %sn, ptr %p3
  br label %done
done:
  ret void
}
"""
"""``spark_update(x, len, state)``: ``state = [n, avg, m2, sum]`` updated in place over ``x[0:len]``."""

_Kernel = Callable[[int, int, int], None]
_compiled: tuple[Any, _Kernel] | None = None  # the execution engine must live as long as the function


def _update(values: Sequence[float], n: float, avg: float, m2: float, total: float) -> tuple[float, ...]:
    """The loop in Python (the reference the compiled loop is checked against)."""
    for x in values:
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
        import llvmlite.binding as llvm  # imported when needed: ~45 ms

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        machine = llvm.Target.from_default_triple().create_target_machine(opt=2)
        module = llvm.parse_assembly(_LOOP)
        module.verify()
        engine = llvm.create_mcjit_compiler(module, machine)
        engine.finalize_object()
        signature = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p)
        _compiled = (engine, signature(engine.get_function_address("spark_update")))
    return _compiled[1]


def spark_update(
    values: np.ndarray, n: float, avg: float, m2: float, total: float
) -> tuple[float, float, float, float]:
    """Continue Spark's sequential update of ``(n, avg, m2)`` and the running ``sum`` over ``values``."""
    if values.size == 0:
        return n, avg, m2, total
    if n + values.size < COMPILED_FROM and _compiled is None:
        python = _update(values.astype(np.float64, copy=False).tolist(), n, avg, m2, total)
        return python[0], python[1], python[2], python[3]
    contiguous = np.ascontiguousarray(values, dtype=np.float64)
    state = np.array([n, avg, m2, total], dtype=np.float64)
    _kernel()(contiguous.ctypes.data, contiguous.size, state.ctypes.data)
    return float(state[0]), float(state[1]), float(state[2]), float(state[3])
