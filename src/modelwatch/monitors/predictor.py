"""The model as a function over a 2-D array of feature rows — what Kernel SHAP calls.

* :class:`LocalPredictor`: a Python model in this process: an object with ``predict_proba`` or
  ``predict``, a plain callable, or a ``"module:attr"`` import string (:func:`load_model`).
* :class:`HttpPredictor`: a model endpoint over HTTP. Rows are POSTed in the payload formats of
  SageMaker requests and capture records (``text/csv``: one CSV line per row; ``application/jsonlines``:
  Clarify's ``content_template`` per row; ``application/json``: ``content_template`` with ``$records``
  or ``$record`` and ``record_template``), and the scores are read from the response with Clarify's
  ``probability`` / ``label`` accessor (a CSV column index, or a JMESPath-like path for JSON, spec 10).
  Large calls are split into requests of ``max_rows_per_request`` rows sent ``concurrency`` at a time,
  from threads or (``workers="processes"``) from worker processes;
  connection failures and 429/502/503/504 answers are retried; any other failure raises
  :class:`EndpointError`, which names the URL, the HTTP status and the first bytes of the body.
* :class:`PredictorConfig` reads Clarify's ``predictor`` object and builds either of them; a model that
  Clarify would host (``model_name``) is found by name in ``MODELWATCH_MODEL_URLS``.

Both count what they are asked (:class:`PredictorStats`).
"""

from __future__ import annotations

import importlib
import multiprocessing
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelwatch.errors import ConfigurationError, EndpointError, ValidationError
from modelwatch.monitors.payloads import (
    BODY_HEAD,
    CSV,
    PayloadFormat,
)
from modelwatch.settings import get_settings

__all__ = [
    "HttpPredictor",
    "LocalPredictor",
    "PredictorConfig",
    "PredictorStats",
    "load_model",
]

MODEL_URLS_SETTING = "MODELWATCH_MODEL_URLS"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
WORKERS = ("threads", "processes")


@dataclass
class PredictorStats:
    """What a predictor was asked: calls (of ``__call__`` / ``submit``), rows, HTTP requests, retries and
    payload bytes."""

    calls: int = 0
    rows: int = 0
    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, **counts: int) -> None:
        with self._lock:
            for key, value in counts.items():
                setattr(self, key, getattr(self, key) + value)


# --------------------------------------------------------------------------------------------------
# local models


