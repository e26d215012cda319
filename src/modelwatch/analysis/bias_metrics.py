"""The 21 bias metrics exactly as smclarify 0.5 computes them (spec clarify.md §4-5), over group counts.

Facet d is the sensitive group (the configured values, or above the threshold); facet a is the rest.
Each function takes a :class:`FacetCounts` and returns the value, or raises :class:`MetricError` with
smclarify's own message. The arithmetic follows smclarify operation by operation (same divisions, same
numpy reductions in the same order), so values agree to the last bit or within a few ulps:

* ``divide(a, b)``: ``0/0 → 0.0``, ``a/0 → ±inf``;
* where a metric is ``X − Y`` and both are ``+inf`` the result is 0 (an ``int`` 0 for DCA, DCR, DAR,
  DRR, as smclarify returns it);
* KL, JS, LP, TVD and KS use the pmf of the *collapsed* label over {False, True}, keeping only the
  outcomes present in both facets (so KL can be negative, spec §4);
* GE is computed over the whole dataset, the same value for every facet.

FT (Flip Test) is the one metric that is not a function of counts: it fits scikit-learn's
``KNeighborsClassifier`` (k = 5, or 1 when facet a has at most 9 rows) on facet a's feature rows and
predicted labels, and predicts facet d's rows; see :func:`flip_test`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "DESCRIPTIONS",
    "IDEAL",
    "POST_TRAINING",
    "PRE_TRAINING",
    "FacetCounts",
    "GroupCounts",
    "MetricError",
    "compute_metric",
    "divide",
    "flip_test",
]

INF = math.inf
Value = float | int


class MetricError(ValueError):
    """A metric cannot be computed; the message is smclarify's."""


def divide(a: float, b: float) -> float:
    """smclarify's ``divide``: 0/0 is 0.0, x/0 is ±inf."""
    if b == 0 and a == 0:
        return 0.0
    if b == 0:
        return -INF if a < 0 else INF
    return a / b


@dataclass(frozen=True)
class GroupCounts:
    """Per value of the group variable (sorted as ``numpy.unique`` sorts): rows, and the
    [d, y, ŷ] counts of each group. ``error`` is set when smclarify's ``np.unique`` would fail."""

    sizes: np.ndarray  # (G,) rows per group
    cells: np.ndarray  # (G, 2, 2, 2) counts by [group, d, y, ŷ]
    error: str | None = None


@dataclass(frozen=True)
class FacetCounts:
    """Counts of one facet entry: ``cells[d, y, ŷ]`` (int64, 2×2×2) and the group counts.

    ``predicted`` tells whether ŷ is meaningful (post-training); pre-training metrics sum it out.
    """

    cells: np.ndarray
    groups: GroupCounts | None = None

    def n(self, d: bool | None = None, y: bool | None = None, p: bool | None = None) -> int:
        """Rows with the given facet / label / prediction memberships (None: any)."""
        c = self.cells
        c = c[int(d)] if d is not None else c.sum(axis=0)
        c = c[int(y)] if y is not None else c.sum(axis=0)
        c = c[int(p)] if p is not None else c.sum(axis=0)
        return int(c)


def _facets_present(c: FacetCounts, empty: str, negated: str) -> None:
    if c.n(d=True) == 0:
        raise MetricError(empty)
    if c.n(d=False) == 0:
        raise MetricError(negated)


# ---- pre-training


def CI(c: FacetCounts) -> Value:
    pos, neg = c.n(d=True), c.n(d=False)
    if neg == 0:
        raise MetricError("CI: negated facet set is empty. Check that x[~facet] has non-zero length.")
    if pos == 0:
        raise MetricError("CI: facet set is empty. Check that x[facet] has non-zero length.")
    return float(neg - pos) / (pos + neg)


def _dpl(c: FacetCounts, predicted: bool) -> Value:
    na, nd = c.n(d=False), c.n(d=True)
    if predicted:
        na_pos, nd_pos = c.n(d=False, p=True), c.n(d=True, p=True)
    else:
        na_pos, nd_pos = c.n(d=False, y=True), c.n(d=True, y=True)
    if na == 0:
        raise MetricError("Negative facet set is empty.")
    if nd == 0:
        raise MetricError("Facet set is empty.")
    return na_pos / na - nd_pos / nd


