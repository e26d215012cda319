"""The model as a function over a 2-D array of feature rows — what Kernel SHAP calls.

* :class:`LocalPredictor`: a Python model in this process: an object with ``predict_proba`` or
  ``predict``, a plain callable, or a ``"module:attr"`` import string (:func:`load_model`).
* :class:`HttpPredictor`: a model endpoint over HTTP. Rows are POSTed in the payload formats of
  SageMaker requests and capture records (``text/csv``: one CSV line per row; ``application/jsonlines``:
  Clarify's ``content_template`` per row; ``application/json``: ``content_template`` with ``$records``
  or ``$record`` and ``record_template``), and the scores are read from the response with Clarify's
  ``probability`` / ``label`` accessor (a CSV column index, or a JMESPath-like path for JSON, spec 10).
  Large calls are split into requests of ``max_rows_per_request`` rows sent ``concurrency`` at a time;
  connection failures and 429/502/503/504 answers are retried; any other failure raises
  :class:`EndpointError`, which names the URL, the HTTP status and the first bytes of the body.
* :class:`PredictorConfig` reads Clarify's ``predictor`` object and builds either of them.

Both count what they are asked (:class:`PredictorStats`).
"""

from __future__ import annotations

import csv
import functools
import importlib
import io
import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.errors import ConfigurationError, EndpointError, ValidationError

__all__ = [
    "EndpointError",
    "HttpPredictor",
    "JsonPath",
    "LocalPredictor",
    "PayloadFormat",
    "PredictorConfig",
    "PredictorStats",
    "load_model",
]

CSV = "text/csv"
JSON_LINES = "application/jsonlines"
JSON = "application/json"
CONTENT_TYPES = (CSV, JSON_LINES, JSON)
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BODY_HEAD = 200  # bytes of a failed response quoted in errors


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
# JMESPath-like accessor


_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)|\"(?P<quoted>(?:[^\"\\]|\\.)*)\"|\[(?P<index>-?\d+|\*)\]|(?P<dot>\.))"
)


class JsonPath:
    """The JMESPath subset Clarify configs use to find scores in JSON: ``score``, ``"a b"``,
    ``predictions[*].score``, ``probabilities[1]``, ``[0]``, ``a.b[-1]``. ``[*]`` projects the rest of
    the path over a list. A missing key or index gives ``None``."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.steps: list[str | int | None] = []  # name, index, or None for [*]
        position, expect_name = 0, True
        while position < len(expression):
            match = _TOKEN.match(expression, position)
            if match is None or match.end() == position:
                raise ValidationError(
                    f"cannot parse {expression!r} at position {position}", field="predictor.probability"
                )
            position = match.end()
            if match.group("dot"):
                expect_name = True
                continue
            if match.group("index") is not None:
                index = match.group("index")
                self.steps.append(None if index == "*" else int(index))
            else:
                if not expect_name:
                    raise ValidationError(
                        f"cannot parse {expression!r} at position {match.start()}",
                        field="predictor.probability",
                    )
                name = (
                    match.group("name")
                    if match.group("name") is not None
                    else json.loads(f'"{match.group("quoted")}"')
                )
                self.steps.append(name)
            expect_name = False
        if not self.steps:
            raise ValidationError("empty path", field="predictor.probability")

    def __call__(self, value: Any) -> Any:
        return self._walk(self.steps, value)

    def _walk(self, steps: list[str | int | None], value: Any) -> Any:
        for k, step in enumerate(steps):
            if step is None:
                if not isinstance(value, list):
                    return None
                return [self._walk(steps[k + 1 :], item) for item in value]
            if isinstance(step, str):
                value = value.get(step) if isinstance(value, dict) else None
            elif isinstance(value, list) and -len(value) <= step < len(value):
                value = value[step]
            else:
                return None
            if value is None:
                return None
        return value


@functools.lru_cache(maxsize=64)
def _compiled(expression: str) -> JsonPath:
    return JsonPath(expression)


# --------------------------------------------------------------------------------------------------
# payloads


def _column_text(values: np.ndarray, missing: str) -> tuple[pa.Array, np.ndarray | None]:
    """A column's distinct values as shortest round-trip decimal strings (Arrow's float formatting; NaN
    as ``missing``) and each row's index into them — or all values and None when few repeat.

    Synthetic SHAP rows repeat a few values per column, so formatting each distinct value once is
    several times faster than formatting every value.
    """
    array = pa.array(values, type=pa.float64())
    encoded = pc.dictionary_encode(array)
    repeated = 2 * len(encoded.dictionary) <= len(array)
    distinct = encoded.dictionary if repeated else array
    text = pc.cast(distinct, pa.string())
    if pc.any(pc.is_nan(distinct)).as_py():
        text = pc.if_else(pc.is_nan(distinct), pa.scalar(missing), text)
    indices = encoded.indices.to_numpy(zero_copy_only=False) if repeated else None
    return text, indices


def _text_columns(rows: np.ndarray, missing: str) -> list[pa.Array]:
    """Each column's values as decimal strings (see :func:`_column_text`)."""
    columns = []
    for column in np.ascontiguousarray(rows.T):
        text, indices = _column_text(column, missing)
        columns.append(text if indices is None else text.take(pa.array(indices)))
    return columns


