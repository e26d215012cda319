"""The threshold lines of a metric's chart, from the schedule's baseline constraints.

* ``feature_baseline_drift_{f}``: the drift threshold of feature ``f`` (``comparison_threshold``, or
  ``categorical_comparison_threshold`` for a String feature), after its overrides;
* ``feature_non_null_{f}``: the feature's ``completeness`` (below it, ``completeness_check`` fires);
* a model-quality metric: its ``threshold`` in the ``*_constraints`` block, labelled with its operator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from modelwatch.checks.config import resolve_config
from modelwatch.errors import ModelwatchError
from modelwatch.formats.constraints import Constraints, constraints_from_json
from modelwatch.reports.data_quality import number
from modelwatch.reports.model_quality import metrics_block

__all__ = ["Thresholds"]


class Thresholds:
    """Looks up the threshold lines of metric names in one constraints document."""

    def __init__(self, doc: Any) -> None:
        self._dq: Constraints | None = None
        self._mq: Mapping[str, Any] = {}
        if isinstance(doc, Mapping) and ("features" in doc or "monitoring_config" in doc):
            try:
                self._dq = constraints_from_json(json.dumps(doc))
            except ModelwatchError:
                self._dq = None
        found = metrics_block(doc, "_constraints")
        if found is not None:
            self._mq = found[1]

    def lines(self, metric: str) -> list[tuple[str, float]]:
        """``(label, value)`` of each threshold line of ``metric``."""
        if metric in self._mq and isinstance(self._mq[metric], Mapping):
            node = self._mq[metric]
            value = number(node.get("threshold"))
            return [(str(node.get("comparison_operator", "threshold")), value)] if value is not None else []
        if self._dq is None:
            return []
        for prefix in ("feature_baseline_drift_", "feature_non_null_"):
            if metric.startswith(prefix):
                feature = self._dq.feature(metric.removeprefix(prefix))
                if feature is None:
                    return []
                if prefix == "feature_non_null_":
                    return (
                        [("completeness", feature.completeness)] if feature.completeness is not None else []
                    )
                try:
                    config = resolve_config(
                        self._dq.monitoring_config, feature.monitoring_config_overrides, feature=feature.name
                    )
                except ModelwatchError:
                    return []
                if feature.inferred_type.value == "String":
                    return [("categorical_comparison_threshold", config.categorical_comparison_threshold)]
                return [("comparison_threshold", config.comparison_threshold)]
        return []