def DPL(c: FacetCounts) -> Value:
    return _dpl(c, predicted=False)


def _pmfs(c: FacetCounts) -> tuple[np.ndarray, np.ndarray]:
    """smclarify's ``pdfs_aligned_nonzero`` of the collapsed label in facets a and d."""
    counts = {d: [c.n(d=d, y=False), c.n(d=d, y=True)] for d in (False, True)}
    pa_list: list[float] = []
    pd_list: list[float] = []
    total_a, total_d = sum(counts[False]), sum(counts[True])
    for outcome in (0, 1):  # keys sorted: False, True
        ca, cd = counts[False][outcome], counts[True][outcome]
        if ca and cd:
            pa_list.append(ca / total_a)
            pd_list.append(cd / total_d)
    return np.array(pa_list), np.array(pd_list)


_NO_COMMON = "No instance of common facet found, dataset may be too small"


def KL(c: FacetCounts) -> Value:
    pa, pd = _pmfs(c)
    if len(pa) == 0 or len(pd) == 0:
        raise MetricError(_NO_COMMON)
    return float(np.sum(pa * np.log(pa / pd)))


def JS(c: FacetCounts) -> Value:
    pa, pd = _pmfs(c)
    p = 1 / 2 * (pa + pd)
    if len(pa) == 0 or len(pd) == 0 or len(p) == 0:
        raise MetricError(_NO_COMMON)
    return float(0.5 * (np.sum(pa * np.log(pa / p)) + np.sum(pd * np.log(pd / p))))


def _lp(c: FacetCounts, order: float) -> float:
    pa, pd = _pmfs(c)
    if len(pa) == 0 or len(pd) == 0:
        raise MetricError(_NO_COMMON)
    return float(np.linalg.norm(pa - pd, order))


def _fma_dot(x: np.ndarray) -> float:
    """``x · x`` accumulated with fused multiply-adds, as the BLAS ``ddot`` in Clarify's container does
    (``np.linalg.norm(x, 2)`` is ``sqrt(x.dot(x))``): each step rounds once. This reproduces the LP
    values of real Clarify output to the last bit (e.g. 0.021634506992825184 in the SDK's golden file,
    where a non-fused dot gives 0.02163450699282518)."""
    acc = 0.0
    for v in x.tolist():
        acc = float(Fraction(acc) + Fraction(v) * Fraction(v))
    return acc


def LP(c: FacetCounts) -> Value:
    pa, pd = _pmfs(c)
    if len(pa) == 0 or len(pd) == 0:
        raise MetricError(_NO_COMMON)
    return math.sqrt(_fma_dot(pa - pd))


def TVD(c: FacetCounts) -> Value:
    return 0.5 * _lp(c, 1)


def KS(c: FacetCounts) -> Value:
    return _lp(c, np.inf)


def _cdd(c: FacetCounts, predicted: bool) -> Value:
    groups = c.groups
    if groups is None or c.n() == 0:
        raise MetricError("Group variable is empty or not provided")
    positives = c.n(p=True) if predicted else c.n(y=True)
    if positives == 0:
        raise MetricError("No positive labels in set")
    if c.n() - positives == 0:
        raise MetricError("No negative labels in set")
    if groups.error is not None:
        raise MetricError(groups.error)
    # [group, d, outcome]: sum out the label (for ŷ) or the prediction (for y)
    cells = groups.cells.sum(axis=2) if predicted else groups.cells.sum(axis=3)
    dd = []
    for i in range(len(groups.sizes)):
        num_a, denom_a = int(cells[i, 1, 1]), int(cells[i, :, 1].sum())
        num_d, denom_d = int(cells[i, 1, 0]), int(cells[i, :, 0].sum())
        a = num_a / denom_a if denom_a != 0 else 0
        d = num_d / denom_d if denom_d != 0 else 0
        dd.append(d - a)
    sizes = groups.sizes.astype(np.float64)
    return float(divide(np.sum(sizes * np.array(dd, dtype=np.float64)), np.sum(sizes)))