def _delimited(rows: np.ndarray, missing: str, *, prefix: str, sep: str, suffix: str) -> bytes:
    """``prefix v0 sep v1 sep ... v_last suffix`` for every row, rows one after another.

    Each column's (distinct) strings get their neighbouring separator appended, the pieces of all
    columns go into one string array, and one ``take`` in row-major order lays the body out in its
    value buffer: no per-row Python and no per-row join.
    """
    n, m = rows.shape
    pieces: list[pa.Array] = []
    index = np.empty((m, n), dtype=np.int32)
    start = 0
    for j, column in enumerate(np.ascontiguousarray(rows.T)):
        text, indices = _column_text(column, missing)
        before = prefix if j == 0 else ""
        after = suffix if j == m - 1 else sep
        pieces.append(pc.binary_join_element_wise(before, text, after, ""))
        index[j] = start + (np.arange(n, dtype=np.int32) if indices is None else indices)
        start += len(text)
    body = pa.concat_arrays(pieces).take(pa.array(index.T.ravel()))
    return _buffer_bytes(body)


def _buffer_bytes(strings: pa.Array) -> bytes:
    """The strings of a string array concatenated: its value buffer between the first and last offset."""
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[[strings.offset, strings.offset + len(strings)]]
    return data[int(bounds[0]) : int(bounds[1])].to_pybytes() if data is not None else b""


def _row_parts(columns: list[pa.Array]) -> list[Any]:
    """``c0 "," c1 "," ... c_last``: the parts of comma-separated values."""
    parts: list[Any] = []
    for j, column in enumerate(columns):
        parts.extend([",", column] if j else [column])
    return parts


def _concat(parts: Sequence[Any], rows: int) -> bytes:
    """Every row's ``parts`` (literal strings and per-row string arrays) concatenated, rows one after
    another: the value buffer of the joined string array is the body, without a per-row Python step."""
    if not any(isinstance(part, pa.Array) for part in parts):
        parts = [*parts, pa.array([""] * rows, pa.string())]
    return _buffer_bytes(pc.binary_join_element_wise(*parts, ""))


_NAMED = re.compile(r'"\$\{([^}]*)\}"')
_PLACEHOLDER = re.compile(r'\$features_kvp|\$feature_names|\$features|"\$\{([^}]*)\}"')


