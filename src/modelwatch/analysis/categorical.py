"""Categorical value counts (bounded) and an HLL distinct count for string columns."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import datasketches
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.analysis.arrow_numpy import bool_mask, empty_strings, strings, to_numpy

__all__ = ["Categorical"]

_HLL_LG_K = 12  # relative standard error about 1.6%
_PENDING_ENTRIES = 500_000  # batch tallies merged at once; bounds memory to a few tens of MB per column


def _new_hll() -> datasketches.hll_sketch:
    return datasketches.hll_sketch(_HLL_LG_K, datasketches.tgt_hll_type.HLL_8)


@dataclass
class Categorical:
    """Counts of the ``capacity`` most frequent values, the total count of all other values, and an HLL
    sketch of the distinct values.

    Counts are exact while a column has at most ``capacity`` distinct values. Beyond that the least
    frequent values are folded into ``other`` whenever the pending counts grow past a bound, so memory
    stays bounded whatever the cardinality; counts of values that were folded away earlier and came
    back are underestimates. Batch tallies are merged lazily, a few at a time, to keep hashing cheap.
    """

    capacity: int = 1000
    values: pa.Array = field(default_factory=empty_strings)
    counts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    other: int = 0
    hll: datasketches.hll_sketch = field(default_factory=_new_hll)
    _pending: list[tuple[pa.Array, np.ndarray]] = field(default_factory=list, repr=False)
    _pending_size: int = field(default=0, repr=False)

    def update(self, strings: pa.Array) -> None:
        """Add the present values of a batch: strings without nulls, or a dictionary array of them."""
        if len(strings) == 0:
            return
        if pa.types.is_dictionary(strings.type):
            indices = strings.indices.drop_null() if strings.indices.null_count else strings.indices
            counts = np.bincount(to_numpy(indices), minlength=len(strings.dictionary))
            used = counts > 0
            self._absorb(strings.dictionary.filter(bool_mask(used)), counts[used].astype(np.int64))
            return
        tally = pc.value_counts(strings)
        self._absorb(tally.field("values"), to_numpy(tally.field("counts")).astype(np.int64))

    def _absorb(self, values: pa.Array, counts: np.ndarray) -> None:
        self._pending.append((values.cast(pa.string()), counts))
        self._pending_size += len(values)
        if self._pending_size > max(64 * self.capacity, _PENDING_ENTRIES):
            self._settle()

    def _settle(self) -> None:
        """Merge the pending tallies into the kept counts, add the distinct values to the HLL sketch,
        and fold the values beyond ``capacity`` into ``other``."""
        if not self._pending:
            return
        values = pa.concat_arrays([self.values] + [v for v, _ in self._pending])
        counts = np.concatenate([self.counts] + [c for _, c in self._pending])
        self._pending, self._pending_size = [], 0
        if len(values) > 1:
            # sum the counts per value, groups in order of first appearance (as a hash group-by);
            # dictionary_encode + bincount, not Table.group_by, whose Acero import pulls in pandas
            encoded = values.dictionary_encode()
            sums = np.bincount(to_numpy(encoded.indices), weights=counts, minlength=len(encoded.dictionary))
            values, counts = encoded.dictionary, sums.astype(np.int64)
        update = self.hll.update
        for value in values.to_pylist():
            update(value)
        if len(values) > self.capacity:
            keep_mask = np.zeros(len(counts), dtype=bool)
            keep_mask[np.argpartition(-counts, self.capacity - 1)[: self.capacity]] = True
            self.other += int(counts[~keep_mask].sum())
            values, counts = values.filter(bool_mask(keep_mask)), counts[keep_mask]
        self.values, self.counts = values.cast(pa.string()), counts.astype(np.int64)

    def merge(self, other: Categorical) -> Categorical:
        other._settle()
        self.hll = self._merged_hll(other)
        self.other += other.other
        if len(other.values):
            self._absorb(other.values, other.counts)
        self._settle()
        return self

    def _merged_hll(self, other: Categorical) -> datasketches.hll_sketch:
        union = datasketches.hll_union(_HLL_LG_K)
        union.update(self.hll)
        union.update(other.hll)
        return union.get_result(datasketches.tgt_hll_type.HLL_8)

    @property
    def distinct_count(self) -> float:
        """Exact while every value is still counted, else the HLL estimate."""
        self._settle()
        if self.other == 0:
            return float(len(self.values))
        return max(float(round(self.hll.get_estimate())), float(len(self.values)))

    def top(self) -> list[tuple[str, int]]:
        """Kept values by descending count, ties by value."""
        self._settle()
        pairs = list(zip(self.values.to_pylist(), self.counts.tolist(), strict=True))
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        return pairs

    def to_dict(self) -> dict[str, object]:
        self._settle()
        return {
            "capacity": self.capacity,
            "values": self.values.to_pylist(),
            "counts": self.counts.tolist(),
            "other": self.other,
            "hll": base64.b64encode(self.hll.serialize_compact()).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Categorical:
        return cls(
            int(data["capacity"]),
            strings(data["values"]),
            np.asarray(data["counts"], dtype=np.int64),
            int(data["other"]),
            datasketches.hll_sketch.deserialize(base64.b64decode(data["hll"])),
        )