def CDDL(c: FacetCounts) -> Value:
    return _cdd(c, predicted=False)


# ---- post-training


def DPPL(c: FacetCounts) -> Value:
    return _dpl(c, predicted=True)


def DI(c: FacetCounts) -> Value:
    na = c.n(d=False)
    if na == 0:
        raise MetricError("Negated facet set is empty")
    qa = c.n(d=False, p=True) / na
    nd = c.n(d=True)
    if nd == 0:
        raise MetricError("Facet set is empty")
    qd = c.n(d=True, p=True) / nd
    return divide(qd, qa)


def _dco(c: FacetCounts) -> tuple[Value, Value]:
    _facets_present(c, "DCO: Facet set is empty", "DCO: Negated Facet set is empty")
    rr_a = divide(c.n(d=False, y=False), c.n(d=False, p=False))
    rr_d = divide(c.n(d=True, y=False), c.n(d=True, p=False))
    ca = divide(c.n(d=False, y=True), c.n(d=False, p=True))
    cd = divide(c.n(d=True, y=True), c.n(d=True, p=True))
    dca: Value = ca - cd if not (ca == cd == INF) else 0
    dcr: Value = rr_d - rr_a if not (rr_a == rr_d == INF) else 0
    return dca, dcr


def DCA(c: FacetCounts) -> Value:
    return _dco(c)[0]


def DCR(c: FacetCounts) -> Value:
    return _dco(c)[1]


def _dlr(c: FacetCounts) -> tuple[Value, Value]:
    _facets_present(c, "DLR: Facet set is empty", "DLR: Negated Facet set is empty")
    ar_a = divide(c.n(d=False, y=True, p=True), c.n(d=False, p=True))
    ar_d = divide(c.n(d=True, y=True, p=True), c.n(d=True, p=True))
    rr_a = divide(c.n(d=False, y=False, p=False), c.n(d=False, p=False))
    rr_d = divide(c.n(d=True, y=False, p=False), c.n(d=True, p=False))
    dar: Value = ar_a - ar_d if not (ar_a == ar_d == INF) else 0
    drr: Value = rr_d - rr_a if not (rr_a == rr_d == INF) else 0
    return dar, drr


def DAR(c: FacetCounts) -> Value:
    return _dlr(c)[0]


def DRR(c: FacetCounts) -> Value:
    return _dlr(c)[1]


def _dla(c: FacetCounts) -> tuple[Value, Value]:
    _facets_present(c, "DLA: Facet set is empty", "DLA: Negated Facet set is empty")

    def rates(d: bool) -> tuple[float, float]:
        tp, fn = c.n(d=d, y=True, p=True), c.n(d=d, y=True, p=False)
        tn, fp = c.n(d=d, y=False, p=False), c.n(d=d, y=False, p=True)
        return divide(tp, tp + fn), divide(tn, tn + fp)

    rec_a, sp_a = rates(False)
    rec_d, sp_d = rates(True)
    rd: Value = rec_a - rec_d if not (rec_a == rec_d == INF) else 0
    sd: Value = sp_d - sp_a if not (sp_a == sp_d == INF) else 0
    return rd, sd


def RD(c: FacetCounts) -> Value:
    return _dla(c)[0]


def SD(c: FacetCounts) -> Value:
    return _dla(c)[1]


def AD(c: FacetCounts) -> Value:
    _facets_present(c, "Facet set is empty", "Negated Facet set is empty")

    def accuracy(d: bool) -> float:
        tp, tn = c.n(d=d, y=True, p=True), c.n(d=d, y=False, p=False)
        fp, fn = c.n(d=d, y=False, p=True), c.n(d=d, y=True, p=False)
        return divide(tp + tn, tp + tn + fp + fn)

    acc_a, acc_d = accuracy(False), accuracy(True)
    return acc_a - acc_d if not (acc_a == acc_d == INF) else 0.0


def CDDPL(c: FacetCounts) -> Value:
    return _cdd(c, predicted=True)


