"""Model-quality metrics equal scikit-learn's where the definitions coincide (to 1e-12)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    fbeta_score,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_curve,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from modelwatch.analysis.quality import subsample_membership
from modelwatch.formats.model_quality import ModelQualityStatistics
from modelwatch.monitors.model_quality import ProblemType, quality_statistics

TOL = 1e-12


def value(stats: ModelQualityStatistics, name: str) -> float:
    metric = stats.metric(name)
    assert metric is not None, name
    return metric.value


def close(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or math.isclose(ours, theirs, rel_tol=TOL, abs_tol=TOL)


def binary_oracle(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    out = {
        "recall": recall_score(y, pred, zero_division=np.nan),
        "precision": precision_score(y, pred, zero_division=0),
        "accuracy": accuracy_score(y, pred),
        "true_positive_rate": recall_score(y, pred, zero_division=np.nan),
        "true_negative_rate": tn / (tn + fp) if tn + fp else math.nan,
        "false_positive_rate": fp / (tn + fp) if tn + fp else math.nan,
        "false_negative_rate": fn / (fn + tp) if fn + tp else math.nan,
    }
    for beta, name in ((0.5, "f0_5"), (1.0, "f1"), (2.0, "f2")):
        out[name] = fbeta_score(y, pred, beta=beta, zero_division=0)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_binary_metrics_equal_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    y = rng.integers(0, 2, n)
    scores = np.round(rng.beta(2, 2, n) * 0.6 + 0.4 * y * rng.random(n), 2)  # ties on purpose
    threshold = float(rng.choice([0.3, 0.5, 0.7]))
    stats = quality_statistics(ProblemType.BINARY, labels=y, probabilities=scores, threshold=threshold)
    pred = (scores >= threshold).astype(int)
    for name, expected in binary_oracle(y, pred).items():
        assert close(value(stats, name), expected), name
    assert close(value(stats, "auc"), roc_auc_score(y, scores))
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    assert stats.confusion_matrix is not None
    assert stats.confusion_matrix.counts == {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}
    assert stats.item_count == n


@pytest.mark.parametrize("seed", range(4))
def test_curves_equal_sklearn(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    y = rng.integers(0, 2, 300)
    scores = np.round(rng.random(300), 1 + seed % 2)
    stats = quality_statistics(ProblemType.BINARY, labels=y, probabilities=scores)
    fpr, tpr, _ = roc_curve(y, scores, drop_intermediate=False)
    roc = stats.roc_curve
    assert roc is not None
    # Spark's ROC: sklearn's points (from (0, 0), one per distinct score) and an appended (1, 1).
    np.testing.assert_allclose(roc.false_positive_rates, [*fpr, 1.0], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(roc.true_positive_rates, [*tpr, 1.0], rtol=TOL, atol=TOL)
    precision, recall, _ = precision_recall_curve(y, scores)
    pr = stats.precision_recall_curve
    assert pr is not None
    # Spark's PR: descending scores, led by (recall 0, the first precision); sklearn ends at (1, 0).
    np.testing.assert_allclose(pr.precisions, [precision[-2], *precision[-2::-1]], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(pr.recalls, [0.0, *recall[-2::-1]], rtol=TOL, atol=TOL)


def test_predicted_labels_come_from_the_inference_attribute_when_given() -> None:
    y = np.array([0, 0, 1, 1, 1, 0])
    predictions = np.array(["1", "0", "1", "0", "1", "0"])
    scores = np.array([0.9, 0.1, 0.8, 0.7, 0.6, 0.95])  # probability >= 0.5 would disagree
    stats = quality_statistics(ProblemType.BINARY, labels=y, predictions=predictions, probabilities=scores)
    assert close(value(stats, "precision"), precision_score(y, predictions.astype(int)))
    assert close(value(stats, "auc"), roc_auc_score(y, scores))


def test_threshold_counts_a_score_equal_to_it_as_positive() -> None:
    stats = quality_statistics(ProblemType.BINARY, labels=[1, 0, 1, 0], probabilities=[0.5, 0.5, 0.2, 0.49])
    assert stats.confusion_matrix is not None
    assert stats.confusion_matrix.counts == {"0": {"0": 1, "1": 1}, "1": {"0": 1, "1": 1}}


def test_without_probabilities_the_predicted_label_is_the_score() -> None:
    y = np.array([0, 1, 1, 0, 1])
    pred = np.array([0, 1, 0, 1, 1])
    stats = quality_statistics(ProblemType.BINARY, labels=y, predictions=pred)
    assert close(value(stats, "auc"), roc_auc_score(y, pred))


def test_single_class_present() -> None:
    y = np.ones(50, dtype=int)
    scores = np.linspace(0.0, 1.0, 50)
    stats = quality_statistics(ProblemType.BINARY, labels=y, probabilities=scores)
    pred = (scores >= 0.5).astype(int)
    for name, expected in binary_oracle(y, pred).items():
        assert close(value(stats, name), expected), name
    assert math.isnan(value(stats, "false_positive_rate"))
    with pytest.warns(UndefinedMetricWarning, match="Only one class"):
        assert math.isnan(roc_auc_score(y, scores))
    assert math.isnan(value(stats, "auc"))


def test_all_predictions_one_class() -> None:
    y = np.array([0, 1, 0, 1, 1, 0, 0])
    pred = np.zeros(7, dtype=int)
    stats = quality_statistics(ProblemType.BINARY, labels=y, predictions=pred)
    assert value(stats, "precision") == 0.0  # 0/0: SageMaker writes 0
    for name, expected in binary_oracle(y, pred).items():
        assert close(value(stats, name), expected), name


def test_all_scores_tied_give_auc_one_half() -> None:
    y = np.array([0, 1, 1, 0, 1, 0, 1])
    stats = quality_statistics(ProblemType.BINARY, labels=y, probabilities=np.full(7, 0.3))
    assert value(stats, "auc") == roc_auc_score(y, np.full(7, 0.3)) == 0.5


@pytest.mark.parametrize("positives", [3, 5, 8])
def test_binary_best_constant_classifier_predicts_the_majority_class(positives: int) -> None:
    y = np.array([1] * positives + [0] * 5)
    stats = quality_statistics(ProblemType.BINARY, labels=y, predictions=np.zeros(len(y), dtype=int))
    constant = np.full(len(y), 1 if positives >= 5 else 0)  # ties: the positive class
    for name in ("recall", "precision", "accuracy", "f0_5", "f1", "f2"):
        expected = binary_oracle(y, constant)[name]
        assert close(value(stats, f"{name}_best_constant_classifier"), expected), name


def test_binary_rates_follow_sagemakers_digits() -> None:
    # Real SageMaker output: TP 156, FP 69, P 1374, N 518 gave these exact doubles (spec 5.4).
    y = np.array([1] * 1374 + [0] * 518)
    pred = np.array([1] * 156 + [0] * 1218 + [1] * 69 + [0] * 449)
    stats = quality_statistics(ProblemType.BINARY, labels=y, predictions=pred)
    assert value(stats, "true_negative_rate") == 0.8667953667953667  # 1 - FPR, not 449/518
    assert value(stats, "false_negative_rate") == 0.8864628820960698
    assert value(stats, "f1") == 0.19512195121951217
    assert value(stats, "f2") == 0.13633980073413737
    assert value(stats, "accuracy") == 0.31976744186046513


def multiclass_oracle(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    labels = np.union1d(y, pred)
    out = {
        "accuracy": accuracy_score(y, pred),
        "weighted_recall": recall_score(y, pred, labels=labels, average="weighted", zero_division=0),
        "weighted_precision": precision_score(y, pred, labels=labels, average="weighted", zero_division=0),
    }
    for beta, name in ((0.5, "weighted_f0_5"), (1.0, "weighted_f1"), (2.0, "weighted_f2")):
        out[name] = fbeta_score(y, pred, beta=beta, labels=labels, average="weighted", zero_division=0)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_multiclass_metrics_equal_sklearn(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(10, 500))
    classes = int(rng.integers(2, 7))
    y = rng.integers(0, classes, n)
    pred = np.where(rng.random(n) < 0.6, y, rng.integers(0, classes + 1, n))  # one class only predicted
    stats = quality_statistics(ProblemType.MULTICLASS, labels=y, predictions=pred)
    for name, expected in multiclass_oracle(y, pred).items():
        assert close(value(stats, name), expected), name
    majority = np.bincount(y).argmax()  # ties: the first class
    for name, expected in multiclass_oracle(y, np.full(n, majority)).items():
        assert close(value(stats, f"{name}_best_constant_classifier"), expected), name
    order = np.union1d(y, pred)
    matrix = confusion_matrix(y, pred, labels=order)
    assert stats.confusion_matrix is not None
    assert stats.confusion_matrix.counts == {
        str(a): {str(p): int(matrix[i, j]) for j, p in enumerate(order)} for i, a in enumerate(order)
    }


def test_multiclass_string_labels_and_numeric_order() -> None:
    y = ["10", "2", "cat", "2", "10", "1.0"]
    pred = [10, 2.0, "cat", "10", "2", True]
    stats = quality_statistics(ProblemType.MULTICLASS, labels=y, predictions=pred)
    assert stats.confusion_matrix is not None
    assert list(stats.confusion_matrix.counts) == ["1", "2", "10", "cat"]
    assert value(stats, "accuracy") == 4 / 6


@pytest.mark.parametrize("seed", range(5))
def test_regression_metrics_equal_sklearn(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(5, 1000))
    y = rng.normal(10, 3, n)
    pred = y + rng.normal(0, 2, n)
    stats = quality_statistics(ProblemType.REGRESSION, labels=y, predictions=pred)
    mse = mean_squared_error(y, pred)
    assert close(value(stats, "mae"), mean_absolute_error(y, pred))
    assert close(value(stats, "mse"), mse)
    assert close(value(stats, "rmse"), math.sqrt(mse))
    # SageMaker's r2 has labels and predictions swapped: scikit-learn's r2 of (predictions, labels).
    assert close(value(stats, "r2"), r2_score(pred, y))


def test_standard_deviation_over_five_subsamples_from_two_hundred_records() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 250)
    scores = rng.random(250)
    stats = quality_statistics(ProblemType.BINARY, labels=y, probabilities=scores)
    masks = subsample_membership(0, 250)[1:]
    assert all(0.7 < m.mean() < 0.9 for m in masks)
    aucs = [roc_auc_score(y[m], scores[m]) for m in masks]
    accuracy = [accuracy_score(y[m], scores[m] >= 0.5) for m in masks]
    auc = stats.metric("auc")
    assert auc is not None and close(auc.standard_deviation, float(np.std(aucs, ddof=1)))
    acc = stats.metric("accuracy")
    assert acc is not None and close(acc.standard_deviation, float(np.std(accuracy, ddof=1)))
    small = quality_statistics(ProblemType.BINARY, labels=y[:199], probabilities=scores[:199])
    assert all(math.isnan(m.standard_deviation) for m in small.metrics.values())


def test_regression_standard_deviation() -> None:
    rng = np.random.default_rng(8)
    y = rng.normal(size=400)
    pred = y + rng.normal(size=400)
    stats = quality_statistics(ProblemType.REGRESSION, labels=y, predictions=pred)
    masks = subsample_membership(0, 400)[1:]
    maes = [mean_absolute_error(y[m], pred[m]) for m in masks]
    r2s = [r2_score(pred[m], y[m]) for m in masks]
    mae, r2 = stats.metric("mae"), stats.metric("r2")
    assert mae is not None and close(mae.standard_deviation, float(np.std(maes, ddof=1)))
    assert r2 is not None and math.isclose(r2.standard_deviation, float(np.std(r2s, ddof=1)), rel_tol=1e-9)
