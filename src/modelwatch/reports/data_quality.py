"""The data-quality part of an execution's results: per-feature summaries and baseline-vs-current
distributions (from the KLL buckets and categorical buckets of the two statistics.json files), and the
drift scores of drift.json with the threshold each feature's drift check uses (from constraints.json).

Features are paired by name; a current feature whose name the baseline lacks is paired by position,
as the checks pair them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelwatch.checks.config import CategoricalDriftMethod, NumericDriftMethod, resolve_config
from modelwatch.errors import ModelwatchError
from modelwatch.formats.constraints import Constraints
from modelwatch.reports import charts

__all__ = [
    "DataQualityResults",
    "DriftRow",
    "FeatureResult",
    "FeatureSummary",
    "ViolationRow",
    "data_quality_results",
]

HISTOGRAM_BINS = 20
TOP_CATEGORIES = 15
OTHER = "(other values)"

_NUMERIC_KEYS = {
    NumericDriftMethod.SIMPLE: "linf_simple",
    NumericDriftMethod.ROBUST: "linf_robust",
    NumericDriftMethod.PSI: "psi",
    NumericDriftMethod.JENSEN_SHANNON: "js_distance",
    NumericDriftMethod.KOLMOGOROV_SMIRNOV: "ks_statistic",
    NumericDriftMethod.WASSERSTEIN: "wasserstein_normalized",
}
_CATEGORICAL_KEYS = {
    CategoricalDriftMethod.CHI_SQUARED: "chi_squared_pvalue",
    CategoricalDriftMethod.PSI: "psi",
    CategoricalDriftMethod.JENSEN_SHANNON: "js_distance",
}
DRIFT_COLUMNS = (
    "linf_simple",
    "linf_robust",
    "psi",
    "js_distance",
    "ks_statistic",
    "ks_pvalue",
    "wasserstein_normalized",
    "chi_squared_statistic",
    "chi_squared_pvalue",
)


def number(value: Any) -> float | None:
    """A JSON number or SageMaker's "NaN"/"Infinity" strings as a float; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _get(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


@dataclass(frozen=True)
class ViolationRow:
    """One line of constraint_violations.json (``subject`` = feature_name, or metric_name for
    model-quality files)."""

    subject: str
    check_type: str
    description: str


@dataclass(frozen=True)
class FeatureSummary:
    """One side (baseline or current) of a feature."""

    inferred_type: str
    num_present: int
    num_missing: int
    mean: float | None = None
    std_dev: float | None = None
    min: float | None = None
    max: float | None = None
    distinct_count: float | None = None

    @property
    def completeness(self) -> float | None:
        total = self.num_present + self.num_missing
        return self.num_present / total if total else None


@dataclass(frozen=True)
class DriftRow:
    name: str
    kind: str
    values: dict[str, float | None]
    method: str | None = None
    checked: float | None = None
    threshold: float | None = None
    exceeded: bool = False
    skipped: str | None = None


@dataclass(frozen=True)
class FeatureResult:
    name: str
    kind: str  # numeric | categorical | unknown
    current: FeatureSummary | None
    baseline: FeatureSummary | None
    figure: charts.Figure | None
    violations: tuple[ViolationRow, ...] = ()
    drift: DriftRow | None = None


@dataclass(frozen=True)
class DataQualityResults:
    item_count: int | None
    baseline_item_count: int | None
    features: tuple[FeatureResult, ...]
    drift_rows: tuple[DriftRow, ...] = ()
    drift_figure: charts.Figure | None = None
    problems: list[str] = field(default_factory=list)


# -- one feature of statistics.json ----------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    summary: FeatureSummary
    kind: str
    buckets: tuple[tuple[float, float, float], ...] = ()  # lower bound, upper bound, count
    categories: dict[str, float] | None = None


def _side(node: Mapping[str, Any]) -> _Side | None:
    inferred = str(node.get("inferred_type", "Unknown"))
    numerical = node.get("numerical_statistics")
    string = node.get("string_statistics")
    if isinstance(numerical, Mapping):
        common = numerical.get("common") or {}
        summary = FeatureSummary(
            inferred_type=inferred,
            num_present=int(number(_get(common, "num_present")) or 0),
            num_missing=int(number(_get(common, "num_missing")) or 0),
            mean=number(numerical.get("mean")),
            std_dev=number(numerical.get("std_dev")),
            min=number(numerical.get("min")),
            max=number(numerical.get("max")),
        )
        kll = _get(numerical, "distribution", "kll")
        buckets = tuple(
            (lo, hi, count)
            for b in (_get(kll, "buckets") or [])
            if isinstance(b, Mapping)
            and (lo := number(b.get("lower_bound"))) is not None
            and (hi := number(b.get("upper_bound"))) is not None
            and (count := number(b.get("count"))) is not None
        )
        return _Side(summary, "numeric", buckets=buckets)
    if isinstance(string, Mapping):
        common = string.get("common") or {}
        summary = FeatureSummary(
            inferred_type=inferred,
            num_present=int(number(_get(common, "num_present")) or 0),
            num_missing=int(number(_get(common, "num_missing")) or 0),
            distinct_count=number(string.get("distinct_count")),
        )
        categories: dict[str, float] = {}
        for bucket in _get(string, "distribution", "categorical", "buckets") or []:
            if isinstance(bucket, Mapping) and (count := number(bucket.get("count"))) is not None:
                categories[str(bucket.get("value"))] = categories.get(str(bucket.get("value")), 0.0) + count
        kind = "unknown" if inferred == "Unknown" else "categorical"
        return _Side(summary, kind, categories=categories)
    return _Side(FeatureSummary(inferred_type=inferred, num_present=0, num_missing=0), "unknown")


