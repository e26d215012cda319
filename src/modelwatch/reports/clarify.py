"""The bias and explainability parts of an execution's results: Clarify's ``analysis.json``
(clarify spec §6 and §8), next to the baseline's analysis when there is one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelwatch.reports import charts
from modelwatch.reports.data_quality import number

__all__ = ["BiasGroup", "BiasMetric", "ExplanationLabel", "bias_groups", "explanation_labels", "is_analysis"]

STAGES = (("pre_training_bias_metrics", "pre-training"), ("post_training_bias_metrics", "post-training"))
TOP_FEATURES = 25


@dataclass(frozen=True)
class BiasMetric:
    name: str
    description: str
    value: float | None
    baseline: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class BiasGroup:
    """The metrics of one facet group (``value_or_threshold``) at one stage."""

    stage: str
    label: str
    facet: str
    value_or_threshold: str
    metrics: tuple[BiasMetric, ...]


@dataclass(frozen=True)
class ExplanationLabel:
    label: str
    expected_value: float | None
    baseline_expected_value: float | None
    figure: charts.Figure
    feature_count: int


def is_analysis(doc: Any) -> bool:
    """Whether ``doc`` is a Clarify analysis.json (bias metrics or explanations)."""
    return isinstance(doc, Mapping) and any(k in doc for k in ("explanations", *(s for s, _ in STAGES)))


def _metric_map(doc: Any) -> dict[tuple[str, str, str, str], float | None]:
    found = {}
    for stage, _ in STAGES:
        facets = ((doc or {}).get(stage) or {}).get("facets") if isinstance(doc, Mapping) else None
        if not isinstance(facets, Mapping):
            continue
        for facet, groups in facets.items():
            for group in groups if isinstance(groups, list) else []:
                if not isinstance(group, Mapping):
                    continue
                for metric in group.get("metrics") or []:
                    if isinstance(metric, Mapping):
                        key = (
                            stage,
                            str(facet),
                            str(group.get("value_or_threshold")),
                            str(metric.get("name")),
                        )
                        found[key] = number(metric.get("value"))
    return found


def bias_groups(current: Any, baseline: Any | None) -> list[BiasGroup]:
    """Every facet group of both stages, each metric with the baseline's value of the same group."""
    if not isinstance(current, Mapping):
        return []
    base = _metric_map(baseline)
    groups = []
    for stage, title in STAGES:
        block = current.get(stage)
        if not isinstance(block, Mapping) or not isinstance(block.get("facets"), Mapping):
            continue
        label = f"{block.get('label', '')} = {block.get('label_value_or_threshold', '')}"
        for facet, entries in block["facets"].items():
            for group in entries if isinstance(entries, list) else []:
                if not isinstance(group, Mapping):
                    continue
                where = str(group.get("value_or_threshold"))
                metrics = tuple(
                    BiasMetric(
                        name=str(m.get("name")),
                        description=str(m.get("description", "")),
                        value=number(m.get("value")),
                        baseline=base.get((stage, str(facet), where, str(m.get("name")))),
                        error=str(m["error"]) if m.get("error") else None,
                    )
                    for m in group.get("metrics") or []
                    if isinstance(m, Mapping)
                )
                groups.append(BiasGroup(title, label, str(facet), where, metrics))
    return groups


def _labels(doc: Any) -> dict[str, Mapping[str, Any]]:
    shap = ((doc or {}).get("explanations") or {}).get("kernel_shap") if isinstance(doc, Mapping) else None
    if not isinstance(shap, Mapping):
        return {}
    return {str(k): v for k, v in shap.items() if isinstance(v, Mapping)}


def explanation_labels(current: Any, baseline: Any | None) -> list[ExplanationLabel]:
    """One attribution chart per label: the top features by current |attribution|, baseline beside."""
    base = _labels(baseline)
    out = []
    for name, node in _labels(current).items():
        values = node.get("global_shap_values")
        if not isinstance(values, Mapping) or not values:
            continue
        current_values = {str(k): number(v) for k, v in values.items()}
        base_node = base.get(name) or {}
        base_values = base_node.get("global_shap_values") if isinstance(base_node, Mapping) else None
        ranked = sorted(current_values, key=lambda f: -abs(current_values[f] or 0.0))[:TOP_FEATURES]
        figure = charts.attribution_figure(
            ranked,
            [number(base_values.get(f)) for f in ranked] if isinstance(base_values, Mapping) else None,
            [current_values[f] for f in ranked],
        )
        out.append(
            ExplanationLabel(
                label=name,
                expected_value=number(node.get("expected_value")),
                baseline_expected_value=number(base_node.get("expected_value"))
                if isinstance(base_node, Mapping)
                else None,
                figure=figure,
                feature_count=len(current_values),
            )
        )
    return out
