"""The data-quality ``constraints.json`` model (SageMaker Model Monitor, spec 3.4) and its reader/writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelwatch.formats import jackson
from modelwatch.formats._reader import Node, parse
from modelwatch.formats.statistics import InferredType

__all__ = [
    "Constraints",
    "DistributionConstraints",
    "FeatureConstraints",
    "MonitoringConfig",
    "constraints_from_json",
    "constraints_to_json",
]


@dataclass(frozen=True)
class DistributionConstraints:
    perform_comparison: str = "Enabled"
    comparison_threshold: float = 0.1
    comparison_method: str = "Robust"
    categorical_comparison_threshold: float | None = None
    categorical_drift_method: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MonitoringConfig:
    evaluate_constraints: str = "Enabled"
    emit_metrics: str = "Enabled"
    datatype_check_threshold: float = 1.0
    domain_content_threshold: float = 1.0
    distribution_constraints: DistributionConstraints = field(default_factory=DistributionConstraints)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureConstraints:
    """One feature of constraints.json.

    ``monitoring_config_overrides`` holds per-feature overrides of :class:`MonitoringConfig` keys
    (SageMaker's SDK writes them under ``string_constraints.monitoring_config_overrides``; the docs name a
    feature-level ``monitoringConfigOverrides``; both are read). ``extra`` keeps unknown keys so that a
    hand-edited file survives a read/write round trip; unknown keys *inside* ``num_constraints`` or
    ``string_constraints`` are kept as a dict under ``extra["num_constraints"]`` /
    ``extra["string_constraints"]`` and written back inside that object.
    """

    name: str
    inferred_type: InferredType
    completeness: float | None = None
    is_non_negative: bool | None = None
    domains: tuple[str, ...] | None = None
    monitoring_config_overrides: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Constraints:
    features: tuple[FeatureConstraints, ...]
    monitoring_config: MonitoringConfig = field(default_factory=MonitoringConfig)
    version: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    """Unknown top-level keys, written back after the known ones."""

    def feature(self, name: str) -> FeatureConstraints | None:
        return next((f for f in self.features if f.name == name), None)


# -- constraints.json -----------------------------------------------------------------------------

_FEATURE_KEYS = (
    "name",
    "inferred_type",
    "completeness",
    "num_constraints",
    "string_constraints",
    "monitoringConfigOverrides",
    "monitoring_config_overrides",
)
_MONITORING_KEYS = (
    "evaluate_constraints",
    "emit_metrics",
    "datatype_check_threshold",
    "domain_content_threshold",
    "distribution_constraints",
)
DISTRIBUTION_KEYS = (
    "perform_comparison",
    "comparison_threshold",
    "comparison_method",
    "categorical_comparison_threshold",
    "categorical_drift_method",
)


def constraints_to_json(c: Constraints) -> str:
    """Write ``c`` as SageMaker's constraints.json text (key order of the analyzer's output).

    Keys whose value is ``None`` are left out; ``extra`` keys follow the known keys of their object.
    """
    doc: dict[str, Any] = {
        "version": float(c.version),
        "features": [_feature_to_dict(f) for f in c.features],
        "monitoring_config": _monitoring_to_dict(c.monitoring_config),
    }
    return jackson.dumps(_with_extra(doc, c.extra))


def _with_extra(known: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        known.setdefault(key, value)
    return known


def _feature_to_dict(f: FeatureConstraints) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "inferred_type": str(f.inferred_type)}
    if f.completeness is not None:
        out["completeness"] = float(f.completeness)
    num: dict[str, Any] = {} if f.is_non_negative is None else {"is_non_negative": bool(f.is_non_negative)}
    num.update(f.extra.get("num_constraints", {}))
    if num:
        out["num_constraints"] = num
    overrides_inside = f.monitoring_config_overrides is not None and f.inferred_type is InferredType.STRING
    string: dict[str, Any] = {}
    if f.domains is not None:
        string["domains"] = list(f.domains)
    if overrides_inside:
        string["monitoring_config_overrides"] = f.monitoring_config_overrides
    string.update(f.extra.get("string_constraints", {}))
    if string:
        out["string_constraints"] = string
    if f.monitoring_config_overrides is not None and not overrides_inside:
        out["monitoringConfigOverrides"] = f.monitoring_config_overrides
    return _with_extra(out, f.extra)


def _monitoring_to_dict(m: MonitoringConfig) -> dict[str, Any]:
    d = m.distribution_constraints
    dist: dict[str, Any] = {
        "perform_comparison": d.perform_comparison,
        "comparison_threshold": float(d.comparison_threshold),
        "comparison_method": d.comparison_method,
    }
    if d.categorical_comparison_threshold is not None:
        dist["categorical_comparison_threshold"] = float(d.categorical_comparison_threshold)
    if d.categorical_drift_method is not None:
        dist["categorical_drift_method"] = d.categorical_drift_method
    out: dict[str, Any] = {
        "evaluate_constraints": m.evaluate_constraints,
        "emit_metrics": m.emit_metrics,
        "datatype_check_threshold": float(m.datatype_check_threshold),
        "domain_content_threshold": float(m.domain_content_threshold),
        "distribution_constraints": _with_extra(dist, d.extra),
    }
    return _with_extra(out, m.extra)


def constraints_from_json(text: str, *, file: str | None = None) -> Constraints:
    """Read a data-quality constraints.json (any JSON layout).

    Only ``features`` and each feature's ``name`` and ``inferred_type`` are required; absent
    ``monitoring_config`` keys take the model defaults. Unknown keys go to the ``extra`` dicts.
    Raises :class:`~modelwatch.errors.FormatError` naming ``file`` and the key path.
    """
    root = parse(text, file)
    version = v.double() if (v := root.opt("version")) else 0.0
    features = tuple(_feature_from_node(node) for node in root.child("features").items())
    mc = root.opt("monitoring_config")
    return Constraints(
        features=features,
        monitoring_config=_monitoring_from_node(mc) if mc else MonitoringConfig(),
        version=version,
        extra=root.extra(("version", "features", "monitoring_config")),
    )


def _overrides(node: Node) -> dict[str, Any]:
    node.keys()  # raises unless an object
    return dict(node.value)


def _feature_from_node(node: Node) -> FeatureConstraints:
    extra = node.extra(_FEATURE_KEYS)
    is_non_negative = None
    if num := node.opt("num_constraints"):
        is_non_negative = b.boolean() if (b := num.opt("is_non_negative")) else None
        if num_extra := num.extra(("is_non_negative",)):
            extra["num_constraints"] = num_extra
    domains = None
    overrides = [
        o for key in ("monitoringConfigOverrides", "monitoring_config_overrides") if (o := node.opt(key))
    ]
    if string := node.opt("string_constraints"):
        if d := string.opt("domains"):
            domains = tuple(item.string() for item in d.items())
        if o := string.opt("monitoring_config_overrides"):
            overrides.append(o)
        if string_extra := string.extra(("domains", "monitoring_config_overrides")):
            extra["string_constraints"] = string_extra
    if len(overrides) > 1:
        raise overrides[1].error(f"monitoring config overrides are also given at {overrides[0].path!r}")
    return FeatureConstraints(
        name=node.child("name").string(),
        inferred_type=node.child("inferred_type").enum(InferredType),
        completeness=c.double() if (c := node.opt("completeness")) else None,
        is_non_negative=is_non_negative,
        domains=domains,
        monitoring_config_overrides=_overrides(overrides[0]) if overrides else None,
        extra=extra,
    )


def _monitoring_from_node(node: Node) -> MonitoringConfig:
    default = MonitoringConfig()
    dist = default.distribution_constraints
    if d := node.opt("distribution_constraints"):
        dist = DistributionConstraints(
            perform_comparison=p.string() if (p := d.opt("perform_comparison")) else dist.perform_comparison,
            comparison_threshold=(
                t.double() if (t := d.opt("comparison_threshold")) else dist.comparison_threshold
            ),
            comparison_method=m.string() if (m := d.opt("comparison_method")) else dist.comparison_method,
            categorical_comparison_threshold=(
                ct.double() if (ct := d.opt("categorical_comparison_threshold")) else None
            ),
            categorical_drift_method=cm.string() if (cm := d.opt("categorical_drift_method")) else None,
            extra=d.extra(DISTRIBUTION_KEYS),
        )
    return MonitoringConfig(
        evaluate_constraints=(
            e.string() if (e := node.opt("evaluate_constraints")) else default.evaluate_constraints
        ),
        emit_metrics=e.string() if (e := node.opt("emit_metrics")) else default.emit_metrics,
        datatype_check_threshold=(
            t.double() if (t := node.opt("datatype_check_threshold")) else default.datatype_check_threshold
        ),
        domain_content_threshold=(
            t.double() if (t := node.opt("domain_content_threshold")) else default.domain_content_threshold
        ),
        distribution_constraints=dist,
        extra=node.extra(_MONITORING_KEYS),
    )