def _shares(buckets: tuple[tuple[float, float, float], ...], edges: np.ndarray) -> np.ndarray:
    """The share of a side's values in each bin of ``edges``, from its KLL buckets: each bucket's count
    spread evenly over its range (a bucket of zero width counts in the bin that holds its value)."""
    table = np.asarray(buckets, dtype=np.float64)
    low, high, count = table[:, 0], table[:, 1], table[:, 2]
    width = high - low
    overlap = np.clip(
        np.minimum(high[:, None], edges[None, 1:]) - np.maximum(low[:, None], edges[None, :-1]), 0.0, None
    )
    spread = np.divide(overlap, width[:, None], out=np.zeros_like(overlap), where=width[:, None] > 0)
    point = np.clip(np.searchsorted(edges, low, side="right") - 1, 0, edges.size - 2)
    spread[width <= 0, :] = 0.0
    spread[np.flatnonzero(width <= 0), point[width <= 0]] = 1.0
    masses = (count[:, None] * spread).sum(axis=0)
    total = masses.sum()
    return masses / total if total > 0 else masses


def _numeric_figure(base: _Side | None, cur: _Side | None) -> charts.Figure | None:
    """Baseline and current histograms over the same bins, from the KLL buckets of statistics.json
    (their sketches are not read: parsing them would cost more than the whole page). When both sides
    have the same bucket bounds the buckets are the bins; otherwise both are spread over
    :data:`HISTOGRAM_BINS` bins spanning the two ranges."""
    sides = [s for s in (base, cur) if s is not None and s.kind == "numeric" and s.buckets]
    if not sides:
        return None
    bounds = [tuple((b[0], b[1]) for b in s.buckets) for s in sides]
    if len(set(bounds)) == 1:
        edges = np.array([b[0] for b in bounds[0]] + [bounds[0][-1][1]], dtype=np.float64)
        if np.any(np.diff(edges) <= 0):
            edges = np.array([], dtype=np.float64)
    else:
        edges = np.array([], dtype=np.float64)
    if edges.size == 0:
        low = min(b[0] for s in sides for b in s.buckets)
        high = max(b[1] for s in sides for b in s.buckets)
        edges = (
            np.array([low - 0.5, low + 0.5]) if high <= low else np.linspace(low, high, HISTOGRAM_BINS + 1)
        )

    def share(side: _Side | None) -> np.ndarray | None:
        return _shares(side.buckets, edges) if side in sides and side is not None else None

    return charts.numeric_figure(edges, share(base), share(cur))


def _categorical_figure(base: _Side | None, cur: _Side | None) -> charts.Figure | None:
    def shares(side: _Side | None) -> dict[str, float] | None:
        if side is None or side.categories is None:
            return None
        total = sum(side.categories.values())
        return {k: v / total for k, v in side.categories.items()} if total > 0 else {}

    p, q = shares(base), shares(cur)
    if not p and not q:
        return None
    keys = set(p or {}) | set(q or {})
    ranked = sorted(keys, key=lambda k: (-max((p or {}).get(k, 0.0), (q or {}).get(k, 0.0)), k))
    top = ranked[:TOP_CATEGORIES]
    categories = list(top)
    if len(ranked) > TOP_CATEGORIES:
        categories.append(OTHER)

    def values(side: dict[str, float] | None) -> list[float] | None:
        if side is None:
            return None
        out = [side.get(k, 0.0) for k in top]
        if len(ranked) > TOP_CATEGORIES:
            out.append(max(0.0, 1.0 - sum(out)) if side else 0.0)
        return out

    return charts.categorical_figure(categories, values(p), values(q))


# -- drift.json ------------------------------------------------------------------------------------


