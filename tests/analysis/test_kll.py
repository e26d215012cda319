"""The KLL sketch reproduces Deequ's QuantileNonSample item for item."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelwatch.analysis.kll import KLLSketch


class DeequOracle:
    """A line-by-line port of Deequ's per-item QuantileNonSample / NonSampleCompactor (the oracle)."""

    def __init__(self, k: int = 2048, c: float = 0.64) -> None:
        self.k, self.c = k, c
        self.buffers: list[list[float]] = []
        self.compress: list[int] = []
        self.offset: list[int] = []
        self.actual = 0
        self.total = 0
        self.expand()

    def capacity(self, h: int) -> int:
        return 2 * (math.ceil(self.k * self.c**h / 2) + 1)

    def expand(self) -> None:
        self.buffers.append([])
        self.compress.append(0)
        self.offset.append(0)
        self.total = sum(self.capacity(h) for h in range(len(self.buffers)))

    def compact(self, h: int) -> list[float]:
        items = len(self.buffers[h])
        length = items - items % 2
        if self.compress[h] % 2 == 1:
            self.offset[h] = 1 - self.offset[h]
        s = sorted(self.buffers[h][:length])
        out = [s[i] for i in range(self.offset[h], length, 2)]
        self.buffers[h] = [self.buffers[h][items - 1]] if items % 2 else []
        self.compress[h] += 1
        return out

    def condense(self) -> None:
        for h in range(len(self.buffers)):
            if len(self.buffers[h]) >= self.capacity(h):
                if h + 1 >= len(self.buffers):
                    self.expand()
                self.buffers[h + 1].extend(self.compact(h))
                self.actual = sum(len(b) for b in self.buffers)
                return

    def update(self, x: float) -> None:
        self.buffers[0].append(x)
        self.actual += 1
        if self.actual > self.total:
            self.condense()


@pytest.mark.parametrize("n", [0, 1, 100, 2049, 2050, 2051, 2333, 10_000, 60_001])
def test_sketch_equals_deequ_item_for_item(n: int) -> None:
    values = np.random.default_rng(n).normal(size=n).round(3)
    oracle = DeequOracle()
    for v in values:
        oracle.update(float(v))
    sketch = KLLSketch()
    for chunk in np.array_split(values, 7):
        sketch.update(chunk)
    assert [list(level) for level in sketch.data()] == oracle.buffers
    assert sketch.count == n


def test_large_input_in_uneven_chunks_with_ties_equals_deequ() -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 50, size=150_001).astype(float)  # many ties
    oracle = DeequOracle()
    for v in values.tolist():
        oracle.update(v)
    sketch = KLLSketch()
    cuts = np.sort(rng.integers(0, len(values), size=12))
    for chunk in np.split(values, cuts):
        sketch.update(chunk)
    assert [list(level) for level in sketch.data()] == oracle.buffers
    assert sketch.compactions == oracle.compress and sketch.offsets == oracle.offset


def test_level_sizes_of_the_real_2333_row_output() -> None:
    sketch = KLLSketch()
    sketch.update(np.arange(2333, dtype=float))
    assert [len(level) for level in sketch.data()] == [283, 1025]


def test_small_input_is_kept_in_row_order() -> None:
    sketch = KLLSketch()
    sketch.update(np.array([22.0, 35.0, 41.0, 29.0, 35.0]))
    assert sketch.data() == ((22.0, 35.0, 41.0, 29.0, 35.0),)
    buckets = sketch.buckets(22.0, 41.0)
    assert [b[2] for b in buckets] == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 1.0]
    assert buckets[2][:2] == pytest.approx((25.8, 27.7))


def test_ranks_are_within_the_error_bound_on_large_input() -> None:
    values = np.random.default_rng(1).uniform(size=300_000)
    sketch = KLLSketch()
    sketch.update(values)
    points = np.linspace(0, 1, 21)
    exact = np.searchsorted(np.sort(values), points, side="right")
    estimated = sketch.ranks(points, inclusive=True)
    assert np.max(np.abs(estimated - exact)) / len(values) < 0.01


def test_merge_follows_deequ_and_serialises() -> None:
    rng = np.random.default_rng(2)
    a, b = KLLSketch(), KLLSketch()
    a.update(rng.normal(size=5000))
    b.update(rng.normal(size=7000))
    restored = KLLSketch.from_bytes(a.to_bytes())
    assert restored.data() == a.data() and restored.offsets == a.offsets
    merged = a.merge(b)
    assert merged.count == 12_000
    assert sum(len(level) for level in merged.levels) < sum(
        2 * (math.ceil(2048 * 0.64**h / 2) + 1) for h in range(len(merged.levels))
    )
