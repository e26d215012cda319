"""``MODELWATCH_MODEL_URLS``: a model that Clarify would host (``predictor.model_name``) or an endpoint
(``predictor.endpoint_name``) found by name, read from the setting and resolved by ``PredictorConfig``;
predictor objects written by the SageMaker SDK's own ``ModelConfig`` reach a real model server on loopback.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from modelwatch.errors import ConfigurationError, ValidationError
from modelwatch.jobs.model_explainability import explain_dataset
from modelwatch.monitors.predictor import HttpPredictor, LocalPredictor, PredictorConfig
from modelwatch.settings import Settings, get_settings

with warnings.catch_warnings():  # SDK v2 warns at import that v3 exists
    warnings.filterwarnings("ignore", message="You are using the SageMaker Python SDK v2")
    from sagemaker.clarify import ModelConfig

FEATURES = ("age", "income", "credit_score")
WEIGHTS = np.array([0.5, -2.0, 3.0])


class ModelHandler(BaseHTTPRequestHandler):
    """A CSV model (one score per row: the rows times ``WEIGHTS``) that records each request's path and
    SageMaker headers."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.seen.append((self.path, self.headers.get("X-Amzn-SageMaker-Target-Model")))
        rows = np.array([[float(v) for v in line.split(",")] for line in body.splitlines()])
        answer = "".join(f"{score!r}\n" for score in (rows @ WEIGHTS).tolist()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture(scope="module")
def model_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ModelHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def model_urls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set ``MODELWATCH_MODEL_URLS`` (``None`` unsets it) with the settings cache cleared around it."""

    def set_urls(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("MODELWATCH_MODEL_URLS", raising=False)
        else:
            monkeypatch.setenv("MODELWATCH_MODEL_URLS", value)
        get_settings.cache_clear()

    yield set_urls
    get_settings.cache_clear()


# -- the setting ------------------------------------------------------------------------------------------


def _parsed(value: str) -> dict[str, str]:
    return Settings(model_urls=value).resolved_model_urls()


def test_name_url_pairs_and_json_objects_give_the_same_map() -> None:
    expected = {"credit-model": "http://127.0.0.1:8080/invocations", "other": "https://models.example/x?a=1"}
    assert _parsed(
        " credit-model = http://127.0.0.1:8080/invocations ,other=https://models.example/x?a=1, "
    ) == (expected)
    assert _parsed(
        '{"credit-model": "http://127.0.0.1:8080/invocations", "other": "https://models.example/x?a=1"}'
    ) == (expected)
    assert Settings(model_urls=None).resolved_model_urls() == {}
    assert _parsed(" ") == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("credit-model", "entry 'credit-model' is not name=URL"),
        ("=http://127.0.0.1:1/x", "an entry has no name"),
        ("credit-model=127.0.0.1:8080", "the URL of 'credit-model' must start with http:// or https://"),
        ("a=http://h/1,a=http://h/2", "'a' is named twice"),
        ('{"a": 1}', "the URL of 'a' must start with http:// or https://, got 1"),
        ('{"a": "http://h/1"', "invalid JSON"),
    ],
)
def test_a_malformed_setting_names_the_variable_and_the_entry(value: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _parsed(value)
    assert str(caught.value).startswith("MODELWATCH_MODEL_URLS: ")
    assert message in str(caught.value)


def test_a_json_list_is_not_a_map() -> None:
    with pytest.raises(ConfigurationError, match="MODELWATCH_MODEL_URLS: expected a JSON object"):
        _parsed('["http://h/1"]')


# -- resolution ---------------------------------------------------------------------------------------------


def test_model_name_then_endpoint_name_then_nothing(model_urls: Any) -> None:
    model_urls("credit-model=http://127.0.0.1:1/model,live-endpoint=http://127.0.0.1:1/endpoint")
    both = PredictorConfig.from_json({"model_name": "credit-model", "endpoint_name": "live-endpoint"})
    assert both.model_name == "credit-model"
    assert both.resolve_url() == "http://127.0.0.1:1/model"
    assert PredictorConfig.from_json({"endpoint_name": "live-endpoint"}).resolve_url() == (
        "http://127.0.0.1:1/endpoint"
    )
    fallback = PredictorConfig.from_json({"model_name": "unknown-model", "endpoint_name": "live-endpoint"})
    assert fallback.resolve_url() == "http://127.0.0.1:1/endpoint"
    explicit = PredictorConfig.from_json(
        {"model_name": "credit-model", "endpoint_url": "http://127.0.0.1:2/x"}
    )
    assert explicit.resolve_url() == "http://127.0.0.1:2/x"  # the config's own URL wins over the setting


def test_an_unresolved_model_names_itself_and_the_setting(model_urls: Any) -> None:
    model_urls(None)
    config = PredictorConfig.from_json({"model_name": "credit-model", "instance_type": "ml.m5.xlarge"})
    with pytest.raises(ValidationError) as caught:
        config.build(FEATURES)
    assert caught.value.field == "predictor.endpoint_url"
    message = str(caught.value)
    assert "no URL for model 'credit-model'" in message
    assert "MODELWATCH_MODEL_URLS is not set" in message
    assert "add credit-model=<the model's invocation URL> to it" in message

    model_urls("other=http://127.0.0.1:1/x,more=http://127.0.0.1:1/y")
    with pytest.raises(ValidationError) as caught:
        PredictorConfig.from_json({"model_name": "credit-model", "endpoint_name": "live"}).resolve_url()
    assert "MODELWATCH_MODEL_URLS names only more, other" in str(caught.value)
    assert "(or 'live', the endpoint)" in str(caught.value)

    with pytest.raises(ValidationError) as caught:
        PredictorConfig.from_json({}).resolve_url()
    assert caught.value.field == "predictor.endpoint_url"
    assert "names no model" in str(caught.value) and "MODELWATCH_MODEL_URLS" in str(caught.value)


def test_a_malformed_setting_fails_the_build_naming_it(model_urls: Any) -> None:
    model_urls("credit-model")
    with pytest.raises(ConfigurationError, match="MODELWATCH_MODEL_URLS: entry 'credit-model'"):
        PredictorConfig.from_json({"model_name": "credit-model"}).build(FEATURES)


def test_a_python_model_needs_no_url(model_urls: Any) -> None:
    model_urls(None)
    config = PredictorConfig.from_json({"model_name": "credit-model"})
    assert isinstance(config.build(FEATURES, model=lambda rows: rows @ WEIGHTS), LocalPredictor)


# -- the SDK's ModelConfig against a real model server -----------------------------------------------------


@pytest.mark.parametrize(
    ("options", "target_model"),
    [
        ({}, None),
        ({"endpoint_name_prefix": "credit-shadow", "target_model": "credit-v2.tar.gz"}, "credit-v2.tar.gz"),
    ],
)
def test_the_sdks_model_config_reaches_the_mapped_model(
    model_server: str, model_urls: Any, options: dict[str, str], target_model: str | None
) -> None:
    sdk = ModelConfig(
        model_name="credit-model",
        instance_count=1,
        instance_type="ml.m5.xlarge",
        content_type="text/csv",
        accept_type="text/csv",
        **options,
    )
    predictor = sdk.get_predictor_config()  # what the SDK writes into analysis_config.json
    assert predictor["model_name"] == "credit-model" and "endpoint_url" not in predictor
    model_urls(f"credit-model={model_server}/invocations/credit")
    ModelHandler.seen.clear()
    rows = np.array([[40.0, 1.5, 2.0], [25.0, 0.5, -1.0], [61.0, 3.0, 0.25]])
    with PredictorConfig.from_json(predictor).build(FEATURES) as http:  # type: ignore[union-attr]
        assert isinstance(http, HttpPredictor)
        np.testing.assert_array_equal(http(rows), rows @ WEIGHTS)
    assert ModelHandler.seen == [("/invocations/credit", target_model)]


def test_an_explainability_baseline_of_a_headerless_csv_reaches_the_model_by_name(
    model_server: str, model_urls: Any, tmp_path: Path
) -> None:
    """What a Clarify processing job from the SDK runs: a CSV without a header row whose columns Clarify's
    ``headers`` name (the label among them), and a predictor that names only the model."""
    rows = [[0, 40.0, 1.5, 2.0], [1, 25.0, 0.5, -1.0], [1, 61.0, 3.0, 0.25], [0, 33.0, 1.0, 1.0]]
    (tmp_path / "data.csv").write_text("".join(",".join(str(v) for v in row) + "\n" for row in rows))
    config = {
        "version": "1.0",
        "dataset_type": "text/csv",
        "headers": ["defaulted", *FEATURES],
        "label": "defaulted",
        "methods": {"shap": {"baseline": [[40.0, 1.0, 1.0]], "num_samples": 16, "agg_method": "mean_abs"}},
        "predictor": ModelConfig(
            model_name="credit-model", instance_count=1, instance_type="ml.m5.xlarge", content_type="text/csv"
        ).get_predictor_config(),
    }
    (tmp_path / "analysis_config.json").write_text(json.dumps(config))
    model_urls(f"credit-model={model_server}/invocations")
    result = explain_dataset(
        str(tmp_path / "data.csv"),
        str(tmp_path / "out"),
        str(tmp_path / "analysis_config.json"),
        dataset_format="csv",
        header=False,
    )
    shap = result.analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert list(shap) == list(FEATURES)
    # a linear model and one baseline row: SHAP value = weight x (value - baseline value), exactly
    distances = np.abs(np.array([row[1:] for row in rows]) - np.array([40.0, 1.0, 1.0])).mean(axis=0)
    np.testing.assert_allclose([shap[name] for name in FEATURES], np.abs(WEIGHTS) * distances, rtol=1e-6)
