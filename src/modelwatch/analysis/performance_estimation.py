"""Confidence-based performance estimation (CBPE): binary-classification metrics without labels.

When ground truth arrives late (or never), a calibrated score is itself an expected label: a record
scored ``q = P(y = 1 | score)`` counts ``q`` of a positive and ``1 − q`` of a negative. Summing those
over a window gives the *expected* confusion matrix, hence estimated accuracy, precision, recall, F1
and ROC AUC (the approach of NannyML's CBPE). It stays right under covariate shift — when the inputs,
the score distribution and the class balance change but ``P(y | score)`` does not.

* :func:`fit_calibration` learns ``q`` from a labelled baseline: isotonic regression (pool adjacent
  violators) on the baseline's (score, label) pairs, first pooled into at most ``max_bins`` bins of
  neighbouring distinct scores; the map interpolates linearly between the fitted blocks' mean scores
  and is constant beyond them. It is a small JSON-serialisable object.
* :func:`estimate_performance` gives each metric's estimate and its *expected error*: the standard
  deviation of the metric the window's labels would realise, if each label were an independent
  Bernoulli(``q``) draw. For accuracy and precision it is exact (Poisson-binomial variance:
  ``√Σq(1−q) / n`` over all, resp. predicted-positive, records); for recall, F1 and AUC it is the
  standard deviation over ``simulations`` label draws from a seeded generator (deterministic).

Estimates: ``accuracy = (E[TP] + E[TN]) / n`` with ``E[TP] = Σ_{predicted positive} q`` etc.,
``precision = E[TP] / #predicted positive`` (0 when nothing is predicted positive, as for realised
precision), ``recall = E[TP] / Σq``, ``F1 = 2E[TP] / (2E[TP] + E[FP] + E[FN])``, and AUC = the
trapezoidal area under the expected ROC curve (expected TPR and FPR at each distinct score).
A record is predicted positive when ``score >= threshold``, as in :mod:`modelwatch.analysis.quality`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from modelwatch.analysis.quality_inputs import ArrayLike, binary_values, numeric_values
from modelwatch.errors import EmptyDatasetError, ValidationError

__all__ = ["Calibration", "EstimatedMetric", "estimate_performance", "fit_calibration"]

_CELLS_PER_CHUNK = 4_000_000


@dataclass(frozen=True)
class Calibration:
    """A non-decreasing map from a raw score to the probability of the positive class.

    ``scores`` are the knots (strictly increasing), ``probabilities`` the calibrated values there
    (non-decreasing, in [0, 1]); between knots the map is linear, beyond them constant.
    """

    scores: tuple[float, ...]
    probabilities: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.scores or len(self.scores) != len(self.probabilities):
            raise ValidationError("a calibration needs as many probabilities as scores, at least one")

    def probability(self, scores: ArrayLike) -> np.ndarray:
        """The calibrated probabilities of ``scores``."""
        values = numeric_values(scores, column="score")
        return np.interp(values, np.asarray(self.scores), np.asarray(self.probabilities))

    def to_dict(self) -> dict[str, Any]:
        return {"method": "isotonic", "scores": list(self.scores), "probabilities": list(self.probabilities)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls(tuple(float(x) for x in data["scores"]), tuple(float(y) for y in data["probabilities"]))


@dataclass(frozen=True)
class EstimatedMetric:
    value: float
    expected_error: float


def _pool_adjacent_violators(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted isotonic regression of ``y`` on increasing ``x``: the blocks' mean x and mean y."""
    sums_w: list[float] = []
    sums_x: list[float] = []
    sums_y: list[float] = []
    for xi, yi, wi in zip((x * w).tolist(), (y * w).tolist(), w.tolist(), strict=True):
        bw, bx, by = wi, xi, yi
        while sums_w and sums_y[-1] / sums_w[-1] >= by / bw:
            bw += sums_w.pop()
            bx += sums_x.pop()
            by += sums_y.pop()
        sums_w.append(bw)
        sums_x.append(bx)
        sums_y.append(by)
    weights = np.array(sums_w)
    return np.array(sums_x) / weights, np.array(sums_y) / weights


