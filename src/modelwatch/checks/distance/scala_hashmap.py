"""Scala 2.12's ``mutable.HashMap`` with String keys: the iteration order Deequ's sums follow.

Deequ's chi-squared test iterates ``mutable.Map[String, _]`` objects: the Pearson statistic is summed
in the map's iteration order and ``minBy`` keeps the first smallest category. Floating-point sums
depend on that order in the last digit, so this model reproduces it: Java's ``String.hashCode``,
Scala's ``improve`` (``byteswap32`` then a rotation by the table's seed), chained buckets with new
entries in front, a table of 16 doubled when it holds more than 12 (load factor 0.75; the
rotation seed stays that of the first table), iteration from the last bucket down to the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

__all__ = ["ScalaHashMap"]

_MASK = 0xFFFFFFFF
_GOLDEN = 0x9E3775CD
_INITIAL_SIZE = 16
_LOAD_FACTOR_PERMILLE = 750


def _java_string_hash(key: str) -> int:
    """``String.hashCode`` over UTF-16 code units, as an unsigned 32-bit integer."""
    code_units = key.encode("utf-16-le")
    value = 0
    for i in range(0, len(code_units), 2):
        value = (31 * value + int.from_bytes(code_units[i : i + 2], "little")) & _MASK
    return value


def _byteswap32(value: int) -> int:
    mixed = (value * _GOLDEN) & _MASK
    mixed = int.from_bytes(mixed.to_bytes(4, "big"), "little")
    return (mixed * _GOLDEN) & _MASK


_SEED = 4
"""``seedvalue``: ``bitCount(15)`` for the initial table, kept when the table grows."""


def _index(hash_code: int, size: int) -> int:
    ones = size - 1
    improved = _byteswap32(hash_code)
    rotated = ((improved >> _SEED) | (improved << (32 - _SEED))) & _MASK
    return (rotated >> (32 - ones.bit_length())) & ones


class ScalaHashMap:
    """String-keyed float map that iterates as Scala 2.12's ``mutable.HashMap`` does."""

    def __init__(self, items: Iterable[tuple[str, float]] = ()) -> None:
        self._values: dict[str, float] = {}
        self._table: list[list[str]] = [[] for _ in range(_INITIAL_SIZE)]
        for key, value in items:
            self[key] = value

    def __setitem__(self, key: str, value: float) -> None:
        if key not in self._values:
            self._table[_index(_java_string_hash(key), len(self._table))].insert(0, key)
            self._values[key] = value
            if len(self._values) > len(self._table) * _LOAD_FACTOR_PERMILLE // 1000:
                self._resize()
        self._values[key] = value

    def _resize(self) -> None:
        old = self._table
        self._table = [[] for _ in range(2 * len(old))]
        for chain in reversed(old):
            for key in chain:
                self._table[_index(_java_string_hash(key), len(self._table))].insert(0, key)

    def __getitem__(self, key: str) -> float:
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[str]:
        for chain in reversed(self._table):
            yield from chain

    def get(self, key: str, default: float) -> float:
        return self._values.get(key, default)

    def pop(self, key: str) -> float:
        """Remove ``key`` (which must be present) and return its value."""
        value = self._values.pop(key)
        self._table[_index(_java_string_hash(key), len(self._table))].remove(key)
        return value

    def discard(self, key: str) -> None:
        if key in self._values:
            self.pop(key)

    def items(self) -> Iterator[tuple[str, float]]:
        for key in self:
            yield key, self._values[key]

    def min_key(self) -> str:
        """Scala's ``minBy(_._2)``: the first key in iteration order among the smallest values."""
        best: str | None = None
        for key in self:
            if best is None or self._values[key] < self._values[best]:
                best = key
        if best is None:
            raise KeyError("min_key of an empty map")
        return best

    def mapped(self, function: Callable[[float], float]) -> ScalaHashMap:
        """Scala's ``map`` over the values: a new map filled in this map's iteration order."""
        return ScalaHashMap((key, function(value)) for key, value in self.items())