@dataclass(frozen=True)
class PayloadFormat:
    """How rows become a request body and a response body becomes scores (Clarify's predictor fields)."""

    content_type: str = CSV
    accept_type: str = ""  # default: content_type
    content_template: str | None = None
    record_template: str | None = None
    feature_names: tuple[str, ...] = ()
    accessor: int | str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "accept_type", self.accept_type or self.content_type)
        for key in ("content_type", "accept_type"):
            if getattr(self, key) not in CONTENT_TYPES:
                raise ValidationError(
                    f"{getattr(self, key)!r} is not supported; use one of {', '.join(CONTENT_TYPES)}",
                    field=f"predictor.{key}",
                )
        if self.content_type == JSON_LINES and (
            self.content_template is None or self.content_template.count("$features") != 1
        ):
            raise ValidationError(
                "application/jsonlines needs a content_template with one $features placeholder",
                field="predictor.content_template",
            )
        if self.content_type == JSON:
            if self.content_template is None or "$record" not in self.content_template:
                raise ValidationError(
                    "application/json needs a content_template with $records or $record",
                    field="predictor.content_template",
                )
            if self.record_template is None:
                raise ValidationError(
                    "application/json needs a record_template", field="predictor.record_template"
                )
            for name in _NAMED.findall(self.record_template):
                if name not in self.feature_names:
                    raise ValidationError(
                        f"placeholder ${{{name}}} names no feature in headers",
                        field="predictor.record_template",
                    )
            if "$features_kvp" in self.record_template and not self.feature_names:
                raise ValidationError(
                    "$features_kvp needs the feature names (headers)", field="predictor.record_template"
                )
        if (
            self.accept_type == CSV
            and isinstance(self.accessor, str)
            and not self.accessor.lstrip("-").isdigit()
        ):
            raise ValidationError(
                f"a CSV response is indexed by column number, got {self.accessor!r}",
                field="predictor.probability",
            )

    @property
    def single_record(self) -> bool:
        """Whether each request carries one row (``content_template`` with ``$record``, not ``$records``)."""
        return self.content_type == JSON and "$records" not in (self.content_template or "")

    def encode(self, rows: np.ndarray) -> bytes:
        """The request body for ``rows``."""
        if self.content_type == CSV:
            return _delimited(rows, "", prefix="", sep=",", suffix="\n")
        if self.content_type == JSON_LINES:
            before, after = (self.content_template or "").split("$features")
            return _delimited(rows, "null", prefix=before + "[", sep=",", suffix="]" + after + "\n")
        records = _concat([*self._record_parts(rows), ","], len(rows))[:-1].decode()
        template = self.content_template or ""
        if "$records" in template:
            return template.replace("$records", "[" + records + "]").encode()
        return template.replace("$record", records).encode()

    def _record_parts(self, rows: np.ndarray) -> list[Any]:
        """The parts of one ``record_template`` rendering per row."""
        template = self.record_template or ""
        columns = _text_columns(rows, "null")
        parts: list[Any] = []
        position = 0
        for match in _PLACEHOLDER.finditer(template):
            parts.append(template[position : match.start()])
            token = match.group(0)
            if token == "$features_kvp":
                parts.append("{")
                for j, name in enumerate(self.feature_names):
                    parts.extend([("," if j else "") + json.dumps(name) + ":", columns[j]])
                parts.append("}")
            elif token == "$feature_names":
                parts.append(json.dumps(list(self.feature_names)))
            elif token == "$features":
                parts.extend(["[", *_row_parts(columns), "]"])
            else:
                parts.append(columns[self.feature_names.index(match.group(1))])
            position = match.end()
        parts.append(template[position:])
        return parts

    def decode(self, body: bytes, rows: int, content_type: str | None = None) -> np.ndarray:
        """Scores from a response body: ``rows`` values, or ``(rows, k)`` for k scores per row.

        Raises :class:`ValueError` with the reason; the caller adds the URL and body.
        """
        kind = _kind(content_type) or self.accept_type
        if kind == CSV:
            return self._decode_csv(body.decode("utf-8"), rows)
        text = body.decode("utf-8")
        if kind == JSON_LINES:
            values = [json.loads(line) for line in text.splitlines() if line.strip()]
            return _scores([self._pick(v) for v in values], rows, "JSON lines")
        value = json.loads(text)
        if self.single_record:
            return _scores([self._pick(value)], rows, "records")
        whole = isinstance(self.accessor, str) and self.accessor.startswith("[*]")
        if isinstance(value, list) and not whole:
            return _scores([self._pick(v) for v in value], rows, "records in the JSON list")
        if self.accessor is None:
            raise ValueError("the JSON response is an object; set predictor.probability to locate the scores")
        picked = self._pick(value)
        if not isinstance(picked, list):
            raise ValueError(f"{self.accessor!r} does not give a list of scores: {picked!r}"[:BODY_HEAD])
        return _scores(picked, rows, f"scores at {self.accessor!r}")

    def _pick(self, value: Any) -> Any:
        if self.accessor is None:
            return value
        if isinstance(self.accessor, int) or self.accessor.lstrip("-").isdigit():
            index = int(self.accessor)
            return value[index] if isinstance(value, list) and -len(value) <= index < len(value) else None
        return _compiled(self.accessor)(value)

    def _decode_csv(self, text: str, rows: int) -> np.ndarray:
        if self.accessor in (None, 0, "0") and "," not in text and '"' not in text:
            try:  # fast path: one number per line
                values = pc.cast(pa.array(text.split(), pa.string()), pa.float64()).to_numpy()
            except pa.ArrowInvalid as exc:
                raise ValueError(f"a score is not a number: {exc}") from None
            if len(values) != rows:
                raise ValueError(f"the CSV response has {len(values)} lines for {rows} rows")
            return values
        records = [record for record in csv.reader(io.StringIO(text)) if record]
        if len(records) != rows:
            raise ValueError(f"the CSV response has {len(records)} lines for {rows} rows")
        if self.accessor is None:
            return _scores([[_csv_value(v) for v in record] for record in records], rows, "CSV lines")
        index = int(self.accessor)
        picked = []
        for number, record in enumerate(records, start=1):
            if not -len(record) <= index < len(record):
                raise ValueError(f"CSV line {number} has no column {index}: {record!r}"[:BODY_HEAD])
            picked.append(_csv_value(record[index]))
        return _scores(picked, rows, "CSV lines")


