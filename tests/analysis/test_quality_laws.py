"""Merge laws of the model-quality aggregates.

merge(A, B) — B updated with ``offset = len(A)`` — finalises to what one pass over A ∪ B gives; merge is
associative and commutative; ``zero`` is its identity; ``to_dict`` / ``from_dict`` survive JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.analysis.quality import (
    BinaryQuality,
    MulticlassQuality,
    QualityAggregate,
    RegressionQuality,
    aggregate_from_dict,
    quality_aggregate,
)
from modelwatch.errors import ValidationError
from modelwatch.formats.model_quality import ModelQualityStatistics, ProblemType

Rows = list[tuple[Any, Any, Any]]

binary_rows = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 1), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])),
    max_size=300,
)
multiclass_rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", "3", "10"]), st.sampled_from(["a", "b", "3", "10", "z"]), st.none()),
    max_size=300,
)
# Multiples of 1/4 keep every sum exact, so the regression sums must agree to the last bit.
quarters = st.integers(-400, 400).map(lambda k: k / 4)
regression_rows = st.lists(st.tuples(quarters, quarters, st.none()), max_size=300)

KINDS = {
    ProblemType.BINARY: binary_rows,
    ProblemType.MULTICLASS: multiclass_rows,
    ProblemType.REGRESSION: regression_rows,
}


def aggregate(problem: ProblemType, rows: Rows, offset: int = 0) -> QualityAggregate:
    agg = quality_aggregate(problem)
    if rows:
        labels, predictions, probabilities = (list(column) for column in zip(*rows, strict=True))
        agg.update(
            labels, predictions, probabilities if problem is ProblemType.BINARY else None, offset=offset
        )
    return agg


def copy(agg: QualityAggregate) -> QualityAggregate:
    return aggregate_from_dict(json.loads(json.dumps(agg.to_dict())))


def same_float(a: float, b: float, exact: bool) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b if exact else math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_same(a: QualityAggregate, b: QualityAggregate) -> None:
    """The same finalised statistics (or both empty); exact but for r2 (Chan's mean update)."""
    assert a.rows == b.rows
    if _records(a) == 0:
        assert _records(b) == 0
        return
    sa, sb = a.finalize(), b.finalize()
    assert_same_statistics(sa, sb)


def _records(agg: QualityAggregate) -> int:
    return int(agg.count[0]) if isinstance(agg, RegressionQuality) else int(agg.counts[0].sum())


def assert_same_statistics(sa: ModelQualityStatistics, sb: ModelQualityStatistics) -> None:
    assert sa.item_count == sb.item_count
    assert list(sa.metrics) == list(sb.metrics)
    for name, metric in sa.metrics.items():
        other = sb.metrics[name]
        exact = name != "r2"
        assert same_float(metric.value, other.value, exact), name
        assert same_float(metric.standard_deviation, other.standard_deviation, exact), name
    assert sa.confusion_matrix == sb.confusion_matrix
    assert sa.roc_curve == sb.roc_curve
    assert sa.precision_recall_curve == sb.precision_recall_curve


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(list(KINDS)), st.data())
def test_merge_equals_one_pass_over_the_union(problem: ProblemType, data: st.DataObject) -> None:
    a = data.draw(KINDS[problem])
    b = data.draw(KINDS[problem])
    merged = aggregate(problem, a).merge(aggregate(problem, b, offset=len(a)))
    assert_same(merged, aggregate(problem, a + b))


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(list(KINDS)), st.data())
def test_merge_is_associative_and_commutative(problem: ProblemType, data: st.DataObject) -> None:
    a, b, c = (data.draw(KINDS[problem]) for _ in range(3))
    pa_, pb, pc = aggregate(problem, a), aggregate(problem, b, len(a)), aggregate(problem, c, len(a) + len(b))
    left = copy(pa_).merge(copy(pb)).merge(copy(pc))
    right = copy(pa_).merge(copy(pb).merge(copy(pc)))
    swapped = copy(pc).merge(copy(pa_)).merge(copy(pb))
    assert_same(left, right)
    assert_same(left, swapped)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(list(KINDS)), st.data())
def test_zero_is_identity_and_serialisation_round_trips(problem: ProblemType, data: st.DataObject) -> None:
    rows = data.draw(KINDS[problem])
    agg = aggregate(problem, rows)
    assert_same(quality_aggregate(problem).merge(copy(agg)), agg)
    assert_same(copy(agg).merge(quality_aggregate(problem)), agg)
    assert_same(copy(agg), agg)


def test_streaming_batches_equal_one_update_and_are_deterministic() -> None:
    rng = np.random.default_rng(3)
    n = 5000
    y = rng.integers(0, 2, n)
    scores = np.round(rng.random(n), 3)
    whole = BinaryQuality.zero()
    whole.update(y, None, scores)
    stream = BinaryQuality.zero()
    for lo in range(0, n, 700):
        stream.update(y[lo : lo + 700], None, scores[lo : lo + 700])
    assert_same_statistics(whole.finalize(), stream.finalize())
    again = BinaryQuality.zero()
    again.update(y, None, scores)
    assert_same_statistics(whole.finalize(), again.finalize())


def test_partitions_with_offsets_merge_into_one_pass() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 4, 3000).astype(str)
    pred = rng.integers(0, 4, 3000).astype(str)
    whole = MulticlassQuality.zero()
    whole.update(y, pred)
    parts = []
    for lo in (2000, 0, 1000):  # partitions finish in any order
        part = MulticlassQuality.zero()
        part.update(y[lo : lo + 1000], pred[lo : lo + 1000], offset=lo)
        parts.append(part)
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert_same_statistics(whole.finalize(), merged.finalize())


def test_regression_sums_add_in_record_order_like_spark() -> None:
    values = np.array([1e16, 1.0, -1e16, 1.0])
    agg = RegressionQuality.zero()
    agg.update(np.zeros(4), values)
    # ((1e16 + 1) + 1e16) + 1 in doubles, not a pairwise or exact sum.
    assert agg.abs_error[0] == ((1e16 + 1.0) + 1e16) + 1.0


def test_binary_merge_requires_the_same_threshold() -> None:
    with pytest.raises(ValidationError, match="thresholds"):
        BinaryQuality.zero(0.5).merge(BinaryQuality.zero(0.7))