def fit_calibration(scores: ArrayLike, labels: ArrayLike, *, max_bins: int = 1000) -> Calibration:
    """Fit the isotonic calibration map of a labelled baseline (scores and binary labels).

    Distinct scores are pooled, in order, into at most ``max_bins`` bins of about equal record counts
    before the isotonic fit, which keeps the fit fast and the map small.
    """
    if max_bins < 1:
        raise ValidationError(f"max_bins must be at least 1; got {max_bins}", field="max_bins")
    s = numeric_values(scores, column="score")
    y = binary_values(labels, column="label")
    if len(s) != len(y):
        raise ValidationError(f"{len(s)} scores but {len(y)} labels")
    if len(s) == 0:
        raise EmptyDatasetError("no records to fit a calibration on")
    distinct, inverse = np.unique(s, return_inverse=True)
    counts = np.bincount(inverse).astype(np.float64)
    positives = np.bincount(inverse, weights=y.astype(np.float64))
    x: np.ndarray
    w: np.ndarray  # bincount with weights gives floats (numpy's stubs say integers)
    pos: np.ndarray
    if len(distinct) > max_bins:
        first_rank = np.cumsum(counts) - counts
        group = np.minimum((first_rank * max_bins // len(s)).astype(np.int64), max_bins - 1)
        weights = np.bincount(group, weights=counts)
        sum_x = np.bincount(group, weights=distinct * counts)
        positives = np.bincount(group, weights=positives)
        keep = weights > 0
        x, w, pos = sum_x[keep] / weights[keep], weights[keep], positives[keep]
    else:
        x, w, pos = distinct, counts, positives
    knots, probabilities = _pool_adjacent_violators(x, pos / w, w)
    return Calibration(tuple(knots.tolist()), tuple(np.clip(probabilities, 0.0, 1.0).tolist()))


def _expected_auc(scores: np.ndarray, q: np.ndarray) -> float:
    _, inverse = np.unique(scores, return_inverse=True)
    tp = np.cumsum(np.bincount(inverse, weights=q)[::-1])
    fp = np.cumsum(np.bincount(inverse, weights=1.0 - q)[::-1])
    if tp[-1] <= 0 or fp[-1] <= 0:
        return math.nan
    tpr = np.concatenate([[0.0], tp / tp[-1]])
    fpr = np.concatenate([[0.0], fp / fp[-1]])
    return float(np.sum((tpr[1:] + tpr[:-1]) / 2.0 * np.diff(fpr)))


def _simulated_std(
    scores: np.ndarray, q: np.ndarray, predicted: np.ndarray, simulations: int, seed: int
) -> dict[str, float]:
    """Standard deviations of realised recall, F1 and AUC over label draws ``y ~ Bernoulli(q)``."""
    n = len(q)
    rng = np.random.default_rng(seed)
    ranks = rankdata(scores)  # average ranks for ties: AUC by the Mann-Whitney statistic
    predicted_count = float(predicted.sum())
    chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    recall, f1, auc = [], [], []
    for done in range(0, simulations, chunk):
        rows = min(chunk, simulations - done)
        labels = rng.random((rows, n)) < q
        positives = labels.sum(axis=1).astype(np.float64)
        true_positives = labels[:, predicted].sum(axis=1).astype(np.float64)
        rank_sum = labels.astype(np.float64) @ ranks
        with np.errstate(invalid="ignore", divide="ignore"):
            recall.append(true_positives / positives)
            f1.append(2 * true_positives / (predicted_count + positives))
            auc.append((rank_sum - positives * (positives + 1) / 2) / (positives * (n - positives)))
    return {
        name: float(np.nanstd(np.concatenate(values), ddof=1)) if simulations > 1 else math.nan
        for name, values in (("recall", recall), ("f1", f1), ("auc", auc))
    }


def estimate_performance(
    scores: ArrayLike,
    calibration: Calibration,
    threshold: float = 0.5,
    *,
    simulations: int = 200,
    seed: int = 0,
) -> dict[str, EstimatedMetric]:
    """Estimated ``estimated_accuracy``, ``estimated_precision``, ``estimated_recall``, ``estimated_f1``
    and ``estimated_auc`` of a window from its scores alone (see the module docstring)."""
    s = numeric_values(scores, column="score")
    if len(s) == 0:
        raise EmptyDatasetError("no records to estimate performance from")
    q = np.clip(calibration.probability(s), 0.0, 1.0)
    predicted = s >= threshold
    n = len(s)
    tp = float(q[predicted].sum())
    fp = float((1.0 - q[predicted]).sum())
    fn = float(q[~predicted].sum())
    tn = float((1.0 - q[~predicted]).sum())
    variance = q * (1.0 - q)
    predicted_count = int(predicted.sum())
    simulated = _simulated_std(s, q, predicted, simulations, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = tp / (tp + fn) if tp + fn > 0 else math.nan
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else math.nan
    return {
        "estimated_accuracy": EstimatedMetric((tp + tn) / n, math.sqrt(float(variance.sum())) / n),
        "estimated_precision": EstimatedMetric(
            tp / predicted_count if predicted_count else 0.0,
            math.sqrt(float(variance[predicted].sum())) / predicted_count if predicted_count else 0.0,
        ),
        "estimated_recall": EstimatedMetric(recall, simulated["recall"]),
        "estimated_f1": EstimatedMetric(f1, simulated["f1"]),
        "estimated_auc": EstimatedMetric(_expected_auc(s, q), simulated["auc"]),
    }
