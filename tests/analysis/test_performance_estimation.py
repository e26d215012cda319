"""Confidence-based performance estimation: estimates track the realised metrics under covariate shift."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from modelwatch.analysis.performance_estimation import Calibration, estimate_performance, fit_calibration
from modelwatch.errors import EmptyDatasetError, ValidationError

THRESHOLD = 0.25


def population(rng: np.random.Generator, n: int, mean: float, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """A model whose true P(y=1 | x) = sigmoid(1.5x − 0.5) never changes; its score is that probability
    squared (monotone, so ranking is right, but miscalibrated: the calibration map must undo it)."""
    x = rng.normal(mean, spread, n)
    probability = 1.0 / (1.0 + np.exp(-(1.5 * x - 0.5)))
    labels = rng.random(n) < probability
    return probability**2, labels


def realised(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    predicted = scores >= THRESHOLD
    return {
        "estimated_accuracy": accuracy_score(labels, predicted),
        "estimated_precision": precision_score(labels, predicted, zero_division=0),
        "estimated_recall": recall_score(labels, predicted),
        "estimated_f1": f1_score(labels, predicted),
        "estimated_auc": roc_auc_score(labels, scores),
    }


@pytest.fixture(scope="module")
def calibration() -> Calibration:
    scores, labels = population(np.random.default_rng(0), 50_000, 0.0, 1.0)
    return fit_calibration(scores, labels)


def test_estimates_track_shifted_windows(calibration: Calibration) -> None:
    rng = np.random.default_rng(1)
    accuracies = []
    for mean, spread in [(0.0, 1.0), (-1.0, 1.0), (-0.5, 1.5), (0.5, 1.0), (1.0, 0.7), (1.5, 1.0)]:
        scores, labels = population(rng, 4000, mean, spread)
        estimates = estimate_performance(scores, calibration, THRESHOLD)
        truth = realised(scores, labels)
        assert set(estimates) == set(truth)
        for name, estimate in estimates.items():
            assert 0 < estimate.expected_error < 0.05, name
            assert abs(estimate.value - truth[name]) <= 4 * estimate.expected_error, (mean, spread, name)
        accuracies.append(truth["estimated_accuracy"])
    assert max(accuracies) - min(accuracies) > 0.05  # the shifts really move the metrics


def test_expected_error_matches_the_spread_of_realised_metrics(calibration: Calibration) -> None:
    rng = np.random.default_rng(2)
    z = {name: [] for name in ("estimated_accuracy", "estimated_auc", "estimated_f1")}
    for _ in range(80):
        scores, labels = population(rng, 400, 0.3, 1.0)
        estimates = estimate_performance(scores, calibration, THRESHOLD, simulations=60)
        truth = realised(scores, labels)
        for name in z:
            z[name].append((truth[name] - estimates[name].value) / estimates[name].expected_error)
    for name, values in z.items():
        within = np.mean(np.abs(values) <= 2.0)
        assert 0.85 <= within <= 0.995, (name, within)
        assert abs(np.mean(values)) < 0.35, name  # no bias beyond a few hundredths of an error


def test_calibration_is_monotone_and_recovers_the_true_probability(calibration: Calibration) -> None:
    assert list(calibration.scores) == sorted(set(calibration.scores))
    assert all(a <= b for a, b in zip(calibration.probabilities, calibration.probabilities[1:], strict=False))
    grid = np.linspace(0.05, 0.8, 16)
    np.testing.assert_allclose(calibration.probability(grid), np.sqrt(grid), atol=0.03)
    again = Calibration.from_dict(json.loads(json.dumps(calibration.to_dict())))
    assert again == calibration


def test_small_exact_cases() -> None:
    calibration = fit_calibration([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
    # Pool adjacent violators: (0.2, 0.3) violate, pooled to 0.5.
    assert calibration.scores == (0.1, 0.25, 0.4)
    assert calibration.probabilities == (0.0, 0.5, 1.0)
    estimates = estimate_performance([0.1, 0.4, 0.4], calibration, 0.3)
    assert estimates["estimated_accuracy"].value == 1.0
    assert estimates["estimated_accuracy"].expected_error == 0.0
    assert estimates["estimated_precision"].value == 1.0
    assert estimates["estimated_recall"].value == 1.0
    assert estimates["estimated_auc"].value == 1.0
    nothing_positive = estimate_performance([0.1, 0.2], calibration, 0.9)
    assert nothing_positive["estimated_precision"].value == 0.0
    assert math.isclose(nothing_positive["estimated_accuracy"].value, 1 - (0.0 + 1 / 3) / 2)


def test_binning_keeps_large_baselines_small() -> None:
    scores, labels = population(np.random.default_rng(4), 20_000, 0.0, 1.0)
    calibration = fit_calibration(scores, labels, max_bins=50)
    assert len(calibration.scores) <= 50
    np.testing.assert_allclose(calibration.probability([0.1, 0.5]), np.sqrt([0.1, 0.5]), atol=0.06)


def test_estimates_are_deterministic(calibration: Calibration) -> None:
    scores, _ = population(np.random.default_rng(5), 1000, 0.0, 1.0)
    assert estimate_performance(scores, calibration) == estimate_performance(scores, calibration)


def test_bad_inputs() -> None:
    with pytest.raises(EmptyDatasetError):
        fit_calibration([], [])
    with pytest.raises(ValidationError, match="2 scores but 1 labels"):
        fit_calibration([0.1, 0.2], [1])
    with pytest.raises(ValidationError, match="max_bins"):
        fit_calibration([0.1], [1], max_bins=0)
    with pytest.raises(ValidationError, match="as many probabilities"):
        Calibration((0.1, 0.2), (0.5,))
    calibration = Calibration((0.5,), (0.3,))
    with pytest.raises(EmptyDatasetError):
        estimate_performance([], calibration)
