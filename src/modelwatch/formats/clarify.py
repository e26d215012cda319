"""SageMaker Clarify's bias ``analysis.json`` and bias ``constraint_violations.json`` (spec clarify.md §6-7).

Clarify is written in Python and writes these files with ``json.dumps(..., indent=4)``: four-space
indentation, ``"key": value``, floats as Python ``repr``, no trailing newline. The golden files of the
SageMaker SDK (``clarify_check_step/data_bias/*/analysis.json``) have exactly that layout, and
:func:`bias_report_to_json` reproduces them byte for byte.

Layout::

    {
        "version": "1.0",
        "pre_training_bias_metrics": {
            "label": "Label",
            "facets": {"F1": [{"value_or_threshold": "(0.5, 0.99]",
                               "metrics": [{"name": "CDDL", "description": "…", "value": 0.04}, …]}]},
            "label_value_or_threshold": "1"
        },
        "post_training_bias_metrics": { same shape },
        "explanations": { … }            (written by the explainability analysis; kept as is)
    }

* ±infinity is the string ``"Infinity"`` / ``"-Infinity"`` on file (smclarify's ``inf_as_str``) and
  ``float("inf")`` in memory; a failed metric is ``"value": null`` plus an ``"error"`` text.
* Values keep their Python type: smclarify writes an integer ``0`` where it replaces ``inf - inf``
  (DCA, DCR, DAR, DRR), and so do we.
* ``explanations`` and any other unknown top-level key pass through unchanged, so the
  explainability analysis can add its section to the same file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelwatch.errors import FormatError

__all__ = [
    "BIAS_DRIFT_CHECK",
    "BiasMetric",
    "BiasReport",
    "BiasStage",
    "BiasViolation",
    "FacetBias",
    "bias_report_from_dict",
    "bias_report_from_json",
    "bias_report_to_dict",
    "bias_report_to_json",
    "bias_violations_from_json",
    "bias_violations_to_json",
]

BIAS_DRIFT_CHECK = "bias_drift_check"
PRE_TRAINING_KEY = "pre_training_bias_metrics"
POST_TRAINING_KEY = "post_training_bias_metrics"

MetricValue = float | int | None


@dataclass(frozen=True)
class BiasMetric:
    """One metric of one facet value: ``value`` is None exactly when ``error`` says why."""

    name: str
    description: str
    value: MetricValue
    error: str | None = None


@dataclass(frozen=True)
class FacetBias:
    """The metrics of one sensitive group (facet d) of a facet column."""

    value_or_threshold: str
    metrics: tuple[BiasMetric, ...]

    def metric(self, name: str) -> BiasMetric | None:
        """The metric called ``name`` (e.g. ``"DPPL"``), or None when it was not computed."""
        return next((m for m in self.metrics if m.name == name), None)


@dataclass(frozen=True)
class BiasStage:
    """One stage (pre- or post-training) of a bias analysis: facet name → one entry per group."""

    label: str
    label_value_or_threshold: str
    facets: dict[str, tuple[FacetBias, ...]]


@dataclass(frozen=True)
class BiasReport:
    """The content of Clarify's bias ``analysis.json``."""

    pre_training: BiasStage | None = None
    post_training: BiasStage | None = None
    version: str = "1.0"
    explanations: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # the group counts the report was computed from (not written to file); the bias drift check's
    # bootstrap resamples them
    tally: Any = field(default=None, compare=False, repr=False)

    def stages(self) -> list[tuple[str, BiasStage]]:
        """``[("pre_training_bias_metrics", stage), ("post_training_bias_metrics", stage)]``, present only."""
        pairs = [(PRE_TRAINING_KEY, self.pre_training), (POST_TRAINING_KEY, self.post_training)]
        return [(key, stage) for key, stage in pairs if stage is not None]


@dataclass(frozen=True)
class BiasViolation:
    """One entry of a bias ``constraint_violations.json`` (spec §7).

    ``facet`` is the config's ``name_or_index``; ``facet_value`` the config's ``value_or_threshold``
    joined with ","; ``stage``, ``baseline`` and ``current`` are kept in memory only (not on file).
    """

    facet: str
    facet_value: str
    metric_name: str
    description: str
    constraint_check_type: str = BIAS_DRIFT_CHECK
    stage: str | None = None
    baseline: MetricValue = None
    current: MetricValue = None


def _value_to_json(value: MetricValue) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _stage_to_dict(stage: BiasStage) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    for name, entries in stage.facets.items():
        facets[name] = [
            {
                "value_or_threshold": entry.value_or_threshold,
                "metrics": [
                    {"name": m.name, "description": m.description, "value": _value_to_json(m.value)}
                    | ({"error": m.error} if m.error is not None else {})
                    for m in entry.metrics
                ],
            }
            for entry in entries
        ]
    return {
        "label": stage.label,
        "facets": facets,
        "label_value_or_threshold": stage.label_value_or_threshold,
    }


def bias_report_to_dict(report: BiasReport) -> dict[str, Any]:
    """The JSON object of ``report`` in Clarify's key order (version, pre, post, explanations, others)."""
    out: dict[str, Any] = {"version": report.version}
    for key, stage in report.stages():
        out[key] = _stage_to_dict(stage)
    if report.explanations is not None:
        out["explanations"] = report.explanations
    for key, value in report.extra.items():
        out.setdefault(key, value)
    return out


