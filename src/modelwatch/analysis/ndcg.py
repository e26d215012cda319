"""Normalised discounted cumulative gain (nDCG) of a current feature-attribution ranking against the
baseline's — Clarify's feature-attribution drift score (spec 9).

For baseline attributions ``B`` and current ones ``C`` over the baseline's ``m`` features::

    DCG  = Σ_i a(F'_i) / log2(i + 1)     F' = features by C, descending; a(f) = B[f]
    iDCG = Σ_i a(F_i)  / log2(i + 1)     F  = features by B, descending
    nDCG = DCG / iDCG

This is ``sklearn.metrics.ndcg_score([B], [C])`` wherever scikit-learn defines it (the docs example gives
0.6876). Choices where Clarify is silent (documented in docs/explainability.md):

* **ties in C** get the average of their positions' discounts, as sklearn does (``ignore_ties=False``);
* **negative values** (``agg_method: median``): relevance is ``|B|`` and the ranking is by ``|C|``: an
  attribution's size is its importance whatever its sign. Non-negative inputs are unchanged by this;
* **all-zero baseline** (iDCG = 0): 1.0, since there is no ranking to drift from (sklearn says 0.0);
* **features missing from C** score 0; features only in C are ignored; a NaN in C scores 0;
* **one feature**: 1.0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from modelwatch.errors import ValidationError

__all__ = ["ndcg", "ndcg_vectors"]


def _discounts(m: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(m, dtype=np.float64) + 2.0)


def _tie_averaged_dcg(relevance: np.ndarray, scores: np.ndarray, discounts: np.ndarray) -> float:
    """DCG with tied scores sharing the mean of their positions' discounts."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    cumulative = np.concatenate(([0.0], np.cumsum(discounts)))
    starts = np.flatnonzero(np.concatenate(([True], sorted_scores[1:] != sorted_scores[:-1])))
    ends = np.append(starts[1:], len(scores))
    mean_discount = (cumulative[ends] - cumulative[starts]) / (ends - starts)
    per_position = np.repeat(mean_discount, ends - starts)
    return float(np.dot(relevance[order], per_position))


def ndcg_vectors(baseline: np.ndarray, current: np.ndarray) -> float:
    """nDCG of ``current``'s ranking of features against ``baseline`` (two equal-length vectors)."""
    relevance = np.abs(np.asarray(baseline, dtype=np.float64))
    scores = np.abs(np.nan_to_num(np.asarray(current, dtype=np.float64), nan=0.0))
    if relevance.shape != scores.shape or relevance.ndim != 1:
        raise ValidationError(f"attribution vectors differ in shape: {relevance.shape} vs {scores.shape}")
    if not np.all(np.isfinite(relevance)):
        raise ValidationError("baseline attributions must be finite numbers")
    m = len(relevance)
    if m <= 1:
        return 1.0
    discounts = _discounts(m)
    ideal = float(np.dot(np.sort(relevance)[::-1], discounts))
    if ideal == 0.0:
        return 1.0
    scores = np.where(np.isfinite(scores), scores, np.finfo(np.float64).max)
    return min(_tie_averaged_dcg(relevance, scores, discounts) / ideal, 1.0)


def ndcg(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """nDCG of ``current``'s feature ranking against ``baseline``'s, over the baseline's features
    (``{feature: global SHAP value}`` maps; see the module docstring for the edge cases)."""
    names = list(baseline)
    b = np.array([float(baseline[name]) for name in names], dtype=np.float64)
    c = np.array([_value(current.get(name, 0.0)) for name in names], dtype=np.float64)
    return ndcg_vectors(b, c)


def _value(value: object) -> float:
    if value is None:
        return 0.0
    number = float(value)  # type: ignore[arg-type]  # a JSON number or numeric string; float() rejects others
    return 0.0 if math.isnan(number) else number