def load_model(spec: str) -> Any:
    """The object named by ``"package.module:attr"`` (``attr`` may be dotted: ``"pkg.mod:Factory.model"``)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigurationError(f"model {spec!r}: expected 'module:attribute'")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"model {spec!r}: cannot import {module_name!r}: {exc}") from None
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigurationError(f"model {spec!r}: {module_name!r} has no attribute {attr!r}") from None
    return target


class LocalPredictor:
    """A Python model as ``predict(rows) -> scores``.

    ``method`` picks what is called: ``"auto"`` (``predict_proba`` if the model has it, else ``predict``,
    else the model itself), ``"predict_proba"``, ``"predict"`` or ``"call"``. ``columns`` selects
    output column(s) (an int gives one score per row); by default a two-column ``predict_proba`` is
    reduced to column 1, the positive class, like an endpoint that answers one score.
    """

    def __init__(
        self, model: Any, *, method: str = "auto", columns: int | Sequence[int] | None = None
    ) -> None:
        self.model = load_model(model) if isinstance(model, str) else model
        self.columns = columns
        self.stats = PredictorStats()
        self._fn, self._is_proba = self._pick(method)

    def _pick(self, method: str) -> tuple[Callable[[np.ndarray], Any], bool]:
        if method == "auto":
            if hasattr(self.model, "predict_proba"):
                return self.model.predict_proba, True
            if hasattr(self.model, "predict"):
                return self.model.predict, False
            method = "call"
        if method in ("predict_proba", "predict"):
            if not hasattr(self.model, method):
                raise ConfigurationError(f"model {type(self.model).__name__} has no {method}()")
            return getattr(self.model, method), method == "predict_proba"
        if method == "call":
            if not callable(self.model):
                raise ConfigurationError(f"model {type(self.model).__name__} is not callable")
            return self.model, False
        raise ConfigurationError(
            f"unknown model method {method!r}; expected auto, predict_proba, predict or call"
        )

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        self.stats.add(calls=1, rows=len(rows), requests=1)
        out = np.asarray(self._fn(rows), dtype=np.float64)
        if self.columns is not None:
            return out[:, self.columns]
        if self._is_proba and out.ndim == 2 and out.shape[1] == 2:
            return out[:, 1]
        return out


# --------------------------------------------------------------------------------------------------
# HTTP endpoint


class _Gathered:
    """The pending result of one call split into several requests (``result()`` joins them in order)."""

    def __init__(self, parts: list[Future[Any]], remote: bool) -> None:
        self.parts = parts
        self.remote = remote  # each part answers (scores, counts) from a worker process

    def result(self) -> np.ndarray:
        try:
            outs = [part.result() for part in self.parts]
        except BaseException:
            self.cancel()
            raise
        if self.remote:
            outs = [scores for scores, _ in outs]
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    def cancel(self) -> None:
        for part in self.parts:
            part.cancel()


class HttpPredictor:
    """A model endpoint over HTTP (``POST url``) as ``predict(rows) -> scores``.

    Calls are split into requests of at most ``max_rows_per_request`` rows (1 with a ``$record``
    template) and ``max_request_bytes`` bytes (SageMaker endpoints take 6 MB), sent ``concurrency`` at a
    time on kept-alive connections: from threads of this process, or with ``workers="processes"`` from
    ``concurrency`` worker processes that encode, send and decode, so that the caller's own Python (Kernel
    SHAP's sampling) keeps the GIL to itself. Each request has ``timeout``
    seconds; connection errors and 429/502/503/504 answers are retried ``retries`` times with
    exponential ``backoff``. ``submit(rows)`` returns at once with a future (``result()``), which lets
    :func:`modelwatch.analysis.attributions.explain` keep sampling while requests are in flight: it sends
    batches of ``batch_rows`` (``max_rows_per_request × concurrency``) rows and keeps up to
    ``max_pending`` more batches in flight while it prepares the next one.
    """

    def __init__(
        self,
        url: str,
        *,
        content_type: str = CSV,
        accept_type: str | None = None,
        content_template: str | None = None,
        record_template: str | None = None,
        feature_names: Sequence[str] = (),
        probability: int | str | None = None,
        max_rows_per_request: int = 10_000,
        concurrency: int = 4,
        max_pending: int = 2,
        max_request_bytes: int = 6_000_000,
        timeout: float = 60.0,
        retries: int = 2,
        backoff: float = 0.2,
        headers: Mapping[str, str] | None = None,
        custom_attributes: str | None = None,
        target_model: str | None = None,
        workers: str = "threads",
    ) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - httpx is in the "server" extra
            raise ConfigurationError("HTTP predictors need httpx: pip install 'modelwatch[server]'") from exc
        if max_rows_per_request < 1 or concurrency < 1 or max_pending < 0 or retries < 0 or timeout <= 0:
            raise ConfigurationError(
                "max_rows_per_request and concurrency must be >= 1, max_pending and retries >= 0, timeout > 0"
            )
        if workers not in WORKERS:
            raise ConfigurationError(f"workers must be one of {', '.join(WORKERS)}, got {workers!r}")
        self._settings: dict[str, Any] = {
            "url": url,
            "content_type": content_type,
            "accept_type": accept_type,
            "content_template": content_template,
            "record_template": record_template,
            "feature_names": tuple(feature_names),
            "probability": probability,
            "max_rows_per_request": max_rows_per_request,
            "max_request_bytes": max_request_bytes,
            "timeout": timeout,
            "retries": retries,
            "backoff": backoff,
            "headers": dict(headers or {}),
            "custom_attributes": custom_attributes,
            "target_model": target_model,
        }
        self.url = url
        self.format = PayloadFormat(
            content_type=content_type,
            accept_type=accept_type or "",
            content_template=content_template,
            record_template=record_template,
            feature_names=tuple(feature_names),
            accessor=probability,
        )
        self.max_rows_per_request = 1 if self.format.single_record else max_rows_per_request
        self.concurrency = concurrency
        self.max_pending = max_pending
        self.max_request_bytes = max_request_bytes
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.stats = PredictorStats()
        sent = {"Content-Type": self.format.content_type, "Accept": self.format.accept_type}
        if custom_attributes:
            sent["X-Amzn-SageMaker-Custom-Attributes"] = custom_attributes
        if target_model:
            sent["X-Amzn-SageMaker-Target-Model"] = target_model
        sent.update(headers or {})
        self._httpx = httpx
        self._client = (
            None
            if workers == "processes"
            else httpx.Client(  # the workers hold the connections
                headers=sent,
                timeout=httpx.Timeout(timeout),
                limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            )
        )
        self.workers = workers
        self._pool: Executor
        if workers == "processes":  # each worker process: one HttpPredictor with one connection
            self._pool = ProcessPoolExecutor(
                max_workers=concurrency,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker,
                initargs=({**self._settings, "concurrency": 1, "max_pending": 0},),
            )
        else:
            self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="modelwatch-predict")

    @property
    def batch_rows(self) -> int:
        """Rows per batch that keep every connection busy."""
        return self.max_rows_per_request * self.concurrency

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return self.submit(rows).result()

    def submit(self, rows: np.ndarray) -> _Gathered:
        """Start predicting ``rows``; ``result()`` waits and raises :class:`EndpointError` on failure."""
        rows = np.asarray(rows, dtype=np.float64)
        self.stats.add(calls=1, rows=len(rows))
        step = self.max_rows_per_request
        chunks = [rows[i : i + step] for i in range(0, len(rows), step)]
        if self.workers == "threads":
            return _Gathered([self._pool.submit(self._request, chunk) for chunk in chunks], remote=False)
        parts = [self._pool.submit(_worker_request, chunk) for chunk in chunks]
        for part in parts:
            part.add_done_callback(self._count_remote)
        return _Gathered(parts, remote=True)

    def _count_remote(self, part: Future[Any]) -> None:
        if not part.cancelled() and part.exception() is None:
            self.stats.add(**part.result()[1])

    def _request(self, rows: np.ndarray) -> np.ndarray:
        body = self.format.encode(rows)
        if len(body) > self.max_request_bytes and len(rows) > 1:  # split to fit, by the measured row size
            step = max(1, int(len(rows) * self.max_request_bytes / len(body) * 0.95))
            return np.concatenate([self._request(rows[i : i + step]) for i in range(0, len(rows), step)])
        response = self._post(body)
        try:
            return self.format.decode(response.content, len(rows), response.headers.get("content-type"))
        except (ValueError, UnicodeDecodeError, IndexError, TypeError) as exc:
            raise EndpointError(
                f"cannot read the response ({self.format.accept_type}): {exc}; "
                f"body starts {response.content[:BODY_HEAD]!r}",
                url=self.url,
                status=response.status_code,
                body=response.content,
            ) from None

    def _post(self, body: bytes) -> Any:
        httpx = self._httpx
        attempt = 0
        while True:
            attempt += 1
            self.stats.add(requests=1, bytes_sent=len(body))
            assert self._client is not None  # threads, or the predictor of a worker process
            try:
                response = self._client.post(self.url, content=body)
            except httpx.TimeoutException as exc:
                raise EndpointError(
                    f"timed out after {self.timeout:g} s ({type(exc).__name__}) on attempt {attempt}",
                    url=self.url,
                ) from None
            except httpx.TransportError as exc:
                if attempt <= self.retries:
                    self._wait(attempt)
                    continue
                raise EndpointError(
                    f"connection failed after {attempt} attempt(s): {type(exc).__name__}: {exc}", url=self.url
                ) from None
            self.stats.add(bytes_received=len(response.content))
            if response.status_code < 400:
                return response
            if response.status_code in RETRY_STATUSES and attempt <= self.retries:
                self._wait(attempt)
                continue
            raise EndpointError(
                f"HTTP {response.status_code} {response.reason_phrase} after {attempt} attempt(s); "
                f"body starts {response.content[:BODY_HEAD]!r}",
                url=self.url,
                status=response.status_code,
                body=response.content,
            )

    def _wait(self, attempt: int) -> None:
        self.stats.add(retries=1)
        time.sleep(self.backoff * 2 ** (attempt - 1))

    def close(self) -> None:
        """Stop the request threads (or worker processes) and close the connections."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> HttpPredictor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_WORKER: HttpPredictor | None = None  # the predictor of a worker process


