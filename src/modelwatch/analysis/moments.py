"""Numeric moments as Spark computes them: count, sum, mean, population variance, min, max."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Moments"]


@dataclass
class Moments:
    """A mergeable accumulator of numeric moments.

    ``sum`` is plain left-to-right double addition in arrival order (what Spark's ``sum`` does within a
    partition; ``numpy.cumsum`` is sequential, ``numpy.sum`` is pairwise and would differ in the last
    digits). ``m2`` is the sum of squared deviations from the mean, combined across batches with Chan's
    formula — the same recurrence Spark's ``stddev_pop`` uses to merge partitions.
    """

    count: int = 0
    sum: float = 0.0
    mean: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def update(self, values: np.ndarray) -> None:
        n = len(values)
        if n == 0:
            return
        running = values.astype(np.float64, copy=True)
        running[0] += self.sum  # so the running sum continues ((sum + x0) + x1) + ... exactly
        np.cumsum(running, out=running)
        batch_mean = float(values.mean())
        deviations = values - batch_mean
        self._combine(n, batch_mean, float(np.einsum("i,i->", deviations, deviations)))
        self.sum = float(running[-1])
        self.min = min(self.min, float(values.min()))
        self.max = max(self.max, float(values.max()))

    def _combine(self, n: int, mean: float, m2: float) -> None:
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total

    def merge(self, other: Moments) -> Moments:
        if other.count:
            self._combine(other.count, other.mean, other.m2)
            self.sum += other.sum
            self.min = min(self.min, other.min)
            self.max = max(self.max, other.max)
        return self

    @property
    def std_dev(self) -> float:
        return math.sqrt(self.m2 / self.count) if self.count else math.nan

    @property
    def average(self) -> float:
        """Spark's ``avg``: sum / count."""
        return self.sum / self.count if self.count else math.nan

    def to_dict(self) -> dict[str, float]:
        return {
            "count": self.count,
            "sum": self.sum,
            "mean": self.mean,
            "m2": self.m2,
            "min": self.min,
            "max": self.max,
        }

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> Moments:
        return cls(
            int(data["count"]),
            float(data["sum"]),
            float(data["mean"]),
            float(data["m2"]),
            float(data["min"]),
            float(data["max"]),
        )
