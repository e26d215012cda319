"""Numeric moments as Spark computes them: count, sum, mean, population variance, min, max."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from modelwatch.analysis.spark_update import spark_update

__all__ = ["Moments"]


@dataclass
class Moments:
    """A mergeable accumulator of numeric moments, bit for bit as Spark (and so SageMaker) computes them.

    Within a part, every value goes through Spark's sequential update of ``(n, avg, m2)`` and the
    running ``sum`` (:func:`~modelwatch.analysis.spark_update.spark_update`), batch after batch, as
    rows go through a Spark partition. Parts are merged with Spark's ``mergeExpressions``
    (``delta = avg2 − avg1; deltaN = delta / n; avg = avg1 + deltaN·n2; m2 = m2₁ + m2₂ +
    delta·deltaN·n1·n2``, sums added), so a dataset cut into the same parts as Spark's partitions
    gives the same digits. Spark's final aggregation starts from an empty buffer and merges every
    partial into it, the first one too: ``Moments().merge(first)`` keeps ``count``, ``m2`` and ``sum``
    but rounds ``mean`` through ``(avg / n)·n``, as Spark does. ``std_dev = sqrt(m2 / n)``
    (``stddev_pop``); ``average = sum / count`` (Deequ's ``Mean``).
    """

    count: int = 0
    sum: float = 0.0
    mean: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def update(self, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        n, self.mean, self.m2, self.sum = spark_update(
            values, float(self.count), self.mean, self.m2, self.sum
        )
        self.count = int(n)
        self.min = min(self.min, float(values.min()))
        self.max = max(self.max, float(values.max()))

    def merge(self, other: Moments) -> Moments:
        if other.count:
            n1, n2 = float(self.count), float(other.count)
            new_n = n1 + n2
            delta = other.mean - self.mean
            delta_n = delta / new_n
            self.mean = self.mean + delta_n * n2
            self.m2 = self.m2 + other.m2 + delta * delta_n * n1 * n2
            self.count += other.count
            self.sum += other.sum
            self.min = min(self.min, other.min)
            self.max = max(self.max, other.max)
        return self

    @property
    def std_dev(self) -> float:
        return math.sqrt(self.m2 / float(self.count)) if self.count else math.nan

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