def _start_worker(settings: dict[str, Any]) -> None:
    global _WORKER
    _WORKER = HttpPredictor(**settings)


def _worker_request(rows: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """In a worker process: one request's scores and what it cost (requests, retries, bytes)."""
    assert _WORKER is not None
    _WORKER.stats = stats = PredictorStats()
    scores = _WORKER._request(rows)
    counts = {"requests": stats.requests, "retries": stats.retries}
    return scores, {**counts, "bytes_sent": stats.bytes_sent, "bytes_received": stats.bytes_received}


# --------------------------------------------------------------------------------------------------
# Clarify's predictor object


@dataclass(frozen=True)
class PredictorConfig:
    """Clarify's ``predictor`` object (spec 2, 10), the parts that reach the model.

    ``endpoint_url`` (a modelwatch extension) is where ``endpoint_name`` answers; ``model`` (also an
    extension) is a ``"module:attr"`` Python model used instead of an endpoint. Without either, the model
    is found by name in the setting ``MODELWATCH_MODEL_URLS`` (:meth:`resolve_url`): ``model_name``,
    the model of which Clarify would start a shadow endpoint (what the SDK's ``ModelConfig(model_name=...)``
    writes), else ``endpoint_name``. The explained score is located with ``probability``, else ``label``,
    else the whole answer.
    """

    endpoint_name: str | None = None
    model_name: str | None = None
    endpoint_url: str | None = None
    model: str | None = None
    content_type: str = CSV
    accept_type: str | None = None
    content_template: str | None = None
    record_template: str | None = None
    label: int | str | None = None
    probability: int | str | None = None
    label_headers: tuple[str, ...] | None = None
    custom_attributes: str | None = None
    target_model: str | None = None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None) -> PredictorConfig:
        """Parse ``predictor``; unknown keys (``instance_type``, ...) are ignored.

        Raises :class:`~modelwatch.errors.ValidationError` naming the key (``predictor.content_type``).
        """
        obj = obj or {}
        if not isinstance(obj, Mapping):
            raise ValidationError(f"must be an object, got {obj!r}", field="predictor")

        def text(key: str) -> str | None:
            value = obj.get(key)
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"must be a string, got {value!r}", field=f"predictor.{key}")
            return value

        def locator(key: str) -> int | str | None:
            value = obj.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, str))):
                raise ValidationError(
                    f"must be a column index or a path, got {value!r}", field=f"predictor.{key}"
                )
            return value

        headers = obj.get("label_headers")
        if headers is not None and (
            not isinstance(headers, list) or not all(isinstance(h, str) for h in headers)
        ):
            raise ValidationError(
                f"must be a list of strings, got {headers!r}", field="predictor.label_headers"
            )
        content_type = (text("content_type") or CSV).lower()
        accept = text("accept_type")
        return cls(
            endpoint_name=text("endpoint_name"),
            model_name=text("model_name"),
            endpoint_url=text("endpoint_url"),
            model=text("model"),
            content_type=content_type,
            accept_type=accept.lower() if accept else None,
            content_template=text("content_template"),
            record_template=text("record_template"),
            label=locator("label"),
            probability=locator("probability"),
            label_headers=tuple(headers) if headers is not None else None,
            custom_attributes=text("custom_attributes"),
            target_model=text("target_model"),
        )

    @property
    def score_accessor(self) -> int | str | None:
        return self.probability if self.probability is not None else self.label

    def build(
        self,
        feature_names: Sequence[str],
        *,
        endpoint_url: str | None = None,
        model: Any = None,
        probability: int | str | None = None,
        **options: Any,
    ) -> LocalPredictor | HttpPredictor:
        """The predictor: ``model`` (or the config's ``model``) in process, else an :class:`HttpPredictor` for
        ``endpoint_url`` (else :meth:`resolve_url`). ``probability`` overrides the accessor (the monitor's
        ``ProbabilityAttribute`` / ``InferenceAttribute``); ``options`` go to :class:`HttpPredictor`."""
        if model is not None or (self.model is not None and endpoint_url is None):
            return LocalPredictor(model if model is not None else self.model)
        url = endpoint_url or self.resolve_url()
        return HttpPredictor(
            url,
            content_type=self.content_type,
            accept_type=self.accept_type,
            content_template=self.content_template,
            record_template=self.record_template,
            feature_names=feature_names,
            probability=probability if probability is not None else self.score_accessor,
            custom_attributes=self.custom_attributes,
            target_model=self.target_model,
            **options,
        )

    def resolve_url(self) -> str:
        """Where the model answers: ``endpoint_url``, else the URL that ``MODELWATCH_MODEL_URLS`` gives
        ``model_name``, else ``endpoint_name``.

        Raises:
            ValidationError: nothing resolves (``field`` ``predictor.endpoint_url``, what is missing); the
                message names the model (or endpoint) and the setting.
            ConfigurationError: ``MODELWATCH_MODEL_URLS`` is malformed (the message names it).
        """
        if self.endpoint_url:
            return self.endpoint_url
        names = [
            (key, name)
            for key, name in (("model_name", self.model_name), ("endpoint_name", self.endpoint_name))
            if name
        ]
        if not names:
            raise ValidationError(
                f"names no model: set predictor.endpoint_url, predictor.model, or predictor.model_name "
                f"with its URL in {MODEL_URLS_SETTING}",
                field="predictor.endpoint_url",
            )
        urls = get_settings().resolved_model_urls()
        for _, name in names:
            if name in urls:
                return urls[name]
        key, name = names[0]
        where = f"names only {', '.join(sorted(urls))}" if urls else "is not set"
        also = f" (or {names[1][1]!r}, the endpoint)" if len(names) > 1 and names[1][1] != name else ""
        raise ValidationError(
            f"no URL for {key.removesuffix('_name')} {name!r}: modelwatch starts no endpoints and "
            f"{MODEL_URLS_SETTING} {where}; add {name}=<the model's invocation URL>{also} to it, or set "
            "predictor.endpoint_url",
            field="predictor.endpoint_url",
        )
