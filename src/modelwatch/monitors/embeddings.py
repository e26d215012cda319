"""Embeddings of unstructured records: taken from the records, or computed by an embedder.

An *embedder* turns a list of records (texts, decoded images) into a ``(records, dimension)`` float
array. Three sources:

* vectors already in the capture (a model that returns them, a JSON field): :func:`vectors_from_values`
  keeps those of the expected dimension and counts the others;
* an embedder fitted on the baseline (:class:`modelwatch.monitors.text.TextEmbedder`,
  :class:`modelwatch.monitors.images.ImageEmbedder`), no download at run time;
* the user's own ``module:function`` (:func:`load_embedder`): the function is called with the list of
  records and returns one vector per record.

Bad records are never fatal: each one is counted under its kind (``empty_text``, ``undecodable_image``,
``missing_image``, ``wrong_dimension``, ...) in :class:`BadRecords`, and the window is analysed
without it.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelwatch.errors import ConfigurationError, ValidationError

__all__ = ["BadRecords", "Embedder", "embed", "fit_split", "load_embedder", "vectors_from_values"]

Embedder = Callable[[Sequence[Any]], Any]
"""A function from a list of records to one vector per record."""


@dataclass
class BadRecords:
    """Counts of records left out of an analysis, per kind, and an example message of each kind."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, example: str = "") -> None:
        """Count one bad record of ``kind``; the first ``example`` of each kind is kept."""
        self.counts[kind] += 1
        if example and kind not in self.examples:
            self.examples[kind] = example

    def merge(self, other: BadRecords) -> BadRecords:
        """The counts of both (examples: this one's first)."""
        return BadRecords(self.counts + other.counts, {**other.examples, **self.examples})

    @property
    def total(self) -> int:
        """How many records were left out."""
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """``{"total": n, "by_kind": {kind: n}, "examples": {kind: message}}``, kinds sorted."""
        return {
            "total": self.total,
            "by_kind": {kind: self.counts[kind] for kind in sorted(self.counts)},
            "examples": {kind: self.examples[kind] for kind in sorted(self.examples)},
        }


def fit_split(count: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded disjoint halves of ``range(count)``: the records an embedder is fitted on, and the reference.

    An embedder fitted on the baseline maps the texts it was fitted on differently from unseen ones
    (their terms are all known, the SVD basis is theirs), so a window would look drifted against them.
    The reference embeddings come from the other half: records the embedder never saw, like the window's.
    """
    order = np.random.default_rng(seed).permutation(count)
    half = count // 2
    return np.sort(order[:half]), np.sort(order[half:])


def load_embedder(reference: str) -> Embedder:
    """The function named by ``module:function`` (a dotted attribute path after the colon is allowed)."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise ValidationError(f"expected 'module:function', got {reference!r}", field="embedder")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"embedder {reference!r}: cannot import {module_name!r}: {exc}") from exc
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ConfigurationError(
                f"embedder {reference!r}: {module_name!r} has no attribute {attribute!r}"
            )
        target = getattr(target, part)
    if not callable(target):
        raise ConfigurationError(f"embedder {reference!r} is not callable")
    embedder: Embedder = target
    return embedder


def vectors_from_values(
    values: Iterable[Any], *, dimension: int | None, bad: BadRecords
) -> tuple[np.ndarray, np.ndarray]:
    """The finite numeric vectors among ``values`` and the indices they came from.

    ``dimension`` is the expected length (``None``: the first good vector's). A value that is not a
    list of numbers is counted as ``not_a_vector``, a vector of another length as ``wrong_dimension``,
    one holding NaN or infinity as ``non_finite_vector``.
    """
    rows: list[np.ndarray] = []
    kept: list[int] = []
    for index, value in enumerate(values):
        try:
            vector = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            bad.add("not_a_vector", f"record {index}: not a list of numbers")
            continue
        if vector.ndim != 1 or vector.size == 0:
            bad.add("not_a_vector", f"record {index}: not a list of numbers")
            continue
        if dimension is None:
            dimension = int(vector.size)
        if vector.size != dimension:
            bad.add("wrong_dimension", f"record {index}: dimension {vector.size}, expected {dimension}")
            continue
        if not np.isfinite(vector).all():
            bad.add("non_finite_vector", f"record {index}: holds NaN or infinity")
            continue
        rows.append(vector)
        kept.append(index)
    width = dimension or 0
    matrix = np.vstack(rows) if rows else np.empty((0, width))
    return matrix, np.asarray(kept, dtype=np.int64)


def embed(
    embedder: Embedder, records: Sequence[Any], *, dimension: int | None, bad: BadRecords
) -> np.ndarray:
    """``embedder(records)`` checked: one finite vector of ``dimension`` per record, others counted bad."""
    if not records:
        return np.empty((0, dimension or 0))
    output = embedder(records)
    vectors = list(output)
    if len(vectors) != len(records):
        raise ConfigurationError(f"the embedder returned {len(vectors)} vectors for {len(records)} records")
    matrix, _ = vectors_from_values(vectors, dimension=dimension, bad=bad)
    return matrix
