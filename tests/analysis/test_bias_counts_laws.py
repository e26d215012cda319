"""Merge laws of the bias group counts (DESIGN principle 1), checked with Hypothesis.

merge(A, B) gives the report of A ∪ B; merge is associative; zero is the identity; to_dict/from_dict
round-trips. Metric values must agree exactly (they are functions of the same counts); the order of
one-vs-rest facet entries follows first appearance, so A ∪ B and B ∪ A may list them differently.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.analysis.bias import BiasAnalysisError, stage_report
from modelwatch.analysis.bias_counts import BiasColumns, BiasCounts

row = st.tuples(
    st.sampled_from(["F", "M"]),  # facet with a value
    st.sampled_from(["a", "b", "c", None]),  # facet in one-vs-rest mode
    st.sampled_from(["0", "1", "2"]),  # label
    st.sampled_from(["0", "1"]),  # prediction
    st.sampled_from(["g1", "g2", "g3"]),  # group
    st.integers(0, 90).map(str),  # age: integer facet (continuous or categorical by the 5% rule)
    st.floats(-3, 3, allow_nan=False).map(lambda x: f"{x:.3f}"),  # feature
)
rows = st.lists(row, min_size=0, max_size=40)

SPEC = BiasColumns(
    label="y",
    label_values=("1",),
    facets=(("sex", ("F",)), ("race", None), ("age", (40,))),
    predicted_label="yhat",
    group="grp",
    ft_features=("x", "age"),
)


def batch(data: list[tuple[Any, ...]]) -> pa.RecordBatch:
    columns = list(zip(*data, strict=True)) if data else [[] for _ in range(7)]
    names = ["sex", "race", "y", "yhat", "grp", "age", "x"]
    return pa.record_batch([pa.array(list(c), pa.string()) for c in columns], names=names)


def counts(data: list[tuple[Any, ...]]) -> BiasCounts:
    agg = BiasCounts.zero(SPEC)
    for start in range(0, len(data), 7):  # several batches
        agg.update(batch(data[start : start + 7]))
    return agg


def report(agg: BiasCounts) -> dict[str, Any]:
    tally = agg.finalize()
    out: dict[str, Any] = {}
    for stage in ("pre_training", "post_training"):
        try:
            result = stage_report(tally, stage)  # type: ignore[arg-type]
        except BiasAnalysisError as exc:
            out[stage] = ("error", exc.reason)
            continue
        out[stage] = {
            (index, entry.value_or_threshold, metric.name): (metric.value, metric.error)
            for index, entries in enumerate(result.facets.values())
            for entry in entries
            for metric in entry.metrics
        }
    return out


def same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for stage in a:
        x, y = a[stage], b[stage]
        if isinstance(x, tuple) or isinstance(y, tuple):
            assert x == y
            continue
        # a facet entry appears under the same key in both (order-free comparison)
        assert x.keys() == y.keys()
        for key in x:
            (vx, ex), (vy, ey) = x[key], y[key]
            assert ex == ey, key
            if isinstance(vx, float) and isinstance(vy, float) and not (math.isnan(vx) and math.isnan(vy)):
                assert math.isclose(vx, vy, rel_tol=1e-12, abs_tol=0) or vx == vy, key
            else:
                assert vx == vy, key


@settings(max_examples=30, deadline=None)
@given(rows, rows)
def test_merge_equals_counts_of_the_union(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> None:
    if not a and not b:
        return
    same(report(counts(a).merge(counts(b))), report(counts(a + b)))


@settings(max_examples=20, deadline=None)
@given(rows, rows)
def test_merge_is_commutative_for_metric_values(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> None:
    if not a and not b:
        return
    same(report(counts(a).merge(counts(b))), report(counts(b).merge(counts(a))))


@settings(max_examples=20, deadline=None)
@given(rows, rows, rows)
def test_merge_is_associative(
    a: list[tuple[Any, ...]], b: list[tuple[Any, ...]], c: list[tuple[Any, ...]]
) -> None:
    if not (a or b or c):
        return
    left = counts(a).merge(counts(b)).merge(counts(c))
    right = counts(a).merge(counts(b).merge(counts(c)))
    assert report(left) == report(right)
    assert left.finalize().rows == right.finalize().rows == len(a) + len(b) + len(c)


@settings(max_examples=20, deadline=None)
@given(rows)
def test_zero_is_the_identity_and_serialisation_round_trips(a: list[tuple[Any, ...]]) -> None:
    if not a:
        return
    agg = counts(a)
    expected = report(counts(a))
    same(report(BiasCounts.zero(SPEC).merge(agg)), expected)
    same(report(agg.merge(BiasCounts.zero(SPEC))), expected)
    same(report(BiasCounts.from_dict(agg.to_dict())), expected)


def test_merge_keeps_first_appearance_order_of_one_vs_rest_values() -> None:
    a = [("M", "b", "1", "1", "g1", "30", "0.1"), ("F", "a", "0", "1", "g2", "50", "0.2")]
    b = [("F", "c", "1", "0", "g1", "70", "0.3"), ("M", "b", "0", "0", "g3", "20", "0.4")]

    def order(agg: BiasCounts) -> list[str]:
        return [e.value_or_threshold for e in stage_report(agg.finalize(), "pre_training").facets["race"]]

    assert order(counts(a).merge(counts(b))) == order(counts(a + b)) == ["b", "a", "c"]
    assert order(counts(b).merge(counts(a))) == ["c", "b", "a"]
