"""Model-quality metrics (regression, binary and multiclass classification) as mergeable aggregates.

Each aggregate follows the design's contract: ``zero()``, ``update(labels, predictions, probabilities)``,
``merge(other)``, ``finalize()`` → :class:`~modelwatch.formats.model_quality.ModelQualityStatistics`, and
``to_dict()`` / ``from_dict()``. The state is counted in six *replicas*: replica 0 holds every record,
replicas 1-5 the records of five pseudo-random subsamples, from which each metric's
``standard_deviation`` is computed (spec 5.2).

Subsamples: the record at position ``i`` (0-based, in update order; ``offset`` shifts it for a partition
that does not start at record 0) belongs to subsample ``k`` (1..5) when
``splitmix64(i * 8 + k) >> 11 < 0.8 * 2**53`` — an independent 80% Bernoulli draw per record and
subsample that depends on the position alone, so the same input gives the same result, and partials
updated with the right offsets merge into exactly what one pass gives. With at least 200 records the
``standard_deviation`` is the sample standard deviation (``ddof=1``) of the five subsample values, else NaN.

Formulas (SageMaker's, spec 5.2; ``docs/model-quality.md`` lists every choice):

* regression: ``mae = Σ|y−ŷ|/n``, ``mse = Σ(y−ŷ)²/n``, ``rmse = √mse``, and SageMaker's
  ``r2 = 1 − Σ(y−ŷ)² / Σ(ŷ−mean ŷ)²`` (sums added left to right in record order, as Spark does);
* binary: confusion counts of the predicted label (the inference attribute, else
  ``probability >= threshold``); ``precision`` is 0 when nothing is predicted positive, ``recall`` and
  ``false_positive_rate`` NaN when there are no positives / negatives; ``true_negative_rate = 1 − FPR``
  and ``false_negative_rate = 1 − TPR`` (SageMaker's last digits show this);
  ``F_β = (1+β²)·p·r / (β²·p + r)`` (0 when ``p + r = 0``); ``auc`` is the trapezoidal area under Spark's
  ROC curve — one point per distinct score, descending, between ``(0,0)`` and an appended ``(1,1)`` —
  summed left to right (NaN without both classes);
* multiclass: accuracy and support-weighted recall, precision, F0.5, F1, F2;
* best constant classifier: always predict the majority ground-truth class (ties: the positive class
  for binary, the first class in label order for multiclass).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from modelwatch.analysis.quality_inputs import (
    ArrayLike,
    Records,
    as_numbers,
    binary,
    classes,
    same_length,
)
from modelwatch.errors import EmptyDatasetError, ValidationError
from modelwatch.formats.model_quality import (
    METRIC_ORDER,
    ConfusionMatrix,
    MetricValue,
    ModelQualityStatistics,
    PrecisionRecallCurve,
    ProblemType,
    RocCurve,
)

__all__ = [
    "MIN_RECORDS_FOR_STD",
    "SUBSAMPLES",
    "SUBSAMPLE_FRACTION",
    "BinaryQuality",
    "MulticlassQuality",
    "QualityAggregate",
    "RegressionQuality",
    "aggregate_from_dict",
    "parse_problem_type",
    "quality_aggregate",
    "subsample_membership",
]

SUBSAMPLES = 5
SUBSAMPLE_FRACTION = 0.8
MIN_RECORDS_FOR_STD = 200
_REPLICAS = 1 + SUBSAMPLES
_CHUNK_ROWS = 65_536
_BELOW = np.uint64(int(SUBSAMPLE_FRACTION * 2**53))


# -- subsamples -----------------------------------------------------------------------------------


def _splitmix64(x: np.ndarray) -> np.ndarray:
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def subsample_membership(start: int, n: int) -> np.ndarray:
    """A ``(6, n)`` boolean matrix for records ``start .. start+n-1``: row 0 is all True, row ``k`` tells
    which records belong to subsample ``k`` (see the module docstring for the rule)."""
    out = np.ones((_REPLICAS, n), dtype=bool)
    keys = np.arange(start, start + n, dtype=np.uint64) << np.uint64(3)
    for k in range(1, _REPLICAS):
        out[k] = (_splitmix64(keys | np.uint64(k)) >> np.uint64(11)) < _BELOW
    return out


def _std(values: np.ndarray, records: int) -> float:
    if records < MIN_RECORDS_FOR_STD:
        return math.nan
    return float(np.std(values[1:], ddof=1))


# -- serialisation helpers ------------------------------------------------------------------------


def _encode(array: np.ndarray) -> dict[str, Any]:
    data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return {
        "dtype": array.dtype.str[1:],
        "shape": list(array.shape),
        "data": base64.b64encode(data.tobytes()).decode(),
    }


def _decode(data: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(str(data["data"]))
    array = np.frombuffer(raw, dtype=np.dtype("<" + str(data["dtype"])))
    return array.reshape([int(n) for n in data["shape"]]).astype(np.dtype(str(data["dtype"])))


def _metrics(problem: ProblemType, values: dict[str, np.ndarray], records: int) -> dict[str, MetricValue]:
    ordered = [name for name in METRIC_ORDER[problem] if name in values]
    return {name: MetricValue(float(values[name][0]), _std(values[name], records)) for name in ordered}


def _f_beta(precision: np.ndarray, recall: np.ndarray, beta: float) -> np.ndarray:
    """Spark's F-measure: ``(1+β²)·p·r / (β²·p + r)``, 0 when ``p + r = 0``."""
    squared = beta * beta
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (1.0 + squared) * precision * recall / (squared * precision + recall)
    return np.where(precision + recall == 0.0, 0.0, value)


