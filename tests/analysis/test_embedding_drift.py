"""Embedding drift: MMD against a direct computation, calibrated p-values, the three tests' verdicts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from modelwatch.analysis.embedding_drift import (
    component_tests,
    domain_classifier_auc,
    embedding_drift,
    holm,
    median_bandwidth,
    mmd_test,
)
from modelwatch.errors import ValidationError


def _direct_mmd2(x: np.ndarray, y: np.ndarray, sigma: float) -> float:
    def k(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.exp(-cdist(a, b, "sqeuclidean") / (2 * sigma * sigma)).mean())

    return k(x, x) + k(y, y) - 2 * k(x, y)


def test_mmd_statistic_matches_the_full_kernel_matrix_across_blocks() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(70, 6)), rng.normal(0.3, 1.0, size=(50, 6))
    result = mmd_test(x, y, permutations=20, block_rows=16)
    assert result.statistic == pytest.approx(_direct_mmd2(x, y, result.bandwidth), rel=1e-4)
    assert result.bandwidth == pytest.approx(median_bandwidth(np.concatenate([x, y]).astype(np.float32)))


def test_mmd_p_values_are_calibrated_under_no_drift() -> None:
    rng = np.random.default_rng(7)
    population = rng.normal(size=(5000, 4))
    p_values = []
    for trial in range(200):
        rows = rng.choice(len(population), 80, replace=False)
        p_values.append(
            mmd_test(population[rows[:40]], population[rows[40:]], permutations=99, seed=trial).p_value
        )
    rejected = sum(p < 0.05 for p in p_values)
    # Binomial(200, 0.05): mean 10, sd 3.1; [2, 20] holds it with probability > 0.998
    assert 2 <= rejected <= 20
    # roughly uniform: about half below 0.5
    assert 80 <= sum(p < 0.5 for p in p_values) <= 120


def test_mmd_flags_a_shift_and_not_a_resample() -> None:
    rng = np.random.default_rng(3)
    baseline = rng.normal(size=(400, 16))
    assert mmd_test(baseline, rng.normal(size=(300, 16)), permutations=199).p_value > 0.05
    shifted = rng.normal(size=(300, 16))
    shifted[:, 0] += 1.0
    assert mmd_test(baseline, shifted, permutations=199).p_value <= 0.01


def test_mmd_rejects_bad_input_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="window: has dimension 3"):
        mmd_test(np.zeros((5, 4)), np.zeros((5, 3)))
    with pytest.raises(ValidationError, match=r"baseline: .*NaN"):
        mmd_test(np.full((5, 2), np.nan), np.zeros((5, 2)))
    with pytest.raises(ValidationError, match="permutations"):
        mmd_test(np.zeros((5, 2)), np.zeros((5, 2)), permutations=0)
    with pytest.raises(ValidationError, match="window: expected a 2-D array"):
        mmd_test(np.zeros((5, 2)), np.zeros(5))


def test_domain_classifier_separates_a_shift_only() -> None:
    rng = np.random.default_rng(4)
    baseline = rng.normal(size=(500, 8))
    same = domain_classifier_auc(baseline, rng.normal(size=(500, 8)))
    moved = domain_classifier_auc(baseline, rng.normal(size=(500, 8)) + np.array([1.0] + [0.0] * 7))
    assert 0.4 < same.auc < 0.6
    assert moved.auc > 0.7
    assert moved.folds == 5 and moved.records == 1000


def test_holm_matches_its_definition() -> None:
    adjusted = holm([0.01, 0.04, 0.03, 0.5])
    # sorted 0.01, 0.03, 0.04, 0.5 -> 4*0.01, max(0.04, 3*0.03), max(0.09, 2*0.04), max(0.09, 0.5)
    assert adjusted == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])


def test_component_tests_find_a_change_along_one_direction() -> None:
    rng = np.random.default_rng(5)
    scales = np.array([5.0, 3.0, 1.0, 1.0, 0.5])
    baseline = rng.normal(size=(600, 5)) * scales
    window = rng.normal(size=(400, 5)) * scales
    assert component_tests(baseline, window, components=5).min_adjusted_p_value > 0.05
    window[:, 0] *= 2.0
    tests = component_tests(baseline, window, components=5)
    assert tests.min_adjusted_p_value < 0.001
    assert len(tests.p_values) == 5 and tests.explained_variance_ratio[0] > 0.5


def test_embedding_drift_verdict_and_dictionary() -> None:
    rng = np.random.default_rng(6)
    baseline = rng.normal(size=(300, 10))
    calm = embedding_drift(baseline, rng.normal(size=(300, 10)), permutations=99)
    assert not calm.drifted and calm.failed_tests() == []
    drifted = embedding_drift(baseline, rng.normal(size=(300, 10)) + 0.8, permutations=99)
    assert drifted.drifted and set(drifted.failed_tests()) == {"mmd", "domain_classifier", "pca_ks"}
    as_dict = drifted.to_dict()
    assert as_dict["drifted"] is True and as_dict["mmd"]["permutations"] == 99
    assert as_dict["components"]["min_adjusted_p_value"] == drifted.components.min_adjusted_p_value
    with pytest.raises(ValidationError, match="alpha"):
        embedding_drift(baseline, baseline, alpha=1.5)


def test_the_mmd_sees_at_most_mmd_records_rows_per_side() -> None:
    rng = np.random.default_rng(8)
    baseline, window = rng.normal(size=(300, 3)), rng.normal(size=(250, 3))
    capped = embedding_drift(baseline, window, permutations=49, mmd_records=100)
    rows = np.random.default_rng(0)
    expected = mmd_test(
        baseline[rows.choice(300, 100, replace=False)],
        window[rows.choice(250, 100, replace=False)],
        permutations=49,
    )
    assert capped.mmd.statistic == pytest.approx(expected.statistic)
    assert capped.mmd.p_value == expected.p_value
