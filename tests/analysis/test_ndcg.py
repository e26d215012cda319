"""nDCG of feature-attribution rankings (spec 9): the docs example, sklearn's ndcg_score, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from modelwatch.analysis.ndcg import ndcg, ndcg_vectors
from modelwatch.errors import ValidationError


def test_docs_example() -> None:
    baseline = {"SAT": 0.70, "GPA": 0.50, "Rank": 0.05}
    current = {"SAT": 0.10, "GPA": 0.20, "Rank": 0.70}
    assert ndcg(baseline, current) == pytest.approx(0.6876396, abs=1e-7)
    # by hand: DCG = 0.05/1 + 0.50/log2(3) + 0.70/2, iDCG = 0.70 + 0.50/log2(3) + 0.05/2
    by_hand = (0.05 + 0.50 / math.log2(3) + 0.70 / 2) / (0.70 + 0.50 / math.log2(3) + 0.05 / 2)
    assert ndcg(baseline, current) == pytest.approx(by_hand, rel=1e-15)


def test_same_ranking_scores_one_and_a_reversed_one_less() -> None:
    baseline = {"a": 3.0, "b": 2.0, "c": 1.0}
    assert ndcg(baseline, {"a": 30.0, "b": 0.2, "c": 0.1}) == 1.0
    assert ndcg(baseline, {"a": 1.0, "b": 2.0, "c": 3.0}) < 0.9


@pytest.mark.parametrize("seed", range(40))
def test_equals_sklearn_ndcg_score(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 30))
    baseline = rng.exponential(size=m)
    current = rng.exponential(size=m)
    if seed % 3 == 0:  # ties in the current values
        current = np.round(current, 1)
    if seed % 5 == 0:  # ties and zeros in the baseline values
        baseline = np.round(baseline, 1)
    expected = ndcg_score([baseline], [current])
    assert ndcg_vectors(baseline, current) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_ties_average_the_discounts_like_sklearn() -> None:
    baseline = np.array([0.5, 0.3, 0.2, 0.1])
    current = np.array([0.1, 0.4, 0.4, 0.0])  # b and c tie
    averaged = ndcg_vectors(baseline, current)
    assert averaged == pytest.approx(ndcg_score([baseline], [current]), rel=1e-14)
    assert averaged != pytest.approx(ndcg_score([baseline], [current], ignore_ties=True))


def test_negative_values_rank_by_magnitude() -> None:
    baseline = np.array([-0.7, 0.5, -0.05])
    current = np.array([0.1, -0.2, 0.7])
    with pytest.raises(ValueError, match="negative"):
        ndcg_score([baseline], [current])
    assert ndcg_vectors(baseline, current) == pytest.approx(ndcg_score([np.abs(baseline)], [np.abs(current)]))
    assert ndcg_vectors(baseline, -baseline) == 1.0


def test_all_zero_baseline_scores_one() -> None:
    assert ndcg_score([[0.0, 0.0, 0.0]], [[0.1, 0.2, 0.3]]) == 0.0  # what sklearn says
    assert ndcg({"a": 0.0, "b": 0.0, "c": 0.0}, {"a": 0.1, "b": 0.2, "c": 0.3}) == 1.0


def test_feature_sets_that_differ() -> None:
    baseline = {"a": 0.7, "b": 0.5, "c": 0.05}
    # "c" missing from the current analysis scores 0; "z" only in current is ignored
    assert ndcg(baseline, {"a": 0.1, "b": 0.2, "z": 9.0}) == pytest.approx(
        ndcg_score([[0.7, 0.5, 0.05]], [[0.1, 0.2, 0.0]])
    )
    assert ndcg(baseline, {"a": float("nan"), "b": 0.2, "c": 0.1}) == pytest.approx(
        ndcg_score([[0.7, 0.5, 0.05]], [[0.0, 0.2, 0.1]])
    )


def test_one_feature_and_bad_input() -> None:
    assert ndcg({"a": 0.3}, {"a": 0.0}) == 1.0
    with pytest.raises(ValidationError, match="shape"):
        ndcg_vectors(np.array([1.0, 2.0]), np.array([1.0]))
    with pytest.raises(ValidationError, match="finite"):
        ndcg_vectors(np.array([1.0, float("inf")]), np.array([1.0, 2.0]))


def test_public_names_exist() -> None:
    import modelwatch.analysis.attributions as attributions
    import modelwatch.analysis.ndcg as ndcg_module
    import modelwatch.monitors.model_explainability as monitor
    import modelwatch.monitors.predictor as predictor

    for module in (attributions, ndcg_module, monitor, predictor):
        assert len(set(module.__all__)) == len(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__), module.__name__
