"""Parsing and validation of Clarify's analysis config (spec clarify.md §2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelwatch.errors import ValidationError
from modelwatch.monitors.clarify_config import BiasMethods, parse_analysis_config, read_analysis_config

FULL: dict[str, Any] = {
    "version": "1.0",
    "dataset_type": "TEXT/CSV",
    "headers": ["Label", "Age", "Sex", "Income"],
    "label": "Label",
    "label_values_or_threshold": [1],
    "facet": [
        {"name_or_index": "Sex", "value_or_threshold": ["F"]},
        {"name_or_index": 1, "value_or_threshold": [40]},
    ],
    "group_variable": "Income",
    "probability_threshold": 0.6,
    "methods": {
        "pre_training_bias": {"methods": "all"},
        "post_training_bias": {"methods": ["DPPL", "DI", "FT"]},
        "shap": {"baseline": [[0, 0, 0]], "num_samples": 100, "agg_method": "mean_abs", "use_logit": False},
        "report": {"name": "report", "title": "Analysis Report"},
    },
    "predictor": {
        "model_name": "m",
        "instance_type": "ml.m5.xlarge",
        "initial_instance_count": 1,
        "accept_type": "text/csv",
        "probability": 0,
        "label_headers": ["no", "yes"],
        "custom_attributes": "x",
    },
}


def test_full_processing_config_is_parsed_into_typed_fields() -> None:
    config = parse_analysis_config(FULL)
    assert config.dataset_type == "text/csv"  # lower-cased
    assert config.headers == ("Label", "Age", "Sex", "Income")
    assert config.label_values_or_threshold == (1,)
    assert [(f.name_or_index, f.value_or_threshold) for f in config.facet] == [("Sex", ("F",)), (1, (40,))]
    assert config.group_variable == "Income"
    assert config.threshold() == 0.6
    assert config.methods is not None
    assert config.methods.pre_training_bias == BiasMethods("all")
    assert config.methods.post_training_bias == BiasMethods(("DPPL", "DI", "FT"))
    assert config.methods.post_training_bias.resolve(()) == ("DI", "DPPL", "FT")
    assert config.shap == FULL["methods"]["shap"]  # raw dict for the explainability analysis
    assert config.predictor is not None
    assert config.predictor.probability == 0
    assert config.predictor.label_headers == ("no", "yes")
    assert config.predictor.extra == {"custom_attributes": "x"}
    assert config.raw == FULL


def test_bias_monitor_config_needs_no_methods_and_defaults() -> None:
    config = parse_analysis_config(
        {"label_values_or_threshold": [1], "facet": [{"name_or_index": "Sex"}], "headers": ["a", "Sex"]},
        kind="bias_monitor",
    )
    assert config.methods is None and config.dataset_type is None
    assert config.facet[0].value_or_threshold is None  # one-vs-rest
    assert config.threshold() == 0.5


def test_config_is_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(FULL))
    assert read_analysis_config(str(path)).label == "Label"


def _with(**changes: Any) -> dict[str, Any]:
    config = json.loads(json.dumps(FULL))
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return config


@pytest.mark.parametrize(
    ("config", "kind", "field"),
    [
        (_with(dataset_type=None), "processing", "dataset_type"),
        (_with(dataset_type="text/tsv"), "processing", "dataset_type"),
        (_with(methods=None), "processing", "methods"),
        (_with(facets=[]), "processing", "facets"),  # a typo is not silently ignored
        (_with(facet=[{"value_or_threshold": ["F"]}]), "processing", "facet[0].name_or_index"),
        (_with(facet=[{"name_or_index": 1.5}]), "processing", "facet[0].name_or_index"),
        (
            _with(facet=[{"name_or_index": "Sex", "value_or_threshold": []}]),
            "processing",
            "facet[0].value_or_threshold",
        ),
        (
            _with(facet=[{"name_or_index": "Sex", "value_or_threshold": [{"a": 1}]}]),
            "processing",
            "facet[0].value_or_threshold[0]",
        ),
        (_with(facet=[{"name_or_index": "Sex", "values": ["F"]}]), "processing", "facet[0].values"),
        (_with(facet=None), "processing", "facet"),
        (_with(label_values_or_threshold=None), "processing", "label_values_or_threshold"),
        (_with(label_values_or_threshold="1"), "processing", "label_values_or_threshold"),
        (_with(probability_threshold="high"), "processing", "probability_threshold"),
        (_with(headers=["a", "a"]), "processing", "headers"),
        (_with(version="2.0"), "processing", "version"),
        (
            _with(methods={"post_training_bias": {"methods": ["DPPL", "DCAcc"]}}),
            "processing",
            "methods.post_training_bias.methods[1]",
        ),
        (
            _with(methods={"pre_training_bias": {"methods": []}}),
            "processing",
            "methods.pre_training_bias.methods",
        ),
        (_with(methods={"pre_training_bias": "all"}), "processing", "methods.pre_training_bias"),
        (
            _with(methods={"shap": {"baseline": "s3://b/k", "num_clusters": 3}}),
            "processing",
            "methods.shap.num_clusters",
        ),
        (_with(methods={"lime": {}}), "processing", "methods.lime"),
        (_with(predictor={"model_name": "m"}), "processing", "predictor.instance_type"),
        (
            _with(predictor={"endpoint_name": "e", "initial_instance_count": 0}),
            "processing",
            "predictor.initial_instance_count",
        ),
        (_with(predictor={"endpoint_name": 3}), "processing", "predictor.endpoint_name"),
        ({"label_values_or_threshold": [1]}, "bias_monitor", "facet"),
        ({"methods": {"pre_training_bias": {"methods": "all"}}}, "explainability_monitor", "methods.shap"),
    ],
)
def test_every_error_names_the_key_path(config: dict[str, Any], kind: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_analysis_config(config, kind=kind)
    assert caught.value.field == field
    assert field in str(caught.value)


def test_invalid_json_text_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="not valid JSON"):
        parse_analysis_config("{not json")
