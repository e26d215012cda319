"""Drift decisions end to end on profiled data: shifted columns drift, unchanged ones do not.

The statistics come from :func:`modelwatch.analysis.profile_table` (real KLL sketches of 6,000
rows, several levels deep), so this also checks that the distances work on compacted sketches.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelwatch.analysis.profile import profile_table
from modelwatch.checks import drift_report, evaluate, suggest_constraints

ROWS = 6000
SHIFTED_NUMERIC = {"income", "age", "visits"}
CHANGED_CATEGORICAL = {"plan"}


def _table(seed: int, *, drifted: bool) -> pa.Table:
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.0, 0.5, ROWS)
    age = rng.normal(40.0, 12.0, ROWS).round()
    visits = rng.poisson(3.0, ROWS)
    score = rng.uniform(0.0, 1.0, ROWS)
    balance = rng.normal(0.0, 1000.0, ROWS)
    latency = rng.exponential(0.2, ROWS)
    plan_p = [0.3, 0.3, 0.4] if drifted else [0.5, 0.3, 0.2]
    plan = rng.choice(["basic", "plus", "pro"], ROWS, p=plan_p)
    region = rng.choice(["eu", "us", "apac", "latam"], ROWS, p=[0.4, 0.3, 0.2, 0.1])
    device = rng.choice(["ios", "android", "web"], ROWS)
    channel = rng.choice(["ads", "organic", "referral", "email", "partner"], ROWS)
    if drifted:
        income = income * 1.6
        age = age + 12.0
        visits = visits + 2
    score_masked = pa.array(score, mask=np.arange(ROWS) % 20 == 0)  # 5% nulls, same rows every time
    return pa.table(
        {
            "income": income,
            "age": age.astype(np.int64),
            "visits": visits.astype(np.int64),
            "score": score_masked,
            "balance": balance,
            "latency": latency,
            "plan": plan,
            "region": region,
            "device": device,
            "channel": channel,
        }
    )


@pytest.fixture(scope="module")
def baseline_table() -> pa.Table:
    return _table(1, drifted=False)


def _drift_violations(baseline_table: pa.Table, current_table: pa.Table) -> set[tuple[str, str]]:
    baseline = profile_table(baseline_table)
    current = profile_table(current_table)
    assert max(len(f.numerical.sketch.data) for f in baseline.features if f.numerical) > 1
    result = evaluate(baseline, suggest_constraints(baseline), current)
    assert result.skipped == ()
    return {(v.feature_name, v.constraint_check_type) for v in result.violations.violations}


def test_shifted_columns_and_only_those_drift(baseline_table: pa.Table) -> None:
    # same random draws as the baseline, with 3 numeric columns shifted and 1 category mix changed
    drifted = _table(1, drifted=True)
    for name in ("score", "balance", "latency", "region", "device", "channel"):
        assert drifted.column(name).equals(baseline_table.column(name))
    expected = {(name, "baseline_drift_check") for name in SHIFTED_NUMERIC | CHANGED_CATEGORICAL}
    assert _drift_violations(baseline_table, drifted) == expected


def test_unchanged_copy_has_no_violation(baseline_table: pa.Table) -> None:
    assert _drift_violations(baseline_table, baseline_table) == set()


def test_fresh_sample_of_the_same_distribution_has_no_violation(baseline_table: pa.Table) -> None:
    assert _drift_violations(baseline_table, _table(2, drifted=False)) == set()


def test_drift_report_agrees_with_decisions(baseline_table: pa.Table) -> None:
    report = drift_report(profile_table(baseline_table), profile_table(_table(1, drifted=True)))
    assert report.skipped == ()
    by_name = {feature.name: feature for feature in report.features}
    assert len(by_name) == 10
    for name, feature in by_name.items():
        drifted = name in SHIFTED_NUMERIC | CHANGED_CATEGORICAL
        assert (feature.linf_robust > 0.1) is drifted, name
        assert (feature.psi > 0.1) is drifted, name
        if feature.kind == "numeric":
            assert (feature.ks_pvalue < 1e-6) is drifted, name
        else:
            assert (feature.chi_squared_pvalue < 1e-6) is drifted, name