def _kind(content_type: str | None) -> str | None:
    if not content_type:
        return None
    base = content_type.split(";")[0].strip().lower()
    return base if base in CONTENT_TYPES else None


def _csv_value(text: str) -> Any:
    text = text.strip()
    if text.startswith("["):
        return json.loads(text)
    return float(text)


def _scores(values: list[Any], rows: int, what: str) -> np.ndarray:
    if len(values) != rows:
        raise ValueError(f"the response has {len(values)} {what} for {rows} rows")
    flat = [v[0] if isinstance(v, list) and len(v) == 1 else v for v in values]
    try:
        out = np.array(flat, dtype=np.float64)
    except (TypeError, ValueError):
        sample = next(
            (v for v in flat if not isinstance(v, (int, float, list)) or isinstance(v, bool)), flat[0]
        )
        raise ValueError(f"a score is not a number or a list of numbers: {sample!r}"[:BODY_HEAD]) from None
    if out.ndim not in (1, 2):
        raise ValueError(f"scores have shape {out.shape}; expected one number or one list of numbers per row")
    return out


# --------------------------------------------------------------------------------------------------
# HTTP endpoint


class _Gathered:
    """The pending result of one call split into several requests (``result()`` joins them in order)."""

    def __init__(self, parts: list[Future[np.ndarray]]) -> None:
        self.parts = parts

    def result(self) -> np.ndarray:
        try:
            outs = [part.result() for part in self.parts]
        except BaseException:
            self.cancel()
            raise
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    def cancel(self) -> None:
        for part in self.parts:
            part.cancel()


class HttpPredictor:
    """A model endpoint over HTTP (``POST url``) as ``predict(rows) -> scores``.

    Calls are split into requests of at most ``max_rows_per_request`` rows (1 with a ``$record``
    template) and ``max_request_bytes`` bytes (SageMaker endpoints take 6 MB), sent ``concurrency`` at a
    time on kept-alive connections. Each request has ``timeout``
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
    ) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - httpx is in the "server" extra
            raise ConfigurationError("HTTP predictors need httpx: pip install 'modelwatch[server]'") from exc
        if max_rows_per_request < 1 or concurrency < 1 or max_pending < 0 or retries < 0 or timeout <= 0:
            raise ConfigurationError(
                "max_rows_per_request and concurrency must be >= 1, max_pending and retries >= 0, timeout > 0"
            )
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
        self._client = httpx.Client(
            headers=sent,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
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
        return _Gathered(
            [self._pool.submit(self._request, rows[i : i + step]) for i in range(0, len(rows), step)]
        )

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
        """Stop the request threads and close the connections."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def __enter__(self) -> HttpPredictor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------------
# Clarify's predictor object


@dataclass(frozen=True)
class PredictorConfig:
    """Clarify's ``predictor`` object (spec 2, 10), the parts that reach the model.

    ``endpoint_url`` (a modelwatch extension) is where ``endpoint_name`` answers; ``model`` (also an
    extension) is a ``"module:attr"`` Python model used instead of an endpoint. The explained score is
    located with ``probability``, else ``label``, else the whole answer.
    """

    endpoint_name: str | None = None
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
        ``endpoint_url`` (or the config's). ``probability`` overrides the accessor (the monitor's
        ``ProbabilityAttribute`` / ``InferenceAttribute``); ``options`` go to :class:`HttpPredictor`."""
        if model is not None or (self.model is not None and endpoint_url is None):
            return LocalPredictor(model if model is not None else self.model)
        url = endpoint_url or self.endpoint_url
        if not url:
            raise ValidationError(
                f"no URL for endpoint {self.endpoint_name!r}; set predictor.endpoint_url or predictor.model",
                field="predictor.endpoint_url",
            )
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