def _drift_rows(drift: Any, constraints: Constraints | None, problems: list[str]) -> list[DriftRow]:
    rows = []
    for node in _get(drift, "features") or []:
        if not isinstance(node, Mapping):
            continue
        name, kind = str(node.get("name")), str(node.get("kind", "numeric"))
        values = {key: number(node.get(key)) for key in DRIFT_COLUMNS}
        method, checked, threshold, exceeded = None, None, None, False
        feature = constraints.feature(name) if constraints is not None else None
        if constraints is not None:
            try:
                config = resolve_config(
                    constraints.monitoring_config,
                    feature.monitoring_config_overrides if feature else None,
                    feature=name,
                )
            except ModelwatchError as error:
                problems.append(str(error))
                config = None
            if config is not None and config.perform_comparison and config.evaluate_constraints:
                if kind == "numeric":
                    method = config.comparison_method.value
                    checked = values.get(_NUMERIC_KEYS[config.comparison_method])
                    threshold = config.comparison_threshold
                else:
                    categorical = config.categorical_drift_method
                    method = categorical.value
                    key = _CATEGORICAL_KEYS.get(categorical) or (
                        "linf_robust"
                        if config.comparison_method is NumericDriftMethod.ROBUST
                        else "linf_simple"
                    )
                    checked = values.get(key)
                    threshold = config.categorical_comparison_threshold
                if checked is not None and not math.isnan(checked):
                    exceeded = (
                        checked < threshold
                        if method == CategoricalDriftMethod.CHI_SQUARED.value
                        else checked > threshold
                    )
        else:
            checked = values["linf_robust"] if kind == "numeric" else values["linf_simple"]
        rows.append(DriftRow(name, kind, values, method, checked, threshold, exceeded))
    for node in _get(drift, "skipped") or []:
        if isinstance(node, Mapping):
            rows.append(DriftRow(str(node.get("name")), "—", {}, skipped=str(node.get("reason", ""))))
    return rows


def _drift_figure(rows: Sequence[DriftRow]) -> charts.Figure | None:
    shown = [(r, r.checked) for r in rows if r.skipped is None and r.checked is not None]
    if not shown:
        return None
    methods = sorted({r.method for r, _ in shown if r.method})
    title = "distance" + (f" ({', '.join(methods)})" if methods else "")
    return charts.drift_figure(
        [r.name for r, _ in shown], [checked for _, checked in shown], [r.threshold for r, _ in shown], title
    )


# -- the whole --------------------------------------------------------------------------------------


def _features(doc: Any) -> list[Mapping[str, Any]]:
    return [f for f in (_get(doc, "features") or []) if isinstance(f, Mapping) and "name" in f]


def data_quality_results(
    current: Any,
    baseline: Any | None,
    constraints: Constraints | None,
    drift: Any | None,
    violations: Sequence[ViolationRow],
    problems: list[str],
) -> DataQualityResults:
    """Everything the data-quality section shows, from the parsed JSON documents."""
    cur_nodes, base_nodes = _features(current), _features(baseline)
    base_by_name = {str(n["name"]): n for n in base_nodes}
    current_names = {str(n["name"]) for n in cur_nodes}
    drift_rows = _drift_rows(drift, constraints, problems) if drift is not None else []
    drift_by_name = {r.name: r for r in drift_rows}
    by_feature: dict[str, list[ViolationRow]] = {}
    for v in violations:
        by_feature.setdefault(v.subject, []).append(v)
    features, seen = [], set()
    for index, node in enumerate(cur_nodes):
        name = str(node["name"])
        base_node = base_by_name.get(name)
        if (
            base_node is None
            and index < len(base_nodes)
            and str(base_nodes[index]["name"]) not in current_names
        ):
            base_node = base_nodes[index]  # renamed: paired by position, as the checks pair them
        base_name = str(base_node["name"]) if base_node is not None else name
        seen.add(base_name)
        cur, base = _side(node), _side(base_node) if base_node is not None else None
        features.append(_feature(name, base_name, cur, base, by_feature, drift_by_name))
    for node in base_nodes:
        name = str(node["name"])
        if name not in seen:
            features.append(_feature(name, name, None, _side(node), by_feature, drift_by_name))
    # features with violations first, then the others in file order
    features.sort(key=lambda f: 0 if f.violations else 1)
    return DataQualityResults(
        item_count=int(n) if (n := number(_get(current, "dataset", "item_count"))) is not None else None,
        baseline_item_count=int(n)
        if (n := number(_get(baseline, "dataset", "item_count"))) is not None
        else None,
        features=tuple(features),
        drift_rows=tuple(drift_rows),
        drift_figure=_drift_figure(drift_rows),
        problems=problems,
    )


def _feature(
    name: str,
    base_name: str,
    cur: _Side | None,
    base: _Side | None,
    violations: Mapping[str, list[ViolationRow]],
    drift: Mapping[str, DriftRow],
) -> FeatureResult:
    kinds = {s.kind for s in (cur, base) if s is not None}
    kind = "numeric" if "numeric" in kinds else "categorical" if "categorical" in kinds else "unknown"
    figure = _numeric_figure(base, cur) if kind == "numeric" else _categorical_figure(base, cur)
    found = violations.get(name, []) + (violations.get(base_name, []) if base_name != name else [])
    return FeatureResult(
        name=name,
        kind=kind,
        current=cur.summary if cur is not None else None,
        baseline=base.summary if base is not None else None,
        figure=figure,
        violations=tuple(found),
        drift=drift.get(base_name) or drift.get(name),
    )
