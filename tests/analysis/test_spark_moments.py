"""Moments bit for bit as Spark: a plain-Python port of Spark's update and merge is the oracle.

The port follows Spark's ``CentralMomentAgg`` (``updateExpressions``, ``mergeExpressions``), its
``Sum`` (left-to-right addition within a partition, partition sums added) and the final aggregation,
whose buffer starts empty and merges every partition's buffer in turn. Random data, random partitions
(parts) and random batches inside each part; every field must be equal, not close.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.analysis.moments import Moments
from modelwatch.analysis.profile import DatasetProfile, merge_partials
from modelwatch.analysis.spark_update import COMPILED_FROM


def spark_partition(values: list[float]) -> tuple[float, float, float, float]:
    """One partition: ``(n, avg, m2, sum)`` after Spark's per-row update from the initial buffer."""
    n, avg, m2, total = 0.0, 0.0, 0.0, 0.0
    for x in values:
        new_n = n + 1.0
        delta = x - avg
        delta_n = delta / new_n
        avg = avg + delta_n
        m2 = m2 + delta * (delta - delta_n)
        n = new_n
        total = total + x
    return n, avg, m2, total


def spark_final(partitions: list[list[float]]) -> tuple[float, float, float, float]:
    """The final aggregation: an empty buffer merges each non-empty partition's buffer in order."""
    n, avg, m2, total = 0.0, 0.0, 0.0, 0.0
    for values in partitions:
        n2, avg2, m2_2, total2 = spark_partition(values)
        if n2 == 0.0:
            continue
        new_n = n + n2
        delta = avg2 - avg
        delta_n = 0.0 if new_n == 0.0 else delta / new_n
        avg = avg + delta_n * n2
        m2 = m2 + m2_2 + delta * delta_n * n * n2
        n = new_n
        total = total + total2
    return n, avg, m2, total


def moments_of(parts: list[list[list[float]]]) -> Moments:
    """modelwatch: each part updated batch by batch, parts merged into an empty accumulator."""
    merged = Moments()
    for batches in parts:
        part = Moments()
        for batch in batches:
            part.update(np.array(batch, dtype=np.float64))
        merged.merge(part)
    return merged


values = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e-3, 1e-3, allow_nan=False),
    st.floats(1e9, 1e9 + 1, allow_nan=False),
    st.integers(-(2**40), 2**40).map(float),
)
batches = st.lists(st.lists(values, min_size=0, max_size=60), min_size=1, max_size=4)
parts_strategy = st.lists(batches, min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(parts_strategy)
def test_moments_equal_spark_bit_for_bit(parts: list[list[list[float]]]) -> None:
    partitions = [[x for batch in part for x in batch] for part in parts]
    n, avg, m2, total = spark_final(partitions)
    m = moments_of(parts)
    assert m.count == int(n)
    if m.count == 0:
        return
    assert (m.mean, m.m2, m.sum) == (avg, m2, total)
    assert m.std_dev == math.sqrt(m2 / n)
    assert m.average == total / n


@settings(max_examples=100, deadline=None)
@given(st.lists(values, min_size=1, max_size=300))
def test_one_partition_is_the_sequential_update(data: list[float]) -> None:
    n, avg, m2, total = spark_partition(data)
    m = Moments()
    m.update(np.array(data, dtype=np.float64))
    assert (m.count, m.mean, m.m2, m.sum) == (int(n), avg, m2, total)


def test_partial_profiles_merge_as_spark_partitions() -> None:
    """Three parts profiled in batches, merged as the engine merges them: Spark's three partitions."""
    rng = np.random.default_rng(4)
    parts = [rng.normal(3.0, 7.0, 5000), rng.lognormal(0.0, 2.0, 7000), rng.uniform(-1e5, 1e5, 300)]
    partials = []
    for values in parts:
        profile = DatasetProfile.zero(["x"])
        for start in range(0, values.size, 1024):
            profile.update(pa.table({"x": values[start : start + 1024]}))
        partials.append(profile)
    merged = merge_partials(partials).columns[0].moments
    n, avg, m2, total = spark_final([values.tolist() for values in parts])
    assert (merged.count, merged.mean, merged.m2, merged.sum) == (int(n), avg, m2, total)
    assert merged.std_dev == math.sqrt(m2 / n)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(COMPILED_FROM, 3 * COMPILED_FROM), min_size=1, max_size=3),
    st.sampled_from([1.0, 1e-6, 1e12]),
)
def test_compiled_loop_equals_spark_bit_for_bit(seed: int, sizes: list[int], scale: float) -> None:
    """Batches large enough for the compiled (LLVM) loop; the same oracle, the same bits."""
    rng = np.random.default_rng(seed)
    parts = [rng.standard_cauchy(size) * scale + scale for size in sizes]
    n, avg, m2, total = spark_final([part.tolist() for part in parts])
    merged = Moments()
    for part in parts:
        m = Moments()
        m.update(part)
        merged.merge(m)
    assert (merged.count, merged.mean, merged.m2, merged.sum) == (int(n), avg, m2, total)
    single = Moments()
    single.update(np.concatenate(parts))
    assert (single.mean, single.m2, single.sum) == spark_partition(np.concatenate(parts).tolist())[1:]