def bias_report_to_json(report: BiasReport) -> str:
    """``analysis.json`` text as Clarify writes it (``json.dumps`` with ``indent=4``)."""
    return json.dumps(bias_report_to_dict(report), indent=4)


def _require(obj: Any, key: str, kind: type | tuple[type, ...], file: str | None, path: str) -> Any:
    if not isinstance(obj, Mapping) or key not in obj:
        raise FormatError("missing key", file=file, key=f"{path}.{key}" if path else key)
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise FormatError(
            f"expected {_names(kind)}, got {type(value).__name__}", file=file, key=f"{path}.{key}"
        )
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _names(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _as_tuple(kind))


def _value_from_json(raw: Any, file: str | None, path: str) -> MetricValue:
    if raw is None or (isinstance(raw, int | float) and not isinstance(raw, bool)):
        return raw
    if raw == "Infinity":
        return math.inf
    if raw == "-Infinity":
        return -math.inf
    if raw == "NaN":
        return math.nan
    raise FormatError(f"expected a number, null, 'Infinity' or '-Infinity', got {raw!r}", file=file, key=path)


def _stage_from_dict(obj: Any, file: str | None, path: str) -> BiasStage:
    if not isinstance(obj, Mapping):
        raise FormatError(f"expected an object, got {type(obj).__name__}", file=file, key=path)
    facets_raw = _require(obj, "facets", dict, file, path)
    facets: dict[str, tuple[FacetBias, ...]] = {}
    for name, entries in facets_raw.items():
        where = f"{path}.facets.{name}"
        if not isinstance(entries, list):
            raise FormatError(f"expected a list, got {type(entries).__name__}", file=file, key=where)
        parsed = []
        for i, entry in enumerate(entries):
            at = f"{where}[{i}]"
            metrics_raw = _require(entry, "metrics", list, file, at)
            metrics = []
            for k, m in enumerate(metrics_raw):
                mat = f"{at}.metrics[{k}]"
                error = m.get("error") if isinstance(m, Mapping) else None
                if error is not None and not isinstance(error, str):
                    raise FormatError("expected a string", file=file, key=f"{mat}.error")
                if not isinstance(m, Mapping) or "value" not in m:
                    raise FormatError("missing key", file=file, key=f"{mat}.value")
                metrics.append(
                    BiasMetric(
                        name=_require(m, "name", str, file, mat),
                        description=m.get("description", "") if isinstance(m.get("description"), str) else "",
                        value=_value_from_json(m["value"], file, f"{mat}.value"),
                        error=error,
                    )
                )
            parsed.append(
                FacetBias(str(_require(entry, "value_or_threshold", str, file, at)), tuple(metrics))
            )
        facets[str(name)] = tuple(parsed)
    label = obj.get("label", "")
    threshold = obj.get("label_value_or_threshold", "")
    return BiasStage(str(label), str(threshold), facets)


def bias_report_from_dict(obj: Any, *, file: str | None = None) -> BiasReport:
    """Read an ``analysis.json`` object (Clarify's or ours). Unknown top-level keys are kept in ``extra``.

    Raises :class:`~modelwatch.errors.FormatError` naming ``file`` and the key path.
    """
    if not isinstance(obj, Mapping):
        raise FormatError(f"expected a JSON object, got {type(obj).__name__}", file=file)
    pre = obj.get(PRE_TRAINING_KEY)
    post = obj.get(POST_TRAINING_KEY)
    explanations = obj.get("explanations")
    if explanations is not None and not isinstance(explanations, dict):
        raise FormatError("expected an object", file=file, key="explanations")
    known = {"version", PRE_TRAINING_KEY, POST_TRAINING_KEY, "explanations"}
    return BiasReport(
        pre_training=_stage_from_dict(pre, file, PRE_TRAINING_KEY) if pre is not None else None,
        post_training=_stage_from_dict(post, file, POST_TRAINING_KEY) if post is not None else None,
        version=str(obj.get("version", "1.0")),
        explanations=explanations,
        extra={k: v for k, v in obj.items() if k not in known},
    )


def bias_report_from_json(text: str, *, file: str | None = None) -> BiasReport:
    """Parse ``analysis.json`` text; see :func:`bias_report_from_dict`."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", file=file
        ) from None
    return bias_report_from_dict(obj, file=file)


def bias_violations_to_json(violations: list[BiasViolation] | tuple[BiasViolation, ...]) -> str:
    """A bias ``constraint_violations.json`` (spec §7), written like Clarify's other files."""
    items = [
        {
            "facet": v.facet,
            "facet_value": v.facet_value,
            "metric_name": v.metric_name,
            "constraint_check_type": v.constraint_check_type,
            "description": v.description,
        }
        for v in violations
    ]
    return json.dumps({"version": "1.0", "violations": items}, indent=4)


def bias_violations_from_json(text: str, *, file: str | None = None) -> list[BiasViolation]:
    """Read a bias ``constraint_violations.json``; raises FormatError naming the key path."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", file=file
        ) from None
    items = _require(obj, "violations", list, file, "")
    out = []
    for i, item in enumerate(items):
        at = f"violations[{i}]"
        out.append(
            BiasViolation(
                facet=str(_require(item, "facet", (str, int), file, at)),
                facet_value=str(_require(item, "facet_value", (str, int, float), file, at)),
                metric_name=_require(item, "metric_name", str, file, at),
                description=_require(item, "description", str, file, at),
                constraint_check_type=_require(item, "constraint_check_type", str, file, at),
            )
        )
    return out
