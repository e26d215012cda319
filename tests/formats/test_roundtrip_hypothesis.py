"""Property: any model written with ``*_to_json`` reads back equal with ``*_from_json``.

Floats come back exactly (shortest round-trip digits); NaN compares unequal to itself, so objects are
compared through ``repr``, which prints every float exactly and tells ``-0.0`` from ``0.0``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.formats import (
    CategoricalBucket,
    CheckType,
    Constraints,
    DistributionConstraints,
    FeatureConstraints,
    FeatureStatistics,
    InferredType,
    KLLBucket,
    KLLSketchData,
    MonitoringConfig,
    NumericalStatistics,
    Statistics,
    StringStatistics,
    Violation,
    Violations,
    constraints_from_json,
    constraints_to_json,
    statistics_from_json,
    statistics_to_json,
    violations_from_json,
    violations_to_json,
)

doubles = st.floats()  # NaN and the infinities included: they are written as "NaN", "Infinity"
longs = st.integers(min_value=0, max_value=2**63 - 1)
names = st.text(max_size=12)

numerical = st.builds(
    NumericalStatistics,
    num_present=longs,
    num_missing=longs,
    mean=doubles,
    sum=doubles,
    std_dev=doubles,
    min=doubles,
    max=doubles,
    buckets=st.lists(st.builds(KLLBucket, doubles, doubles, doubles), max_size=10).map(tuple),
    sketch=st.builds(
        KLLSketchData,
        c=doubles,
        k=doubles,
        data=st.lists(st.lists(doubles, max_size=30).map(tuple), max_size=4).map(tuple),
    ),
)
string = st.builds(
    StringStatistics,
    num_present=longs,
    num_missing=longs,
    distinct_count=doubles,
    buckets=st.lists(st.builds(CategoricalBucket, names, longs), max_size=5).map(tuple),
)


@st.composite
def feature_statistics(draw: st.DrawFn) -> FeatureStatistics:
    inferred_type = draw(st.sampled_from(InferredType))
    name = draw(names)
    if inferred_type in (InferredType.INTEGRAL, InferredType.FRACTIONAL):
        return FeatureStatistics(name, inferred_type, numerical=draw(numerical))
    if inferred_type is InferredType.STRING:
        return FeatureStatistics(name, inferred_type, string=draw(string))
    return FeatureStatistics(name, inferred_type)  # Unknown: all values null, no statistics


statistics = st.builds(
    Statistics,
    item_count=longs,
    features=st.lists(feature_statistics(), max_size=4).map(tuple),
    version=doubles,
)

# Values of unknown keys and overrides are kept as parsed JSON: a non-finite float would come back as
# the string "NaN" / "Infinity", so only finite floats read back as the same Python value.
json_float = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | json_float | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
finite = st.floats(allow_nan=False)  # NaN != NaN would defeat ``==`` below


def extra(known: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.text(max_size=8).filter(lambda k: k not in known), json_values, max_size=2)


@st.composite
def feature_constraints(draw: st.DrawFn) -> FeatureConstraints:
    extras = draw(
        extra(
            (
                "name",
                "inferred_type",
                "completeness",
                "num_constraints",
                "string_constraints",
                "monitoringConfigOverrides",
                "monitoring_config_overrides",
            )
        )
    )
    if draw(st.booleans()):
        extras["num_constraints"] = {"x_max": draw(json_float)}
    if draw(st.booleans()):
        extras["string_constraints"] = {"x_len": draw(st.integers())}
    return FeatureConstraints(
        name=draw(names),
        inferred_type=draw(st.sampled_from(InferredType)),
        completeness=draw(st.none() | finite),
        is_non_negative=draw(st.none() | st.booleans()),
        domains=draw(st.none() | st.lists(names, max_size=4).map(tuple)),
        monitoring_config_overrides=draw(
            st.none() | st.dictionaries(st.text(max_size=8), json_values, max_size=3)
        ),
        extra=extras,
    )


distribution = st.builds(
    DistributionConstraints,
    perform_comparison=st.sampled_from(["Enabled", "Disabled"]),
    comparison_threshold=finite,
    comparison_method=st.sampled_from(["Robust", "Simple"]),
    categorical_comparison_threshold=st.none() | finite,
    categorical_drift_method=st.none() | st.sampled_from(["LInfinity", "ChiSquared"]),
    extra=extra(
        (
            "perform_comparison",
            "comparison_threshold",
            "comparison_method",
            "categorical_comparison_threshold",
            "categorical_drift_method",
        )
    ),
)
monitoring = st.builds(
    MonitoringConfig,
    evaluate_constraints=st.sampled_from(["Enabled", "Disabled"]),
    emit_metrics=st.sampled_from(["Enabled", "Disabled"]),
    datatype_check_threshold=finite,
    domain_content_threshold=finite,
    distribution_constraints=distribution,
    extra=extra(
        (
            "evaluate_constraints",
            "emit_metrics",
            "datatype_check_threshold",
            "domain_content_threshold",
            "distribution_constraints",
        )
    ),
)
constraints = st.builds(
    Constraints,
    features=st.lists(feature_constraints(), max_size=4).map(tuple),
    monitoring_config=monitoring,
    version=finite,
    extra=extra(("version", "features", "monitoring_config")),
)
violations = st.builds(
    Violations,
    st.lists(
        st.builds(Violation, names, st.sampled_from(CheckType).map(str) | st.text(max_size=10), st.text()),
        max_size=4,
    ).map(tuple),
)


@settings(deadline=None)
@given(statistics)
def test_statistics_round_trip(s: Statistics) -> None:
    text = statistics_to_json(s)
    back = statistics_from_json(text)
    assert repr(back) == repr(s)
    assert statistics_to_json(back) == text


@settings(deadline=None)
@given(constraints)
def test_constraints_round_trip(c: Constraints) -> None:
    text = constraints_to_json(c)
    back = constraints_from_json(text)
    assert back == c
    assert constraints_to_json(back) == text


@given(violations)
def test_violations_round_trip(v: Violations) -> None:
    text = violations_to_json(v)
    assert violations_from_json(text) == v
    assert violations_to_json(violations_from_json(text)) == text