def _ratio(numerator: np.ndarray, denominator: np.ndarray, empty: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), empty)


# -- regression -----------------------------------------------------------------------------------


@dataclass
class RegressionQuality:
    """Sums for mae, mse, rmse and r2 in each replica (see the module docstring)."""

    problem_type: ClassVar[ProblemType] = ProblemType.REGRESSION
    count: np.ndarray = field(default_factory=lambda: np.zeros(_REPLICAS, np.int64))
    abs_error: np.ndarray = field(default_factory=lambda: np.zeros(_REPLICAS))
    squared_error: np.ndarray = field(default_factory=lambda: np.zeros(_REPLICAS))
    prediction_mean: np.ndarray = field(default_factory=lambda: np.zeros(_REPLICAS))
    prediction_m2: np.ndarray = field(default_factory=lambda: np.zeros(_REPLICAS))
    rows: int = 0

    @classmethod
    def zero(cls) -> RegressionQuality:
        return cls()

    def update(
        self,
        labels: ArrayLike,
        predictions: ArrayLike | None = None,
        probabilities: ArrayLike | None = None,
        *,
        record_ids: ArrayLike | None = None,
        offset: int | None = None,
    ) -> None:
        """Add records: numeric ground-truth ``labels`` and ``predictions`` (probabilities are ignored).

        ``offset`` is the position of the first record (default: the records this aggregate has seen).
        """
        if predictions is None:
            raise ValidationError("regression needs predictions (the inference attribute)")
        n = same_length(labels=labels, predictions=predictions)
        start = self.rows if offset is None else offset
        records = Records(record_ids, start)
        y = as_numbers(labels, "label", records)
        p = as_numbers(predictions, "prediction", records)
        for lo in range(0, n, _CHUNK_ROWS):
            self._update(y[lo : lo + _CHUNK_ROWS], p[lo : lo + _CHUNK_ROWS], start + lo)
        self.rows += n

    def _update(self, y: np.ndarray, p: np.ndarray, start: int) -> None:
        weights = subsample_membership(start, len(y)).astype(np.float64)
        error = p - y
        for total, values in ((self.abs_error, np.abs(error)), (self.squared_error, error * error)):
            terms = weights * values
            terms[:, 0] += total  # continue the running sum: ((s + x0) + x1) + ... as Spark adds
            total[:] = np.cumsum(terms, axis=1)[:, -1]
        n = weights.sum(axis=1).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, weights @ p / np.maximum(n, 1), 0.0)
        deviation = p[None, :] - mean[:, None]
        m2 = (weights * deviation * deviation).sum(axis=1)
        self._combine(n, mean, m2)

    def _combine(self, n: np.ndarray, mean: np.ndarray, m2: np.ndarray) -> None:
        """Chan's parallel update of the predictions' mean and sum of squared deviations."""
        total = self.count + n
        safe = np.maximum(total, 1)
        delta = mean - self.prediction_mean
        self.prediction_mean = np.where(n > 0, self.prediction_mean + delta * n / safe, self.prediction_mean)
        self.prediction_m2 = np.where(
            n > 0, self.prediction_m2 + m2 + delta * delta * self.count * n / safe, self.prediction_m2
        )
        self.count = total

    def merge(self, other: RegressionQuality) -> RegressionQuality:
        """Merge ``other`` into this aggregate (``other`` holds later records) and return it."""
        self.abs_error = self.abs_error + other.abs_error
        self.squared_error = self.squared_error + other.squared_error
        self._combine(other.count, other.prediction_mean, other.prediction_m2)
        self.rows += other.rows
        return self

    def finalize(self) -> ModelQualityStatistics:
        records = int(self.count[0])
        if records == 0:
            raise EmptyDatasetError("no records to compute regression metrics from")
        with np.errstate(invalid="ignore", divide="ignore"):
            n = self.count.astype(np.float64)
            mse = self.squared_error / n
            values = {
                "mae": self.abs_error / n,
                "mse": mse,
                "rmse": np.sqrt(mse),
                "r2": 1.0 - self.squared_error / self.prediction_m2,
            }
        return ModelQualityStatistics(
            self.problem_type, records, _metrics(self.problem_type, values, records)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem_type": str(self.problem_type),
            "count": _encode(self.count),
            "abs_error": _encode(self.abs_error),
            "squared_error": _encode(self.squared_error),
            "prediction_mean": _encode(self.prediction_mean),
            "prediction_m2": _encode(self.prediction_m2),
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegressionQuality:
        return cls(
            count=_decode(data["count"]),
            abs_error=_decode(data["abs_error"]),
            squared_error=_decode(data["squared_error"]),
            prediction_mean=_decode(data["prediction_mean"]),
            prediction_m2=_decode(data["prediction_m2"]),
            rows=int(data["rows"]),
        )


# -- binary classification ------------------------------------------------------------------------


@dataclass
class BinaryQuality:
    """Confusion counts and an exact map of distinct scores → (positives, negatives), per replica.

    The predicted label is the inference attribute when given, else ``probability >= threshold``. The
    score map makes the ROC and precision-recall curves and ``auc`` exact; without probabilities the
    predicted label (1.0 / 0.0) serves as the score. Score counts of new batches wait in a buffer that is
    folded into the sorted map once it outgrows it (and before ``merge``, ``finalize``, ``to_dict``), so a
    stream of batches costs O(n log n) in all.
    """

    problem_type: ClassVar[ProblemType] = ProblemType.BINARY
    threshold: float = 0.5
    counts: np.ndarray = field(default_factory=lambda: np.zeros((_REPLICAS, 4), np.int64))
    """Columns: true negatives, false positives, false negatives, true positives."""
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    positives: np.ndarray = field(default_factory=lambda: np.zeros((_REPLICAS, 0), np.int64))
    negatives: np.ndarray = field(default_factory=lambda: np.zeros((_REPLICAS, 0), np.int64))
    rows: int = 0
    _pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list, repr=False, compare=False
    )
    _pending_size: int = field(default=0, repr=False, compare=False)

    @classmethod
    def zero(cls, threshold: float | None = None) -> BinaryQuality:
        return cls(threshold=0.5 if threshold is None else float(threshold))

    def update(
        self,
        labels: ArrayLike,
        predictions: ArrayLike | None = None,
        probabilities: ArrayLike | None = None,
        *,
        record_ids: ArrayLike | None = None,
        offset: int | None = None,
    ) -> None:
        """Add records: ground-truth ``labels``, predicted labels and/or probabilities (scores).

        ``offset`` is the position of the first record (default: the records this aggregate has seen).
        """
        if predictions is None and probabilities is None:
            raise ValidationError(
                "binary classification needs predictions (inference attribute) or probabilities"
            )
        n = same_length(labels=labels, predictions=predictions, probabilities=probabilities)
        start = self.rows if offset is None else offset
        records = Records(record_ids, start)
        actual = binary(labels, "label", records)
        predicted = None if predictions is None else binary(predictions, "prediction", records)
        scores = None if probabilities is None else as_numbers(probabilities, "probability", records)
        if predicted is None:
            assert scores is not None
            predicted = scores >= self.threshold
        if scores is None:
            scores = predicted.astype(np.float64)
        weights = subsample_membership(start, n)
        outcome = 2 * actual.astype(np.int64) + predicted
        distinct, inverse = np.unique(scores, return_inverse=True)
        by_score = 2 * inverse.reshape(-1) + actual
        size = len(distinct)
        positives = np.empty((_REPLICAS, size), np.int64)
        negatives = np.empty((_REPLICAS, size), np.int64)
        for k in range(_REPLICAS):
            self.counts[k] += np.bincount(outcome if k == 0 else outcome[weights[k]], minlength=4)
            pairs = np.bincount(by_score if k == 0 else by_score[weights[k]], minlength=2 * size)
            negatives[k], positives[k] = pairs[0::2], pairs[1::2]
        self._add_scores(distinct, positives, negatives)
        self.rows += n

    def _add_scores(self, scores: np.ndarray, positives: np.ndarray, negatives: np.ndarray) -> None:
        self._pending.append((scores, positives, negatives))
        self._pending_size += len(scores)
        if self._pending_size > max(len(self.scores), 1 << 18):
            self._consolidate()

    def _consolidate(self) -> None:
        """Fold the buffered score counts into the sorted score map."""
        if not self._pending:
            return
        parts = [(self.scores, self.positives, self.negatives)] if len(self.scores) else []
        parts += self._pending
        self._pending, self._pending_size = [], 0
        if len(parts) == 1:  # already sorted and distinct
            self.scores, self.positives, self.negatives = parts[0]
            return
        scores = np.concatenate([p[0] for p in parts])
        order = np.argsort(scores, kind="stable")
        scores = scores[order]
        starts = np.flatnonzero(np.concatenate([[True], scores[1:] != scores[:-1]]))
        positives = np.concatenate([p[1] for p in parts], axis=1)[:, order]
        negatives = np.concatenate([p[2] for p in parts], axis=1)[:, order]
        self.scores = scores[starts]
        self.positives = np.add.reduceat(positives, starts, axis=1) if len(starts) else positives
        self.negatives = np.add.reduceat(negatives, starts, axis=1) if len(starts) else negatives

    def merge(self, other: BinaryQuality) -> BinaryQuality:
        """Merge ``other`` into this aggregate and return it (both must use the same threshold)."""
        if other.threshold != self.threshold:
            raise ValidationError(
                "cannot merge binary quality aggregates with different thresholds: "
                f"{self.threshold} and {other.threshold}"
            )
        other._consolidate()
        self.counts = self.counts + other.counts
        if len(other.scores):
            self._add_scores(other.scores, other.positives, other.negatives)
        self.rows += other.rows
        return self

    def finalize(self) -> ModelQualityStatistics:
        self._consolidate()
        records = int(self.counts[0].sum())
        if records == 0:
            raise EmptyDatasetError("no records to compute binary classification metrics from")
        tn, fp, fn, tp = (self.counts[:, i].astype(np.float64) for i in range(4))
        positives, negatives = tp + fn, tn + fp
        values = _binary_metrics(tn, fp, fn, tp)
        majority_positive = positives >= negatives
        zero = np.zeros_like(positives)
        constant = _binary_metrics(
            np.where(majority_positive, zero, negatives),
            np.where(majority_positive, negatives, zero),
            np.where(majority_positive, zero, positives),
            np.where(majority_positive, positives, zero),
        )
        for name in ("recall", "precision", "accuracy", "f0_5", "f1", "f2"):
            values[f"{name}_best_constant_classifier"] = constant[name]
        roc_x, roc_y, precisions = _spark_curves(self.positives[0], self.negatives[0])
        auc = np.empty(_REPLICAS)
        auc[0] = _trapezoid_sum(roc_x, roc_y)
        auc[1:] = _rank_auc(self.positives[1:], self.negatives[1:])
        values["auc"] = np.where((positives > 0) & (negatives > 0), auc, np.nan)
        counts = self.counts[0].tolist()
        return ModelQualityStatistics(
            self.problem_type,
            records,
            _metrics(self.problem_type, values, records),
            confusion_matrix=ConfusionMatrix(
                {"0": {"0": counts[0], "1": counts[1]}, "1": {"0": counts[2], "1": counts[3]}}
            ),
            roc_curve=RocCurve(tuple(roc_x.tolist()), tuple(roc_y.tolist())),
            precision_recall_curve=PrecisionRecallCurve(
                tuple([float(precisions[0]), *precisions.tolist()]), tuple([0.0, *roc_y[1:-1].tolist()])
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        self._consolidate()
        return {
            "problem_type": str(self.problem_type),
            "threshold": self.threshold,
            "counts": _encode(self.counts),
            "scores": _encode(self.scores),
            "positives": _encode(self.positives),
            "negatives": _encode(self.negatives),
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BinaryQuality:
        return cls(
            threshold=float(data["threshold"]),
            counts=_decode(data["counts"]),
            scores=_decode(data["scores"]),
            positives=_decode(data["positives"]),
            negatives=_decode(data["negatives"]),
            rows=int(data["rows"]),
        )


def _spark_curves(positives: np.ndarray, negatives: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spark's ROC curve (fpr, tpr with (0,0) prepended and (1,1) appended) and the precision at each
    distinct score, descending; rates are 0 when their class is absent, as in Spark."""
    tp = np.cumsum(positives[::-1])
    fp = np.cumsum(negatives[::-1])
    p, n = (float(tp[-1]), float(fp[-1])) if len(tp) else (0.0, 0.0)
    tpr = tp / p if p > 0 else np.zeros(len(tp))
    fpr = fp / n if n > 0 else np.zeros(len(fp))
    precision = tp / (tp + fp)  # every distinct score has a record, so tp + fp > 0
    return np.concatenate([[0.0], fpr, [1.0]]), np.concatenate([[0.0], tpr, [1.0]]), precision


def _trapezoid_sum(x: np.ndarray, y: np.ndarray) -> float:
    """Spark's area under a curve: ``Σ (y1 + y2) / 2.0 * (x2 - x1)`` added left to right."""
    terms = (y[1:] + y[:-1]) / 2.0 * (x[1:] - x[:-1])
    return float(np.cumsum(terms)[-1]) if len(terms) else 0.0


def _rank_auc(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """ROC AUC per row from score counts (ascending scores), as the Mann-Whitney statistic with ties
    counted half: the same area as the trapezoids, computed exactly in integers."""
    below = np.cumsum(negatives, axis=1) - negatives  # negatives with a lower score
    doubled = (positives * (2 * below + negatives)).sum(axis=1)
    pairs = positives.sum(axis=1) * negatives.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return doubled / (2.0 * pairs)


def _binary_metrics(tn: np.ndarray, fp: np.ndarray, fn: np.ndarray, tp: np.ndarray) -> dict[str, np.ndarray]:
    recall = _ratio(tp, tp + fn, np.nan)
    precision = _ratio(tp, tp + fp, 0.0)
    false_positive_rate = _ratio(fp, tn + fp, np.nan)
    return {
        "recall": recall,
        "precision": precision,
        "accuracy": (tp + tn) / (tp + tn + fp + fn),
        "true_positive_rate": recall,
        "true_negative_rate": 1.0 - false_positive_rate,
        "false_positive_rate": false_positive_rate,
        "false_negative_rate": 1.0 - recall,
        "f0_5": _f_beta(precision, recall, 0.5),
        "f1": _f_beta(precision, recall, 1.0),
        "f2": _f_beta(precision, recall, 2.0),
    }


# -- multiclass classification --------------------------------------------------------------------


def _class_order(classes: Sequence[str]) -> list[str]:
    """Numeric classes in numeric order (``"2"`` before ``"10"``), other classes after, by text."""

    def key(label: str) -> tuple[int, float, str]:
        try:
            return (0, float(label), label)
        except ValueError:
            return (1, 0.0, label)

    return sorted(classes, key=key)


@dataclass
class MulticlassQuality:
    """A confusion matrix (actual × predicted) over the classes seen so far, per replica."""

    problem_type: ClassVar[ProblemType] = ProblemType.MULTICLASS
    classes: list[str] = field(default_factory=list)
    counts: np.ndarray = field(default_factory=lambda: np.zeros((_REPLICAS, 0, 0), np.int64))
    rows: int = 0

    @classmethod
    def zero(cls) -> MulticlassQuality:
        return cls()

    def update(
        self,
        labels: ArrayLike,
        predictions: ArrayLike | None = None,
        probabilities: ArrayLike | None = None,
        *,
        record_ids: ArrayLike | None = None,
        offset: int | None = None,
    ) -> None:
        """Add records: ground-truth ``labels`` and predicted ``predictions`` (probabilities are ignored)."""
        if predictions is None:
            raise ValidationError("multiclass classification needs predictions (the inference attribute)")
        n = same_length(labels=labels, predictions=predictions)
        start = self.rows if offset is None else offset
        records = Records(record_ids, start)
        actual = classes(labels, "label", records).dictionary_encode()
        predicted = classes(predictions, "prediction", records).dictionary_encode()
        found = set(actual.dictionary.to_pylist()) | set(predicted.dictionary.to_pylist())
        self._grow(found)
        index = {label: i for i, label in enumerate(self.classes)}
        size = len(self.classes)

        def positions(encoded: pa.DictionaryArray) -> np.ndarray:
            lookup = np.array([index[v] for v in encoded.dictionary.to_pylist()], dtype=np.int64)
            return lookup[encoded.indices.to_numpy(zero_copy_only=False)]

        code = positions(actual) * size + positions(predicted)
        weights = subsample_membership(start, n)
        for k in range(_REPLICAS):
            self.counts[k] += np.bincount(code[weights[k]], minlength=size * size).reshape(size, size)
        self.rows += n

    def _grow(self, found: set[str]) -> None:
        if found <= set(self.classes):
            return
        classes = sorted(set(self.classes) | found)
        where = np.searchsorted(np.array(classes, dtype=object), np.array(self.classes, dtype=object))
        counts = np.zeros((_REPLICAS, len(classes), len(classes)), np.int64)
        counts[:, where[:, None], where[None, :]] = self.counts
        self.classes, self.counts = classes, counts

    def merge(self, other: MulticlassQuality) -> MulticlassQuality:
        """Merge ``other`` into this aggregate and return it."""
        self._grow(set(other.classes))
        if other.classes:
            where = np.searchsorted(
                np.array(self.classes, dtype=object), np.array(other.classes, dtype=object)
            )
            self.counts[:, where[:, None], where[None, :]] += other.counts
        self.rows += other.rows
        return self

    def finalize(self) -> ModelQualityStatistics:
        records = int(self.counts[0].sum())
        if records == 0:
            raise EmptyDatasetError("no records to compute multiclass classification metrics from")
        order = _class_order(self.classes)
        where = np.array([self.classes.index(label) for label in order], dtype=np.int64)
        counts = self.counts[:, where[:, None], where[None, :]].astype(np.float64)
        values = _multiclass_metrics(counts)
        support = counts.sum(axis=2)
        majority = np.argmax(support, axis=1)  # ties: the first class in label order
        constant = np.zeros_like(counts)
        constant[np.arange(_REPLICAS), :, majority] = support
        for name, value in _multiclass_metrics(constant).items():
            values[f"{name}_best_constant_classifier"] = value
        matrix = self.counts[0][where[:, None], where[None, :]].tolist()
        return ModelQualityStatistics(
            self.problem_type,
            records,
            _metrics(self.problem_type, values, records),
            confusion_matrix=ConfusionMatrix(
                {a: {p: matrix[i][j] for j, p in enumerate(order)} for i, a in enumerate(order)}
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem_type": str(self.problem_type),
            "classes": list(self.classes),
            "counts": _encode(self.counts),
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MulticlassQuality:
        return cls(
            classes=[str(c) for c in data["classes"]], counts=_decode(data["counts"]), rows=int(data["rows"])
        )


def _multiclass_metrics(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy and support-weighted metrics of confusion matrices ``counts[replica, actual, predicted]``."""
    total = counts.sum(axis=(1, 2))
    hits = np.einsum("kii->ki", counts)
    support = counts.sum(axis=2)
    predicted = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = support / total[:, None]
        recall = np.where(support > 0, hits / np.maximum(support, 1), 0.0)
        precision = np.where(predicted > 0, hits / np.maximum(predicted, 1), 0.0)
        values = {
            "accuracy": hits.sum(axis=1) / total,
            "weighted_recall": (recall * weight).sum(axis=1),
            "weighted_precision": (precision * weight).sum(axis=1),
        }
    for beta, name in ((0.5, "weighted_f0_5"), (1.0, "weighted_f1"), (2.0, "weighted_f2")):
        values[name] = (_f_beta(precision, recall, beta) * weight).sum(axis=1)
    return values


# -- factory --------------------------------------------------------------------------------------

QualityAggregate = RegressionQuality | BinaryQuality | MulticlassQuality


def parse_problem_type(value: ProblemType | str) -> ProblemType:
    """``value`` as a :class:`ProblemType`; anything else is a ValidationError listing the choices."""
    try:
        return ProblemType(value)
    except ValueError:
        allowed = ", ".join(repr(p.value) for p in ProblemType)
        raise ValidationError(
            f"unknown problem type {value!r}; expected one of {allowed}", field="problem_type"
        ) from None


def quality_aggregate(problem_type: ProblemType | str, *, threshold: float | None = None) -> QualityAggregate:
    """The empty aggregate of ``problem_type``; ``threshold`` (binary only) defaults to 0.5."""
    problem = parse_problem_type(problem_type)
    if problem is ProblemType.BINARY:
        return BinaryQuality.zero(threshold)
    if threshold is not None:
        raise ValidationError(f"a probability threshold applies to binary classification only, not {problem}")
    return RegressionQuality.zero() if problem is ProblemType.REGRESSION else MulticlassQuality.zero()


def aggregate_from_dict(data: dict[str, Any]) -> QualityAggregate:
    """Rebuild an aggregate written by ``to_dict`` (its ``problem_type`` picks the class)."""
    problem = ProblemType(str(data["problem_type"]))
    if problem is ProblemType.BINARY:
        return BinaryQuality.from_dict(data)
    if problem is ProblemType.REGRESSION:
        return RegressionQuality.from_dict(data)
    return MulticlassQuality.from_dict(data)
