"""Model access: local models, and a real HTTP model server on loopback in every payload format."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression

from modelwatch.analysis.attributions import explain
from modelwatch.analysis.shap_config import ShapConfig
from modelwatch.errors import ConfigurationError, EndpointError, ValidationError
from modelwatch.monitors.payloads import JsonPath, PayloadFormat
from modelwatch.monitors.predictor import HttpPredictor, LocalPredictor, PredictorConfig, load_model

FEATURES = ("age", "income", "score", "tenure")
X, Y = make_classification(n_samples=200, n_features=4, n_informative=3, n_redundant=0, random_state=4)
MODEL = LogisticRegression(max_iter=1000).fit(X, Y)


def _proba(rows: list[list[float]]) -> list[list[float]]:
    return MODEL.predict_proba(np.array(rows, dtype=np.float64)).tolist()


def _positive(rows: list[list[float]]) -> list[float]:
    return [p1 for _, p1 in _proba(rows)]


class ModelHandler(BaseHTTPRequestHandler):
    """A small model server written with the standard library only (csv and json modules), so that it is
    independent of the client's encoder. One path per payload format, plus failing paths."""

    protocol_version = "HTTP/1.1"
    counts: ClassVar[dict[str, int]] = {}
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        path = self.path
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            count = self.counts[path]
        if path == "/csv":
            rows = [[float(v) if v else float("nan") for v in line] for line in csv.reader(io.StringIO(body))]
            text = "".join(f"{p!r}\n" for p in _positive(rows))
            return self._reply(200, text.encode(), "text/csv")
        if path == "/csv-both":  # label,p0,p1 per line
            rows = [[float(v) for v in line] for line in csv.reader(io.StringIO(body))]
            proba = _proba(rows)
            text = "".join(f"{int(p1 > 0.5)},{p0!r},{p1!r}\n" for p0, p1 in proba)
            return self._reply(200, text.encode(), "text/csv; charset=utf-8")
        if path == "/jsonlines":
            rows = [json.loads(line)["features"] for line in body.splitlines()]
            text = "".join(json.dumps({"score": p}) + "\n" for p in _positive(rows))
            return self._reply(200, text.encode(), "application/jsonlines")
        if path == "/json-records":
            rows = json.loads(body)["instances"]
            predictions = [{"probabilities": list(p)} for p in _proba(rows)]
            return self._reply(200, json.dumps({"predictions": predictions}).encode(), "application/json")
        if path == "/json-kvp":
            records = json.loads(body)
            rows = [[record[name] for name in FEATURES] for record in records]
            return self._reply(
                200, json.dumps([{"score": p} for p in _positive(rows)]).encode(), "application/json"
            )
        if path == "/json-record":
            record = json.loads(body)
            rows = [[record["a"], *record["rest"]]]
            return self._reply(200, json.dumps({"score": _positive(rows)[0]}).encode(), "application/json")
        if path == "/fail":
            return self._reply(500, b"model exploded: ValueError('bad input')" + b"x" * 500, "text/plain")
        if path == "/fail-third":
            if count >= 3:
                return self._reply(500, b"out of memory", "text/plain")
            rows = [[float(v) for v in line] for line in csv.reader(io.StringIO(body))]
            return self._reply(200, "".join(f"{p!r}\n" for p in _positive(rows)).encode(), "text/csv")
        if path == "/busy-once":
            if count == 1:
                return self._reply(503, b"busy", "text/plain")
            rows = [[float(v) for v in line] for line in csv.reader(io.StringIO(body))]
            return self._reply(200, "".join(f"{p!r}\n" for p in _positive(rows)).encode(), "text/csv")
        if path == "/slow":
            time.sleep(1.5)
            return self._reply(200, b"0.5\n", "text/csv")
        if path == "/short":
            return self._reply(200, b"0.5\n", "text/csv")
        return self._reply(404, b"no such path", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ModelHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def counts() -> dict[str, int]:
    ModelHandler.counts.clear()
    return ModelHandler.counts


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------------------------------
# formats


@pytest.mark.parametrize(
    ("path", "options"),
    [
        ("/csv", {}),
        ("/csv-both", {"probability": 2}),
        ("/jsonlines", {"content_type": "application/jsonlines", "content_template": '{"features":$features}',
                        "probability": "score"}),
        ("/json-records", {"content_type": "application/json", "content_template": '{"instances": $records}',
                           "record_template": "$features", "probability": "predictions[*].probabilities[1]"}),
        ("/json-kvp", {"content_type": "application/json", "content_template": "$records",
                       "record_template": "$features_kvp", "probability": "score"}),
        ("/json-record", {"content_type": "application/json", "content_template": "$record",
                          "record_template": '{"a": "${age}", "rest": ["${income}","${score}","${tenure}"]}',
                          "probability": "score"}),
    ],
)  # fmt: skip
def test_every_payload_format_gives_the_local_predictions(server: str, path: str, options: dict) -> None:
    rows = X[:23]
    with HttpPredictor(server + path, feature_names=FEATURES, max_rows_per_request=10, **options) as http:
        got = http(rows)
        requests = http.stats.requests
    # The server predicts each request's rows as one batch, and a model's last bit may depend on the batch
    # size (BLAS blocks the sums differently for 1, 10 or 23 rows): the oracle predicts the same batches,
    # so the payload's encoding and decoding must be exact, with no tolerance.
    size = 1 if path == "/json-record" else 10
    expected = np.concatenate([MODEL.predict_proba(rows[i : i + size])[:, 1] for i in range(0, 23, size)])
    np.testing.assert_array_equal(got, expected)
    assert requests == (23 if path == "/json-record" else 3)


def test_csv_without_accessor_returns_every_column(server: str) -> None:
    with HttpPredictor(server + "/csv-both") as http:
        got = http(X[:5])
    np.testing.assert_array_equal(got[:, 1:], MODEL.predict_proba(X[:5]))
    np.testing.assert_array_equal(got[:, 0], MODEL.predict(X[:5]))


def test_missing_values_are_empty_csv_fields_and_json_nulls() -> None:
    rows = X[:3].copy()
    rows[1, 2] = np.nan
    assert next(csv.reader([PayloadFormat().encode(rows).decode().splitlines()[1]]))[2] == ""
    jsonl = PayloadFormat(content_type="application/jsonlines", content_template='{"f":$features}')
    assert json.loads(jsonl.encode(rows).decode().splitlines()[1])["f"][2] is None
    assert json.loads(jsonl.encode(rows).decode().splitlines()[0])["f"] == rows[0].tolist()


def test_requests_are_split_and_counted(server: str, counts: dict[str, int]) -> None:
    rows = np.tile(X, (13, 1))[:2500]
    with HttpPredictor(server + "/csv", max_rows_per_request=1000, concurrency=3) as http:
        got = http(rows)
        pending = http.submit(rows[:10])
        np.testing.assert_array_equal(pending.result(), MODEL.predict_proba(rows[:10])[:, 1])
        stats = http.stats
    np.testing.assert_array_equal(got, MODEL.predict_proba(rows)[:, 1])
    assert (stats.calls, stats.rows, stats.requests, stats.retries) == (2, 2510, 4, 0)
    assert counts["/csv"] == 4 and stats.bytes_sent > 2500 * 4 * 5


@pytest.mark.parametrize("workers", ["threads", "processes"])
def test_kernel_shap_over_http_equals_the_local_model(
    server: str, counts: dict[str, int], workers: str
) -> None:
    config = ShapConfig(num_samples=40, seed=8)
    local = explain(LocalPredictor(MODEL), X[:12], X[20:25], config)
    with HttpPredictor(server + "/csv", max_rows_per_request=150, concurrency=2, workers=workers) as http:
        remote = explain(http, X[:12], X[20:25], config)
        stats = http.stats
    assert local.local_values is not None and remote.local_values is not None
    np.testing.assert_allclose(remote.local_values, local.local_values, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(remote.expected_values, local.expected_values)
    assert stats.requests > remote.model_calls  # calls were split into requests
    assert stats.requests == counts["/csv"]  # counted here, also when worker processes sent them
    assert stats.bytes_sent > stats.rows * 4 * 5 and stats.bytes_received > stats.rows


# --------------------------------------------------------------------------------------------------
# failures


@pytest.mark.parametrize("workers", ["threads", "processes"])
def test_http_500_names_url_status_and_body(server: str, workers: str) -> None:
    with (
        HttpPredictor(server + "/fail", retries=2, workers=workers) as http,
        pytest.raises(EndpointError) as caught,
    ):
        http(X[:2])
    error = caught.value
    assert error.status == 500 and error.url == server + "/fail"
    assert str(error).startswith(f"POST {server}/fail: HTTP 500 Internal Server Error after 1 attempt(s); ")
    assert "body starts b\"model exploded: ValueError('bad input')" in str(error)
    assert len(error.body) == 200


def test_failure_mid_run_stops_kernel_shap_with_the_reason(server: str, counts: dict[str, int]) -> None:
    config = ShapConfig(num_samples=30, seed=1)
    with HttpPredictor(server + "/fail-third", max_rows_per_request=100, concurrency=1) as http:
        with pytest.raises(EndpointError) as caught:
            explain(http, X[:10], X[20:24], config)
        assert http.stats.requests >= 3
    assert caught.value.status == 500
    reason = "HTTP 500 Internal Server Error after 1 attempt(s); body starts b'out of memory'"
    assert str(caught.value) == f"POST {server}/fail-third: {reason}"


def test_timeout_is_an_endpoint_error(server: str) -> None:
    with HttpPredictor(server + "/slow", timeout=0.3) as http, pytest.raises(EndpointError) as caught:
        http(X[:1])
    assert caught.value.status is None
    assert str(caught.value) == f"POST {server}/slow: timed out after 0.3 s (ReadTimeout) on attempt 1"


def test_connection_errors_are_retried_then_reported() -> None:
    url = f"http://127.0.0.1:{_unused_port()}/invocations"
    with HttpPredictor(url, retries=2, backoff=0.01) as http, pytest.raises(EndpointError) as caught:
        http(X[:1])
    assert "connection failed after 3 attempt(s): ConnectError" in str(caught.value)
    assert http.stats.retries == 2 and http.stats.requests == 3


def test_busy_answers_are_retried(server: str, counts: dict[str, int]) -> None:
    with HttpPredictor(server + "/busy-once", backoff=0.01) as http:
        got = http(X[:4])
        assert http.stats.retries == 1
    np.testing.assert_array_equal(got, MODEL.predict_proba(X[:4])[:, 1])


def test_short_answers_are_endpoint_errors(server: str) -> None:
    with HttpPredictor(server + "/short") as http, pytest.raises(EndpointError) as caught:
        http(X[:2])
    assert "the CSV response has 1 lines for 2 rows; body starts b'0.5\\n'" in str(caught.value)
    assert caught.value.status == 200


# --------------------------------------------------------------------------------------------------
# configuration


def test_predictor_config_builds_an_http_predictor(server: str) -> None:
    config = PredictorConfig.from_json(
        {
            "endpoint_name": "churn",
            "content_type": "application/JSONLines",
            "accept_type": "application/jsonlines",
            "content_template": '{"features":$features}',
            "label": "predicted_label",
            "probability": "score",
            "label_headers": ["churn"],
            "instance_type": "ml.m5.xlarge",
        }
    )
    assert config.label_headers == ("churn",) and config.score_accessor == "score"
    with config.build(FEATURES, endpoint_url=server + "/jsonlines") as http:  # type: ignore[union-attr]
        np.testing.assert_array_equal(http(X[:3]), MODEL.predict_proba(X[:3])[:, 1])
    assert isinstance(PredictorConfig.from_json({}).build(FEATURES, model=MODEL), LocalPredictor)
    with pytest.raises(ValidationError) as caught:
        PredictorConfig.from_json({"endpoint_name": "churn"}).build(FEATURES)
    assert caught.value.field == "predictor.endpoint_url"


@pytest.mark.parametrize(
    ("predictor", "field"),
    [
        ({"content_type": "image/png"}, "predictor.content_type"),
        ({"content_type": "application/jsonlines"}, "predictor.content_template"),
        ({"content_type": "application/json", "content_template": "$records"}, "predictor.record_template"),
        ({"content_type": "application/json", "content_template": "{}", "record_template": "$features"},
         "predictor.content_template"),
        ({"content_type": "application/json", "content_template": "$records", "record_template": '"${nope}"'},
         "predictor.record_template"),
        ({"probability": "score"}, "predictor.probability"),
    ],
)  # fmt: skip
def test_bad_predictor_configs_name_the_key(predictor: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PredictorConfig.from_json({"endpoint_url": "http://127.0.0.1:1/x", **predictor}).build(FEATURES)
    assert caught.value.field == field


def test_unknown_worker_kind_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="workers must be one of threads, processes, got 'fibers'"):
        HttpPredictor("http://127.0.0.1:1/x", workers="fibers")


def test_predictor_config_type_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        PredictorConfig.from_json({"label_headers": "yes"})
    assert caught.value.field == "predictor.label_headers"
    with pytest.raises(ValidationError) as caught:
        PredictorConfig.from_json({"probability": 1.5})
    assert caught.value.field == "predictor.probability"


def test_json_path() -> None:
    body = {"predictions": [{"p": [0.1, 0.9]}, {"p": [0.3, 0.7]}], "a b": {"c": 1}}
    assert JsonPath("predictions[*].p[1]")(body) == [0.9, 0.7]
    assert JsonPath("predictions[-1].p")(body) == [0.3, 0.7]
    assert JsonPath('"a b".c')(body) == 1
    assert JsonPath("[0]")([5, 6]) == 5
    assert JsonPath("missing.x")(body) is None
    assert JsonPath("predictions[7]")(body) is None
    with pytest.raises(ValidationError, match="cannot parse"):
        JsonPath("a..b[")


# --------------------------------------------------------------------------------------------------
# local models


def test_local_models() -> None:
    binary = LocalPredictor(MODEL)
    np.testing.assert_array_equal(binary(X[:4]), MODEL.predict_proba(X[:4])[:, 1])
    both = LocalPredictor(MODEL, columns=[0, 1])
    np.testing.assert_array_equal(both(X[:4]), MODEL.predict_proba(X[:4]))
    regression = LinearRegression().fit(X, X[:, 0] * 2.0)
    np.testing.assert_allclose(LocalPredictor(regression)(X[:4]), X[:4, 0] * 2.0)
    plain = LocalPredictor(lambda rows: rows.sum(axis=1))
    np.testing.assert_array_equal(plain(X[:4]), X[:4].sum(axis=1))
    assert plain.stats.calls == 1 and plain.stats.rows == 4
    labels = LocalPredictor(MODEL, method="predict")
    np.testing.assert_array_equal(labels(X[:4]), MODEL.predict(X[:4]))


def test_models_by_import_string() -> None:
    assert load_model("sklearn.linear_model:LogisticRegression") is LogisticRegression
    assert load_model("os.path:join.__name__") == "join"
    np.testing.assert_array_equal(LocalPredictor("numpy:negative")(np.ones((2, 2))), -np.ones((2, 2)))
    for spec, words in [
        ("nocolon", "expected 'module:attribute'"),
        ("no_such_module_xyz:f", "cannot import"),
        ("numpy:no_such_thing", "has no attribute"),
    ]:
        with pytest.raises(ConfigurationError, match=words):
            load_model(spec)
    with pytest.raises(ConfigurationError, match="has no predict_proba"):
        LocalPredictor(LinearRegression(), method="predict_proba")


def test_decoding_json_answers() -> None:
    records = PayloadFormat(
        content_type="application/json", content_template="$records", record_template="$features",
        accessor="[*].score",
    )  # fmt: skip
    body = json.dumps([{"score": 0.25}, {"score": 0.5}]).encode()
    np.testing.assert_array_equal(records.decode(body, 2), [0.25, 0.5])
    per_record = PayloadFormat(
        content_type="application/json", content_template="$records", record_template="$features", accessor=1
    )
    np.testing.assert_array_equal(per_record.decode(b"[[0, 0.25], [1, 0.75]]", 2), [0.25, 0.75])
    single = PayloadFormat(
        content_type="application/json", content_template="$record", record_template="$features",
        accessor="probabilities",
    )  # fmt: skip
    np.testing.assert_array_equal(single.decode(b'{"probabilities": [0.2, 0.8]}', 1), [[0.2, 0.8]])
    bare = PayloadFormat(
        content_type="application/json", content_template="$record", record_template="$features"
    )
    np.testing.assert_array_equal(bare.decode(b"0.75", 1), [0.75])
    whole = PayloadFormat(
        content_type="application/json", content_template="$records", record_template="$features"
    )
    np.testing.assert_array_equal(whole.decode(b"[[0.2, 0.8], [0.6, 0.4]]", 2), [[0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(ValueError, match=r"set predictor\.probability"):
        whole.decode(b'{"scores": [1, 2]}', 2)
    with pytest.raises(ValueError, match="not a number"):
        records.decode(json.dumps([{"score": "high"}, {"score": 0.5}]).encode(), 2)
    lines = PayloadFormat(accept_type="application/jsonlines", accessor="p[0]")
    np.testing.assert_array_equal(lines.decode(b'{"p": [0.1]}\n{"p": [0.3]}\n', 2), [0.1, 0.3])
    # the response's own content type wins over accept_type
    np.testing.assert_array_equal(PayloadFormat().decode(b"[0.5, 0.25]", 2, "application/json"), [0.5, 0.25])


def test_requests_over_the_byte_limit_are_split(server: str, counts: dict[str, int]) -> None:
    rows = np.tile(X, (2, 1))[:300]
    with HttpPredictor(server + "/csv", max_request_bytes=4000) as http:
        got = http(rows)
        requests = http.stats.requests
    np.testing.assert_array_equal(got, MODEL.predict_proba(rows)[:, 1])
    assert requests == counts["/csv"] >= len(PayloadFormat().encode(rows)) // 4000