def TE(c: FacetCounts) -> Value:
    _facets_present(c, "Facet set is empty", "Negated Facet set is empty")
    tau_a = divide(c.n(d=False, y=True, p=False), c.n(d=False, y=False, p=True))
    tau_d = divide(c.n(d=True, y=True, p=False), c.n(d=True, y=False, p=True))
    return tau_d - tau_a if not (tau_a == tau_d == INF) else 0.0


def GE(c: FacetCounts) -> Value:
    """Generalized entropy (α = 2) of the benefit b = ŷ − y + 1 over the whole dataset."""
    n = c.n()
    if n <= 0:
        raise MetricError("dataset must be non-empty")
    counts = [
        c.n(y=True, p=False),  # b = 0
        c.n(y=True, p=True) + c.n(y=False, p=False),  # b = 1
        c.n(y=False, p=True),  # b = 2
    ]
    mean = float(counts[1] + 2 * counts[2]) / n
    if mean == 0:
        raise MetricError(
            "All predicted labels are false negatives. There should be at least one prediction that is not "
            "false negative."
        )
    terms = []
    for benefit, count in enumerate(counts):
        ratio = benefit / mean
        terms.append(count * (ratio * ratio - 1))
    return math.fsum(terms) / (n * 2 * 1)


def flip_test(features: np.ndarray, d: np.ndarray, predicted: np.ndarray) -> Value:
    """FT: the share of facet d whose prediction flips when judged by its facet-a nearest neighbours.

    ``features`` is the (rows × columns) float matrix in dataset order, ``d`` and ``predicted`` boolean
    row masks. FT = (#{ŷ_d = 1, kNN = 0} − #{ŷ_d = 0, kNN = 1}) / n_d, as smclarify computes it.
    """
    if not d.any():
        raise MetricError("Facet set is empty")
    if d.all():
        raise MetricError("Negated Facet set is empty")
    try:
        from sklearn.neighbors import KNeighborsClassifier
    except ImportError:  # pragma: no cover - scikit-learn ships with the "explain" extra
        raise MetricError("FT needs scikit-learn (pip install 'modelwatch[explain]')") from None
    x_a, y_a = features[~d], predicted[~d]
    knn = KNeighborsClassifier(
        n_neighbors=5 if len(x_a) > 9 else 1,
        weights="uniform",
        algorithm="auto",
        leaf_size=30,
        p=2,
        metric="minkowski",
    )
    try:
        knn.fit(x_a, y_a)
        flipped = np.asarray(knn.predict(features[d]), dtype=bool)
    except ValueError as exc:
        raise MetricError(str(exc)) from None
    model = predicted[d]
    positive = int(np.sum(model & ~flipped))
    negative = int(np.sum(~model & flipped))
    return divide(positive - negative, int(d.sum()))


PRE_TRAINING: dict[str, Callable[[FacetCounts], Value]] = {
    "CI": CI,
    "DPL": DPL,
    "KL": KL,
    "JS": JS,
    "LP": LP,
    "TVD": TVD,
    "KS": KS,
    "CDDL": CDDL,
}
POST_TRAINING: dict[str, Callable[[FacetCounts], Value] | None] = {
    "DPPL": DPPL,
    "DI": DI,
    "DCA": DCA,
    "DCR": DCR,
    "RD": RD,
    "SD": SD,
    "DAR": DAR,
    "DRR": DRR,
    "AD": AD,
    "CDDPL": CDDPL,
    "TE": TE,
    "FT": None,  # needs the feature rows: see flip_test
    "GE": GE,
}

DESCRIPTIONS: dict[str, str] = {
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DI": "Disparate Impact (DI)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "TE": "Treatment Equality (TE)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
}

# The value of "no bias" for each metric (spec §4-5 ranges): 1 for the ratio DI, 0 for the others.
IDEAL: dict[str, float] = {name: 1.0 if name == "DI" else 0.0 for name in DESCRIPTIONS}


def compute_metric(name: str, counts: FacetCounts) -> tuple[Any, str | None]:
    """(value, None) or (None, error message) for a count-based metric."""
    function = PRE_TRAINING.get(name) or POST_TRAINING.get(name)
    if function is None:
        raise KeyError(name)
    try:
        return function(counts), None
    except MetricError as exc:
        return None, str(exc)
