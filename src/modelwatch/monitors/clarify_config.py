"""Clarify's analysis configuration JSON (spec clarify.md §2), parsed into typed dataclasses.

Three shapes share one parser:

* ``"processing"`` — a full Clarify processing-job config: ``dataset_type`` and ``methods`` required;
* ``"bias_monitor"`` — a ModelBias monitor's ``BiasAnalysisConfig``: ``label_values_or_threshold`` and
  ``facet`` required, no ``methods`` (all pre- and post-training metrics are then computed);
* ``"explainability_monitor"`` — a ModelExplainability monitor's config: ``methods.shap`` required.

Every problem raises :class:`~modelwatch.errors.ValidationError` whose ``field`` is the key path
(``facet[0].name_or_index``, ``methods.post_training_bias.methods[2]``). Unknown top-level keys are
rejected (a typo such as ``facets`` would otherwise silently drop the facet). ``methods.shap`` is kept as
the raw dict (the explainability analysis parses it), and so are the other method objects and the
predictor's keys that modelwatch does not use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from modelwatch.errors import ValidationError
from modelwatch.io.storage import read_text

__all__ = [
    "DATASET_TYPES",
    "POST_TRAINING_METHODS",
    "PRE_TRAINING_METHODS",
    "AnalysisConfig",
    "BiasMethods",
    "ConfigKind",
    "FacetConfig",
    "Methods",
    "PredictorConfig",
    "parse_analysis_config",
    "read_analysis_config",
]

ConfigKind = Literal["processing", "bias_monitor", "explainability_monitor"]
Scalar = int | float | str

DATASET_TYPES = (
    "text/csv",
    "application/jsonlines",
    "application/json",
    "application/sagemakercapturejson",
    "application/x-parquet",
    "application/x-image",
)
PRE_TRAINING_METHODS = ("CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL")
POST_TRAINING_METHODS = (
    "DPPL",
    "DI",
    "DCA",
    "DCR",
    "RD",
    "SD",
    "DAR",
    "DRR",
    "AD",
    "CDDPL",
    "TE",
    "FT",
    "GE",
)

_TOP_LEVEL = {
    "version",
    "dataset_type",
    "dataset_uri",
    "headers",
    "label",
    "predicted_label",
    "features",
    "label_values_or_threshold",
    "probability_threshold",
    "facet",
    "group_variable",
    "facet_dataset_uri",
    "facet_headers",
    "predicted_label_dataset_uri",
    "predicted_label_headers",
    "excluded_columns",
    "joinsource_name_or_index",
    "segment_config",
    "time_series_data_config",
    "methods",
    "predictor",
}
_METHOD_KEYS = {
    "pre_training_bias",
    "post_training_bias",
    "shap",
    "pdp",
    "report",
    "asymmetric_shapley_value",
}


@dataclass(frozen=True)
class FacetConfig:
    """One facet: a column (name or 0-based index) and the values or threshold that define facet d.

    ``value_or_threshold`` None means one-vs-rest: one facet d per distinct value of a categorical column.
    """

    name_or_index: str | int
    value_or_threshold: tuple[Scalar, ...] | None = None


@dataclass(frozen=True)
class BiasMethods:
    """``{"methods": "all" | [names]}`` of one bias stage; ``names`` lists them in config order."""

    names: tuple[str, ...] | Literal["all"] = "all"

    def resolve(self, available: tuple[str, ...]) -> tuple[str, ...]:
        """The metric names to compute, sorted by name as smclarify runs them."""
        return tuple(sorted(available if self.names == "all" else self.names))


@dataclass(frozen=True)
class Methods:
    """The ``methods`` object. Sections other than the bias stages are kept as raw dicts."""

    pre_training_bias: BiasMethods | None = None
    post_training_bias: BiasMethods | None = None
    shap: dict[str, Any] | None = None
    pdp: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
    asymmetric_shapley_value: dict[str, Any] | None = None


@dataclass(frozen=True)
class PredictorConfig:
    """The ``predictor`` object: an existing endpoint, or a model to start a shadow endpoint from.

    ``label`` / ``probability`` locate the predicted label / score(s) in the model output (an index for
    CSV, a JMESPath for JSON). Keys modelwatch does not interpret stay in ``extra``.
    """

    endpoint_name: str | None = None
    model_name: str | None = None
    instance_type: str | None = None
    initial_instance_count: int | None = None
    content_type: str | None = None
    accept_type: str | None = None
    content_template: str | None = None
    record_template: str | None = None
    label: str | int | None = None
    probability: str | int | None = None
    label_headers: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisConfig:
    """A Clarify analysis configuration. ``raw`` keeps the parsed JSON object as given."""

    version: str = "1.0"
    dataset_type: str | None = None
    dataset_uri: str | None = None
    headers: tuple[str, ...] | None = None
    label: str | int | None = None
    predicted_label: str | int | None = None
    features: str | None = None
    label_values_or_threshold: tuple[Scalar, ...] | None = None
    probability_threshold: float | None = None
    facet: tuple[FacetConfig, ...] = ()
    group_variable: str | int | None = None
    excluded_columns: tuple[str | int, ...] = ()
    joinsource_name_or_index: str | int | None = None
    facet_dataset_uri: str | None = None
    facet_headers: tuple[str, ...] | None = None
    predicted_label_dataset_uri: str | None = None
    predicted_label_headers: tuple[str, ...] | None = None
    segment_config: Any = None
    time_series_data_config: Any = None
    methods: Methods | None = None
    predictor: PredictorConfig | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def shap(self) -> dict[str, Any] | None:
        """``methods.shap`` as given (parsed by the explainability analysis), or None."""
        return self.methods.shap if self.methods else None

    def threshold(self) -> float:
        """``probability_threshold`` or its default, 0.5 (a score > threshold is label 1)."""
        return 0.5 if self.probability_threshold is None else self.probability_threshold


def _err(path: str, message: str) -> ValidationError:
    return ValidationError(message, field=path)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _str(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _err(path + key, f"must be a string, got {type(value).__name__}")
    return value


def _name_or_index(value: Any, path: str) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise _err(path, "must not be empty")
        return value
    if _is_int(value):
        if value < 0:
            raise _err(path, f"a column index must be at least 0, got {value}")
        return int(value)
    raise _err(path, f"must be a column name (string) or 0-based index (integer), got {type(value).__name__}")


def _scalars(value: Any, path: str) -> tuple[Scalar, ...]:
    if not isinstance(value, list):
        raise _err(path, f"must be a list of numbers or strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, int | float | str):
            raise _err(f"{path}[{i}]", f"must be a number or a string, got {type(item).__name__}")
    return tuple(value)


def _strings(value: Any, path: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _err(path, f"must be a list of strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _err(f"{path}[{i}]", f"must be a string, got {type(item).__name__}")
    return tuple(value)


def _facets(value: Any) -> tuple[FacetConfig, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _err(
            "facet",
            f"must be a list of {{name_or_index, value_or_threshold}} objects, got {type(value).__name__}",
        )
    facets = []
    for i, item in enumerate(value):
        path = f"facet[{i}]"
        if not isinstance(item, Mapping):
            raise _err(path, f"must be an object, got {type(item).__name__}")
        unknown = sorted(set(item) - {"name_or_index", "value_or_threshold"})
        if unknown:
            raise _err(f"{path}.{unknown[0]}", "unknown key; expected name_or_index and value_or_threshold")
        if "name_or_index" not in item:
            raise _err(f"{path}.name_or_index", "is required")
        name = _name_or_index(item["name_or_index"], f"{path}.name_or_index")
        assert name is not None
        values = item.get("value_or_threshold")
        parsed = None
        if values is not None:
            parsed = _scalars(values, f"{path}.value_or_threshold")
            if not parsed:
                raise _err(f"{path}.value_or_threshold", "must not be empty (leave it out for one-vs-rest)")
        facets.append(FacetConfig(name, parsed))
    return tuple(facets)


def _bias_methods(value: Any, path: str, allowed: tuple[str, ...]) -> BiasMethods:
    if not isinstance(value, Mapping):
        raise _err(path, f'must be an object like {{"methods": "all"}}, got {type(value).__name__}')
    unknown = sorted(set(value) - {"methods"})
    if unknown:
        raise _err(f"{path}.{unknown[0]}", "unknown key; expected methods")
    names = value.get("methods", "all")
    if names == "all":
        return BiasMethods("all")
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not isinstance(names, list) or not names:
        raise _err(f"{path}.methods", f'must be "all" or a non-empty list of names from {", ".join(allowed)}')
    for i, name in enumerate(names):
        if name not in allowed:
            raise _err(
                f"{path}.methods[{i}]", f"unknown metric {name!r}; expected one of {', '.join(allowed)}"
            )
    if len(set(names)) != len(names):
        raise _err(f"{path}.methods", "lists a metric twice")
    return BiasMethods(tuple(names))


def _raw_object(value: Any, path: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err(path, f"must be an object, got {type(value).__name__}")
    return dict(value)


def _methods(value: Any) -> Methods | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err("methods", f"must be an object, got {type(value).__name__}")
    unknown = sorted(set(value) - _METHOD_KEYS)
    if unknown:
        raise _err(
            f"methods.{unknown[0]}", f"unknown method; expected one of {', '.join(sorted(_METHOD_KEYS))}"
        )
    pre = value.get("pre_training_bias")
    post = value.get("post_training_bias")
    shap = _raw_object(value.get("shap"), "methods.shap")
    if shap is not None and "baseline" in shap and "num_clusters" in shap:
        raise _err("methods.shap.num_clusters", "baseline and num_clusters are mutually exclusive")
    return Methods(
        pre_training_bias=_bias_methods(pre, "methods.pre_training_bias", PRE_TRAINING_METHODS)
        if pre is not None
        else None,
        post_training_bias=_bias_methods(post, "methods.post_training_bias", POST_TRAINING_METHODS)
        if post is not None
        else None,
        shap=shap,
        pdp=_raw_object(value.get("pdp"), "methods.pdp"),
        report=_raw_object(value.get("report"), "methods.report"),
        asymmetric_shapley_value=_raw_object(
            value.get("asymmetric_shapley_value"), "methods.asymmetric_shapley_value"
        ),
    )


_PREDICTOR_TYPED = {
    "endpoint_name",
    "model_name",
    "instance_type",
    "initial_instance_count",
    "content_type",
    "accept_type",
    "content_template",
    "record_template",
    "label",
    "probability",
    "label_headers",
}


def _predictor(value: Any) -> PredictorConfig | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err("predictor", f"must be an object, got {type(value).__name__}")
    path = "predictor."
    count = value.get("initial_instance_count")
    if count is not None and (not _is_int(count) or count < 1):
        raise _err(path + "initial_instance_count", f"must be a positive integer, got {count!r}")
    if (
        value.get("endpoint_name") is None
        and value.get("model_name") is None
        and value.get("endpoint_name_prefix") is None
    ):
        pass  # the monitor configs may leave the endpoint out (the monitored endpoint is used)
    if value.get("model_name") is not None and value.get("instance_type") is None:
        raise _err(
            path + "instance_type", "is required with model_name (the shadow endpoint's instance type)"
        )
    label = value.get("label")
    probability = value.get("probability")
    for key, item in (("label", label), ("probability", probability)):
        if item is not None and not (isinstance(item, str) or _is_int(item)):
            raise _err(path + key, f"must be a JMESPath string or an index, got {type(item).__name__}")
    return PredictorConfig(
        endpoint_name=_str(value, "endpoint_name", path),
        model_name=_str(value, "model_name", path),
        instance_type=_str(value, "instance_type", path),
        initial_instance_count=count,
        content_type=_str(value, "content_type", path),
        accept_type=_str(value, "accept_type", path),
        content_template=_str(value, "content_template", path),
        record_template=_str(value, "record_template", path),
        label=label,
        probability=probability,
        label_headers=_strings(value.get("label_headers"), path + "label_headers"),
        extra={k: v for k, v in value.items() if k not in _PREDICTOR_TYPED},
    )


def parse_analysis_config(
    source: Mapping[str, Any] | str, *, kind: ConfigKind = "processing"
) -> AnalysisConfig:
    """Parse and validate an analysis config (a dict, or JSON text).

    Raises:
        ValidationError: the ``field`` is the key path of the first problem found.
    """
    if isinstance(source, str):
        try:
            obj = json.loads(source)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
    else:
        obj = source
    if not isinstance(obj, Mapping):
        raise ValidationError(f"the analysis config must be a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - _TOP_LEVEL)
    if unknown:
        raise _err(unknown[0], "unknown key of the analysis config")
    version = obj.get("version", "1.0")
    if str(version) != "1.0":
        raise _err("version", f'only "1.0" exists, got {version!r}')
    dataset_type = obj.get("dataset_type")
    if dataset_type is not None:
        if not isinstance(dataset_type, str) or dataset_type.lower() not in DATASET_TYPES:
            raise _err("dataset_type", f"must be one of {', '.join(DATASET_TYPES)}, got {dataset_type!r}")
        dataset_type = dataset_type.lower()
    threshold = obj.get("probability_threshold")
    if threshold is not None and (not isinstance(threshold, int | float) or isinstance(threshold, bool)):
        raise _err("probability_threshold", f"must be a number, got {threshold!r}")
    label_values = obj.get("label_values_or_threshold")
    excluded = obj.get("excluded_columns") or []
    if not isinstance(excluded, list):
        raise _err("excluded_columns", f"must be a list, got {type(excluded).__name__}")
    config = AnalysisConfig(
        version="1.0",
        dataset_type=dataset_type,
        dataset_uri=_str(obj, "dataset_uri", ""),
        headers=_strings(obj.get("headers"), "headers"),
        label=_name_or_index(obj.get("label"), "label"),
        predicted_label=_name_or_index(obj.get("predicted_label"), "predicted_label"),
        features=_str(obj, "features", ""),
        label_values_or_threshold=_scalars(label_values, "label_values_or_threshold")
        if label_values is not None
        else None,
        probability_threshold=float(threshold) if threshold is not None else None,
        facet=_facets(obj.get("facet")),
        group_variable=_name_or_index(obj.get("group_variable"), "group_variable"),
        excluded_columns=tuple(
            _name_or_index(c, f"excluded_columns[{i}]")  # type: ignore[misc]  # a null entry stays None, as ever
            for i, c in enumerate(excluded)
        ),
        joinsource_name_or_index=_name_or_index(
            obj.get("joinsource_name_or_index"), "joinsource_name_or_index"
        ),
        facet_dataset_uri=_str(obj, "facet_dataset_uri", ""),
        facet_headers=_strings(obj.get("facet_headers"), "facet_headers"),
        predicted_label_dataset_uri=_str(obj, "predicted_label_dataset_uri", ""),
        predicted_label_headers=_strings(obj.get("predicted_label_headers"), "predicted_label_headers"),
        segment_config=obj.get("segment_config"),
        time_series_data_config=obj.get("time_series_data_config"),
        methods=_methods(obj.get("methods")),
        predictor=_predictor(obj.get("predictor")),
        raw=dict(obj),
    )
    _check_kind(config, kind)
    return config


def _check_kind(config: AnalysisConfig, kind: ConfigKind) -> None:
    if config.headers is not None and len(set(config.headers)) != len(config.headers):
        raise _err("headers", "lists a column twice")
    if kind == "processing":
        if config.dataset_type is None:
            raise _err("dataset_type", "is required for a processing job")
        if config.methods is None:
            raise _err("methods", "is required for a processing job")
    if kind == "explainability_monitor" and (config.methods is None or config.methods.shap is None):
        raise _err("methods.shap", "is required for an explainability monitor")
    bias = kind == "bias_monitor" or (
        config.methods is not None
        and (config.methods.pre_training_bias is not None or config.methods.post_training_bias is not None)
    )
    if bias:
        if not config.label_values_or_threshold:
            raise _err("label_values_or_threshold", "is required (and non-empty) for bias analysis")
        if not config.facet:
            raise _err("facet", "is required (at least one facet) for bias analysis")


def read_analysis_config(uri: str, *, kind: ConfigKind = "processing") -> AnalysisConfig:
    """Read and parse the analysis config JSON at ``uri`` (local path or ``s3://``)."""
    return parse_analysis_config(read_text(uri), kind=kind)
