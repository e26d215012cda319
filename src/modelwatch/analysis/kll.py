"""Deequ-compatible KLL quantile sketch (``QuantileNonSample``, k=2048, c=0.64).

SageMaker's ``statistics.json`` embeds Deequ's sketch verbatim (``distribution.kll.sketch.data``), so this
sketch reproduces Deequ's algorithm item for item, not just its error bound:

* level ``h`` holds items of weight ``2**h`` and has capacity ``2 * (ceil(k * c**h / 2) + 1)``;
* items are appended to level 0 in arrival order; whenever the total number of items exceeds the total
  capacity, the lowest level at or over its capacity is compacted once: the first even number of its
  items is sorted and every second item, starting at the level's ``offset``, moves up a level; an odd
  leftover (the last item) stays; the offset flips before the level's 2nd, 4th, ... compaction.

``update`` emulates that one-item-at-a-time process exactly, but appends whole slices between
compactions, so the cost is one ``numpy.sort`` of about ``k`` items per ``k/2`` values.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np

__all__ = ["KLLSketch"]

_UPDATE_CHUNK = 1 << 20
_HEADER = struct.Struct("<dqq")  # shrinking factor, sketch size, number of levels
_LEVEL = struct.Struct("<qqq")  # number of compactions, offset, number of items


@lru_cache(maxsize=4096)
def _capacity(height: int, k: int, c: float) -> int:
    return 2 * (math.ceil(k * c**height / 2) + 1)


def _sort_kind(height: int) -> Literal["quicksort", "stable"]:
    """Level 0 holds values in arrival order: quicksort. A higher level holds runs that compactions
    promoted already sorted: the stable sort (timsort) merges them in about linear time (8 µs against
    65 µs for three runs of 1025). Equal values are equal bits (no NaN), so both give the same array."""
    return "stable" if height else "quicksort"


@dataclass
class KLLSketch:
    """A mutable, mergeable KLL sketch. ``merge`` follows Deequ: level-wise concatenation, then
    compaction while the sketch is at or over its total capacity."""

    k: int = 2048
    c: float = 0.64
    levels: list[np.ndarray] = field(default_factory=list)
    compactions: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.levels:
            self._expand()

    # -- the Deequ process -------------------------------------------------------------------------
    def _expand(self) -> None:
        self.levels.append(np.empty(0, dtype=np.float64))
        self.compactions.append(0)
        self.offsets.append(0)

    def _total_capacity(self) -> int:
        return sum(_capacity(h, self.k, self.c) for h in range(len(self.levels)))

    def _size(self) -> int:
        return sum(len(level) for level in self.levels)

    def _compact(self, height: int) -> int:
        """Compact one level into the next; return how many items the sketch lost."""
        buffer = self.levels[height]
        even = len(buffer) - len(buffer) % 2
        if self.compactions[height] % 2 == 1:
            self.offsets[height] = 1 - self.offsets[height]
        promoted = np.sort(buffer[:even], kind=_sort_kind(height))[self.offsets[height] :: 2]
        self.levels[height] = buffer[even:].copy()
        self.compactions[height] += 1
        self.levels[height + 1] = np.concatenate((self.levels[height + 1], promoted))
        return even - len(promoted)

    def _condense(self) -> int:
        """Compact the lowest full level (Deequ's ``condense``); return how many items were lost."""
        for height in range(len(self.levels)):
            if len(self.levels[height]) >= _capacity(height, self.k, self.c):
                if height + 1 >= len(self.levels):
                    self._expand()
                return self._compact(height)
        return 0

    def update(self, values: np.ndarray) -> None:
        """Add ``values`` (float64, no nulls) in their order, exactly as Deequ's per-item update.

        First the compactions that the items trigger are worked out from level sizes alone. A
        compaction always sorts a prefix of its level, and a level only ever loses prefixes and gains
        items at its end, so the items each compaction sorts are a contiguous run of the level's old
        items followed by everything it receives in this update. Each level's runs then become the rows
        of one matrix that a single ``numpy.sort`` call sorts.
        """
        values = np.asarray(values, dtype=np.float64)
        for start in range(0, len(values), _UPDATE_CHUNK):  # bounds the matrix of runs
            self._update(values[start : start + _UPDATE_CHUNK])

    def _update(self, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        events = self._plan(len(values))
        if events:
            while len(self.levels) <= max(height for height, _ in events) + 1:
                self._expand()
        arrivals = values
        for height in range(len(self.levels)):
            evens = [even for h, even in events if h == height]
            if evens:
                arrivals = self._compact_runs(height, arrivals, evens)
            else:
                self.levels[height] = np.concatenate((self.levels[height], arrivals))
                arrivals = np.empty(0)

    def _plan(self, n: int) -> list[tuple[int, int]]:
        """The compactions that adding ``n`` items triggers, worked out from level sizes alone, in
        order: each one's level and how many items it sorts (an even number)."""
        sizes = [len(level) for level in self.levels]
        capacities = [_capacity(h, self.k, self.c) for h in range(len(sizes))]
        size, capacity = sum(sizes), sum(capacities)
        events: list[tuple[int, int]] = []
        position = 0
        while position < n:
            take = min(n - position, capacity - size + 1)
            position += take
            size += take
            sizes[0] += take
            if size <= capacity:
                continue
            height = next(h for h in range(len(sizes)) if sizes[h] >= capacities[h])
            if height + 1 == len(sizes):
                sizes.append(0)
                capacities.append(_capacity(height + 1, self.k, self.c))
                capacity += capacities[-1]
            even = sizes[height] - sizes[height] % 2
            sizes[height] -= even
            sizes[height + 1] += even // 2
            size -= even - even // 2
            events.append((height, even))
        return events

    def _compact_runs(self, height: int, arrivals: np.ndarray, evens: list[int]) -> np.ndarray:
        """Do one level's compactions of an update, the ``j``-th sorting ``evens[j]`` items; the level
        receives ``arrivals`` meanwhile. Returns the promoted items, in order.

        The runs are consecutive slices of the level's items followed by the arrivals; each is sorted
        in place (no padding to a common width) and every second item from its offset is promoted.
        """
        items = np.concatenate((self.levels[height], arrivals))
        promoted = np.empty(sum(evens) // 2, dtype=np.float64)
        start = done = 0
        offset, compactions = self.offsets[height], self.compactions[height]
        for even in evens:
            if compactions % 2 == 1:
                offset = 1 - offset
            compactions += 1
            run = items[start : start + even]
            run.sort(kind=_sort_kind(height))
            promoted[done : done + even // 2] = run[offset::2]
            start += even
            done += even // 2
        self.offsets[height], self.compactions[height] = offset, compactions
        self.levels[height] = items[start:].copy()
        return promoted

    def merge(self, other: KLLSketch) -> KLLSketch:
        """Merge ``other`` into this sketch (Deequ's ``QuantileNonSample.merge``) and return it."""
        while len(self.levels) < len(other.levels):
            self._expand()
        for height, items in enumerate(other.levels):
            self.levels[height] = np.concatenate((self.levels[height], items))
        while self._size() >= self._total_capacity():
            self._condense()
        return self

    def copy(self) -> KLLSketch:
        return KLLSketch(
            self.k, self.c, [lv.copy() for lv in self.levels], list(self.compactions), list(self.offsets)
        )

    # -- queries --------------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        """Total weight: the number of values the sketch has seen."""
        return sum(len(level) << h for h, level in enumerate(self.levels))

    def weighted_items(self) -> tuple[np.ndarray, np.ndarray]:
        """All items sorted, with their weights (``2**level``)."""
        values = np.concatenate(self.levels)
        weights = np.concatenate(
            [np.full(len(lv), 1 << h, dtype=np.int64) for h, lv in enumerate(self.levels)]
        )
        order = np.argsort(values, kind="stable")
        return values[order], weights[order]

    def ranks(self, points: np.ndarray, *, inclusive: bool) -> np.ndarray:
        """Weighted rank of each point: total weight of items ``<=`` (inclusive) or ``<`` the point."""
        values, weights = self.weighted_items()
        cumulative = np.concatenate(([0], np.cumsum(weights)))
        side: Literal["left", "right"] = "right" if inclusive else "left"
        return cumulative[np.searchsorted(values, np.asarray(points, dtype=np.float64), side=side)]

    def buckets(self, minimum: float, maximum: float, n: int = 10) -> list[tuple[float, float, float]]:
        """Deequ's equal-width buckets from ``minimum`` to ``maximum`` with sketch-estimated counts."""
        bounds = [
            (minimum + (maximum - minimum) * i / float(n), minimum + (maximum - minimum) * (i + 1) / float(n))
            for i in range(n)
        ]
        lows = np.array([lo for lo, _ in bounds])
        highs = np.array([hi for _, hi in bounds])
        low_ranks = self.ranks(lows, inclusive=False)
        high_ranks = self.ranks(highs, inclusive=False)
        high_ranks[-1] = self.ranks(highs[-1:], inclusive=True)[0]
        return [
            (lo, hi, float(h - lo_r)) for (lo, hi), lo_r, h in zip(bounds, low_ranks, high_ranks, strict=True)
        ]

    def data(self) -> tuple[tuple[float, ...], ...]:
        """The items of each level, as written in ``sketch.data``."""
        return tuple(tuple(level.tolist()) for level in self.levels)

    # -- serialisation ------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        parts = [_HEADER.pack(self.c, self.k, len(self.levels))]
        for level, compactions, offset in zip(self.levels, self.compactions, self.offsets, strict=True):
            parts.append(_LEVEL.pack(compactions, offset, len(level)))
            parts.append(level.astype("<f8").tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, blob: bytes) -> KLLSketch:
        c, k, n_levels = _HEADER.unpack_from(blob, 0)
        position = _HEADER.size
        levels, compactions, offsets = [], [], []
        for _ in range(n_levels):
            done, offset, length = _LEVEL.unpack_from(blob, position)
            position += _LEVEL.size
            levels.append(np.frombuffer(blob, dtype="<f8", count=length, offset=position).astype(np.float64))
            position += 8 * length
            compactions.append(done)
            offsets.append(offset)
        return cls(k, c, levels, compactions, offsets)
