"""Feature attributions with Kernel SHAP (shap's ``KernelExplainer``), as SageMaker Clarify computes them.

* :class:`ShapConfig` is Clarify's ``methods.shap`` object (spec 2, 8), validated; errors name the key
  (``methods.shap.agg_method``).
* :func:`resolve_background` turns its ``baseline`` (rows or a URI) or ``num_clusters`` into the
  background set; :func:`summarize_background` is ``shap.kmeans``.
* :func:`explain` runs Kernel SHAP over rows and returns :class:`Attributions`: local SHAP values, their
  global aggregate per ``agg_method`` and the expected value, per model output ("label").

How :func:`explain` drives shap. ``KernelExplainer.shap_values`` explains one row at a time and calls
the model once per row with ``num_samples × background`` synthetic rows, which is slow when the model
sits behind HTTP. :func:`explain` runs shap's own ``explain`` for each row on a shallow copy of one
explainer, answers the row's own prediction from one batched call over all rows, and stops at the
synthetic batch (the model raises :class:`_Deferred`). Synthetic batches of many rows are then sent to
the model together (asynchronously when the predictor has ``submit``), and shap's ``run`` and
``solve`` finish each row with its outputs. Rows are sampled strictly in order and nothing else draws
from ``np.random`` in between, so with the same seed the values equal ``shap_values``'s (the test
checks 1e-10). The seed is applied as shap's own tests do: ``np.random.seed(seed)`` right before the
run; the global random state is restored afterwards.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import numpy as np

from modelwatch.errors import ConfigurationError, DataError, EmptyDatasetError, ValidationError
from modelwatch.io.storage import read_text

__all__ = [
    "AggMethod",
    "Attributions",
    "Background",
    "Pending",
    "Predict",
    "ShapConfig",
    "aggregate",
    "auto_num_clusters",
    "explain",
    "resolve_background",
    "summarize_background",
]

PREFIX = "methods.shap"
MAX_AUTO_CLUSTERS = 12  # Clarify: "optimal between 1 and 12" clusters when num_clusters is not given
_AUTO_SAMPLE_ROWS = 2000  # rows used to pick the number of clusters
_DEFAULT_BATCH_ROWS = 16_384

Predict = Callable[[np.ndarray], np.ndarray]


class AggMethod(StrEnum):
    """How local SHAP values become one global value per feature (Clarify's ``agg_method``)."""

    MEAN_ABS = "mean_abs"  # mean |phi| (default)
    MEDIAN = "median"  # median phi (can be negative)
    MEAN_SQ = "mean_sq"  # mean phi^2


_KEYS = (
    "baseline",
    "num_clusters",
    "num_samples",
    "agg_method",
    "use_logit",
    "save_local_shap_values",
    "seed",
    "features_to_explain",
    "l1_reg",
)
_UNSUPPORTED = ("text_config", "image_config")


def _field(key: str) -> str:
    return f"{PREFIX}.{key}"


def _int(value: Any, key: str, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"must be an integer, got {value!r}", field=_field(key))
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValidationError(f"must be >= {minimum}{upper}, got {value}", field=_field(key))
    return value


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"must be true or false, got {value!r}", field=_field(key))
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise ValidationError(f"must be a number, got {value!r}", field=where)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValidationError(
        f"must be a number, got {value!r} (only numeric features are supported)", field=where
    )


def _baseline_row(row: Any, index: int) -> tuple[float, ...]:
    where = f"{_field('baseline')}[{index}]"
    if isinstance(row, Mapping):  # JSON Lines baseline: {"features": [...]}
        values = row.get("features")
        if values is None and len(row) == 1:
            values = next(iter(row.values()))
        if not isinstance(values, list):
            raise ValidationError("a JSON baseline row must hold its features as a list", field=where)
        row = values
    if not isinstance(row, (list, tuple)) or not row:
        raise ValidationError(f"must be a non-empty list of feature values, got {row!r}", field=where)
    return tuple(_number(value, f"{where}[{j}]") for j, value in enumerate(row))


def _baseline(value: Any) -> tuple[tuple[float, ...], ...] | str:
    if isinstance(value, str):
        if not value.strip():
            raise ValidationError(
                "must be a URI or a list of rows, got an empty string", field=_field("baseline")
            )
        return value
    if isinstance(value, Mapping) and isinstance(value.get("features"), list):
        value = value["features"]  # {"features": [[...], ...]}
    if not isinstance(value, (list, tuple)) or not value:
        raise ValidationError(
            f"must be a URI or a non-empty list of rows, got {value!r}", field=_field("baseline")
        )
    rows = tuple(_baseline_row(row, i) for i, row in enumerate(value))
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise ValidationError(f"rows have different lengths {sorted(widths)}", field=_field("baseline"))
    return rows


def _features_to_explain(value: Any) -> tuple[int | str, ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValidationError(
            f"must be a non-empty list of feature names or indices, got {value!r}",
            field=_field("features_to_explain"),
        )
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise ValidationError(
                f"items must be feature names or indices, got {item!r}", field=_field("features_to_explain")
            )
    return tuple(value)


def _l1_reg(value: Any) -> str | float | bool:
    if value is False or value is None:
        return False
    if isinstance(value, bool):
        raise ValidationError(
            "must be false, 'aic', 'bic', 'num_features(N)' or a number", field=_field("l1_reg")
        )
    if isinstance(value, (int, float)) and value > 0:
        return float(value)
    if isinstance(value, str) and (
        value in ("aic", "bic") or (value.startswith("num_features(") and value[13:-1].isdigit())
    ):
        return value
    raise ValidationError(
        f"must be false, 'aic', 'bic', 'num_features(N)' or a positive number, got {value!r}",
        field=_field("l1_reg"),
    )


@dataclass(frozen=True)
class ShapConfig:
    """Clarify's ``methods.shap`` settings (spec 2 and 8).

    ``baseline`` is the background: rows of feature values or a storage URI (CSV rows, JSON Lines
    ``{"features": [...]}`` objects or a JSON list of rows). Without it, the data to explain is
    summarised by k-means into ``num_clusters`` rows (:func:`auto_num_clusters` picks 1-12 when that
    is not set). ``num_samples`` is the number of coalitions per row (shap's ``2·M + 2048`` when not
    set). ``l1_reg`` is a modelwatch extension passed to shap (``false``: every feature is attributed).
    """

    baseline: tuple[tuple[float, ...], ...] | str | None = None
    num_clusters: int | None = None
    num_samples: int | None = None
    agg_method: AggMethod = AggMethod.MEAN_ABS
    use_logit: bool = False
    save_local_shap_values: bool = True
    seed: int | None = None
    features_to_explain: tuple[int | str, ...] | None = None
    l1_reg: str | float | bool = False

    def __post_init__(self) -> None:
        if self.baseline is not None and self.num_clusters is not None:
            raise ValidationError(
                "baseline and num_clusters cannot both be given; give one of them",
                field=_field("num_clusters"),
            )
        if self.num_clusters is not None:
            _int(self.num_clusters, "num_clusters", minimum=1)
        if self.num_samples is not None:
            _int(self.num_samples, "num_samples", minimum=1)
        if self.seed is not None:
            _int(self.seed, "seed", minimum=0, maximum=2**32 - 1)
        try:
            object.__setattr__(self, "agg_method", AggMethod(self.agg_method))
        except ValueError:
            allowed = ", ".join(m.value for m in AggMethod)
            raise ValidationError(
                f"must be one of {allowed}, got {self.agg_method!r}", field=_field("agg_method")
            ) from None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None) -> ShapConfig:
        """Parse the ``methods.shap`` object of a Clarify analysis config.

        Raises :class:`~modelwatch.errors.ValidationError` naming the key (``methods.shap.seed``).
        """
        if obj is None:
            obj = {}
        if not isinstance(obj, Mapping):
            raise ValidationError(f"must be an object, got {obj!r}", field=PREFIX)
        for key in obj:
            if key in _UNSUPPORTED:
                raise ValidationError("text and image explanations are not supported", field=_field(key))
            if key not in _KEYS:
                raise ValidationError(f"unknown key; expected one of {', '.join(_KEYS)}", field=_field(key))
        baseline = obj.get("baseline")
        agg = obj.get("agg_method")
        if agg is not None and not isinstance(agg, str):
            raise ValidationError(f"must be a string, got {agg!r}", field=_field("agg_method"))
        return cls(
            baseline=None if baseline is None else _baseline(baseline),
            num_clusters=_opt_int(obj, "num_clusters", 1),
            num_samples=_opt_int(obj, "num_samples", 1),
            agg_method=AggMethod.MEAN_ABS if agg is None else agg,  # type: ignore[arg-type]
            use_logit=_bool(obj.get("use_logit", False), "use_logit"),
            save_local_shap_values=_bool(obj.get("save_local_shap_values", True), "save_local_shap_values"),
            seed=_opt_int(obj, "seed", 0),
            features_to_explain=(
                None
                if obj.get("features_to_explain") is None
                else _features_to_explain(obj["features_to_explain"])
            ),
            l1_reg=_l1_reg(obj.get("l1_reg", False)),
        )

    def to_json(self) -> dict[str, Any]:
        """The ``methods.shap`` object (keys that are not set are left out)."""
        out: dict[str, Any] = {}
        if self.baseline is not None:
            out["baseline"] = (
                self.baseline if isinstance(self.baseline, str) else [list(r) for r in self.baseline]
            )
        for key in ("num_clusters", "num_samples", "seed"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["agg_method"] = self.agg_method.value
        out["use_logit"] = self.use_logit
        out["save_local_shap_values"] = self.save_local_shap_values
        if self.features_to_explain is not None:
            out["features_to_explain"] = list(self.features_to_explain)
        if self.l1_reg is not False:
            out["l1_reg"] = self.l1_reg
        return out


def _opt_int(obj: Mapping[str, Any], key: str, minimum: int) -> int | None:
    value = obj.get(key)
    return None if value is None else _int(value, key, minimum=minimum)


# --------------------------------------------------------------------------------------------------
# background


@dataclass(frozen=True)
class Background:
    """The background (Clarify's "baseline") rows and their weights (summing to 1)."""

    rows: np.ndarray
    weights: np.ndarray

    @classmethod
    def uniform(cls, rows: np.ndarray) -> Background:
        rows = np.asarray(rows, dtype=np.float64)
        return cls(rows, np.full(len(rows), 1.0 / len(rows)))

    def to_shap(self) -> Any:
        """The object KernelExplainer takes: the plain rows when uniform, else shap's weighted DenseData."""
        if np.all(self.weights == self.weights[0]):
            return self.rows
        from shap.utils._legacy import DenseData  # what shap.kmeans returns

        names = [str(i) for i in range(self.rows.shape[1])]
        return DenseData(self.rows, names, None, np.array(self.weights, dtype=np.float64))


def _require_shap() -> Any:
    try:
        import shap
    except ImportError as exc:  # pragma: no cover - shap is in the "explain" extra
        raise ConfigurationError(
            "feature attributions need the shap package: pip install 'modelwatch[explain]'"
        ) from exc
    return shap


def summarize_background(rows: np.ndarray, num_clusters: int) -> Background:
    """``shap.kmeans(rows, k)``: k cluster centres (each value snapped to the nearest data value) weighted
    by their cluster sizes. ``k`` is capped at the number of rows."""
    shap = _require_shap()
    rows = np.asarray(rows, dtype=np.float64)
    if len(rows) == 0:
        raise EmptyDatasetError("no rows to summarise into a SHAP background")
    k = min(num_clusters, len(rows))
    summary = shap.kmeans(rows, k)
    return Background(
        np.asarray(summary.data, dtype=np.float64), np.asarray(summary.weights, dtype=np.float64)
    )


def auto_num_clusters(rows: np.ndarray, seed: int | None = None) -> int:
    """The number of clusters (1-12) with the best silhouette score on up to 2,000 rows (our reading of
    Clarify's "optimal between 1 and 12"; the container's rule is not public). Data with fewer than
    three distinct rows gets one cluster per distinct row."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rows = np.asarray(rows, dtype=np.float64)
    if len(rows) > _AUTO_SAMPLE_ROWS:
        pick = np.random.default_rng(seed if seed is not None else 0).choice(
            len(rows), _AUTO_SAMPLE_ROWS, replace=False
        )
        rows = rows[np.sort(pick)]
    distinct = len(np.unique(rows, axis=0))
    if distinct < 3:
        return max(distinct, 1)
    best_k, best_score = 1, -math.inf
    for k in range(2, min(MAX_AUTO_CLUSTERS, distinct - 1) + 1):
        labels = KMeans(n_clusters=k, random_state=0, n_init=1).fit_predict(rows)
        score = float(silhouette_score(rows, labels))
        if score > best_score:
            best_k, best_score = k, score
    return best_k


def _parse_baseline_text(text: str, uri: str, n_features: int) -> np.ndarray:
    stripped = text.lstrip()
    rows: list[list[Any]] = []
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except ValueError as exc:
            raise DataError(f"not valid JSON: {exc}", file=uri) from None
        rows = [list(_baseline_row(row, i)) for i, row in enumerate(value)]
    elif stripped.startswith("{"):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise DataError(f"not valid JSON: {exc}", file=uri, line=number) from None
            rows.append(list(_baseline_row(record, number - 1)))
    else:
        for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not record or not any(v.strip() for v in record):
                continue
            try:
                rows.append([float(v) for v in record])
            except ValueError:
                if not rows and number == 1:  # a header line
                    continue
                bad = next(j for j, v in enumerate(record) if not _is_float(v))
                raise DataError(
                    f"baseline value {record[bad]!r} is not a number", file=uri, line=number, column=str(bad)
                ) from None
    if not rows:
        raise EmptyDatasetError("the SHAP baseline holds no rows", file=uri)
    for number, row in enumerate(rows, start=1):
        if len(row) != n_features:
            raise DataError(
                f"baseline row has {len(row)} values, expected {n_features} features", file=uri, line=number
            )
    return np.asarray(rows, dtype=np.float64)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def resolve_background(config: ShapConfig, data: np.ndarray | None, *, n_features: int) -> Background:
    """The background for ``config``: its ``baseline`` rows or file (uniform weights), else ``data``
    summarised by k-means into ``num_clusters`` (or :func:`auto_num_clusters`) weighted centres."""
    if isinstance(config.baseline, str):
        return Background.uniform(
            _parse_baseline_text(read_text(config.baseline), config.baseline, n_features)
        )
    if config.baseline is not None:
        rows = np.asarray(config.baseline, dtype=np.float64)
        if rows.shape[1] != n_features:
            raise ValidationError(
                f"baseline rows have {rows.shape[1]} values, expected {n_features} features",
                field=_field("baseline"),
            )
        return Background.uniform(rows)
    if data is None or len(data) == 0:
        raise EmptyDatasetError("no rows to build the SHAP background from (give methods.shap.baseline)")
    k = config.num_clusters if config.num_clusters is not None else auto_num_clusters(data, config.seed)
    return summarize_background(data, k)


# --------------------------------------------------------------------------------------------------
# aggregation and results


def aggregate(values: np.ndarray, method: AggMethod | str) -> np.ndarray:
    """Global SHAP values from local ones (rows on axis 0): mean |phi|, median phi or mean phi^2."""
    method = AggMethod(method)
    values = np.asarray(values, dtype=np.float64)
    if method is AggMethod.MEAN_ABS:
        return np.mean(np.abs(values), axis=0)
    if method is AggMethod.MEDIAN:
        return np.median(values, axis=0)
    return np.mean(np.square(values), axis=0)


@dataclass(frozen=True)
class Attributions:
    """Kernel SHAP results for one set of rows.

    ``global_values[l, j]`` is the aggregate of feature ``j`` for output ``labels[l]``;
    ``local_values[l, i, j]`` (when kept) the SHAP value of row ``i``; ``expected_values[l]`` the base
    value (mean model output over the background, in log-odds with ``use_logit``). ``model_calls`` and
    ``model_rows`` count what was asked of the model.
    """

    feature_names: tuple[str, ...]
    labels: tuple[str, ...]
    global_values: np.ndarray
    expected_values: np.ndarray
    local_values: np.ndarray | None
    agg_method: AggMethod
    num_samples: int | None
    model_calls: int
    model_rows: int
    rows: int = field(default=0)

    def global_shap_values(self, label: str) -> dict[str, float]:
        """``{feature: global value}`` for one output label."""
        index = self.labels.index(label)
        return {name: float(v) for name, v in zip(self.feature_names, self.global_values[index], strict=True)}


# --------------------------------------------------------------------------------------------------
# running Kernel SHAP


class Pending(Protocol):
    """A prediction in flight (``concurrent.futures.Future`` fits)."""

    def result(self) -> np.ndarray: ...


class _Deferred(Exception):
    """Raised by a row's model when shap asks for its synthetic batch: the batch is evaluated later."""


class _RowModel:
    """The model one row's explainer copy sees: the row's own prediction, then deferral, then replay."""

    def __init__(self, fx: np.ndarray) -> None:
        self.fx = fx
        self.calls = 0
        self.batch: np.ndarray | None = None
        self.out: np.ndarray | None = None

    def f(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        if self.calls == 1:
            return self.fx
        if self.out is None:
            self.batch = x
            raise _Deferred
        return self.out


@dataclass
class _Row:
    index: int
    explainer: Any
    model: _RowModel


class _Model:
    """Wraps the user's predict: checks shapes and values, counts calls and rows."""

    def __init__(self, predict: Predict, use_logit: bool) -> None:
        self.predict = predict
        self.submit: Callable[[np.ndarray], Pending] | None = getattr(predict, "submit", None)
        self.use_logit = use_logit
        self.calls = 0
        self.rows = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.rows += len(x)
        return self.check(self.predict(x), len(x))

    def start(self, x: np.ndarray) -> Pending:
        self.calls += 1
        self.rows += len(x)
        assert self.submit is not None
        return self.submit(x)

    def check(self, out: Any, n: int) -> np.ndarray:
        out = np.asarray(out, dtype=np.float64)
        if out.ndim == 0 or out.shape[0] != n or out.ndim > 2:
            raise DataError(f"the model returned an array of shape {out.shape} for {n} rows")
        finite = np.isfinite(out)
        if not np.all(finite):
            row, value = _first(~finite, out)
            raise DataError(f"the model returned a non-finite score {value!r} for row {row} of a batch")
        outside = (out <= 0) | (out >= 1)
        if self.use_logit and np.any(outside):
            row, value = _first(outside, out)
            raise DataError(
                f"use_logit needs scores strictly between 0 and 1; the model returned {value!r} "
                f"for row {row} of a batch"
            )
        return out


def _first(mask: np.ndarray, out: np.ndarray) -> tuple[int, float]:
    """The row and value of the first True of ``mask`` (shaped like ``out``)."""
    position = int(np.flatnonzero(mask)[0])
    return position // max(out.size // len(out), 1), float(out.flat[position])


_RANDOM_LOCK = threading.Lock()


@contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Seed numpy's global generator as shap's tests do, one explanation at a time, and restore it."""
    with _RANDOM_LOCK:
        if seed is None:
            yield
            return
        state = np.random.get_state()
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(state)


def _as_matrix(rows: Any) -> np.ndarray:
    try:
        matrix = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"rows to explain must be numeric: {exc}") from None
    if matrix.ndim != 2:
        raise DataError(f"rows to explain must be a 2-D array, got shape {matrix.shape}")
    if len(matrix) == 0:
        raise EmptyDatasetError("no rows to explain")
    return matrix


def _explain_kwargs(config: ShapConfig) -> dict[str, Any]:
    return {
        "nsamples": config.num_samples if config.num_samples is not None else "auto",
        "l1_reg": config.l1_reg,
        "silent": True,
    }


class _Runner:
    """Explains rows in order, batching the synthetic rows of many rows into few model calls."""

    def __init__(
        self, base: Any, model: _Model, kwargs: dict[str, Any], batch_rows: int, max_pending: int
    ) -> None:
        self.base = base
        self.model = model
        self.kwargs = kwargs
        self.batch_rows = batch_rows
        self.max_pending = max_pending if model.submit is not None else 0
        self.buffer: list[_Row] = []
        self.buffered = 0
        self.pending: deque[tuple[list[_Row], Pending, int]] = deque()

    def run(self, rows: np.ndarray, fx: np.ndarray, phi: np.ndarray) -> None:
        try:
            for i in range(len(rows)):
                self._start(i, rows[i : i + 1], fx[i : i + 1], phi)
                while len(self.pending) > self.max_pending:
                    self._complete(phi)
            self._flush()
            while self.pending:
                self._complete(phi)
        except BaseException:
            for _, pending, _ in self.pending:
                cancel = getattr(pending, "cancel", None)
                if cancel is not None:
                    cancel()
            raise

    def _start(self, i: int, x: np.ndarray, fx: np.ndarray, phi: np.ndarray) -> None:
        explainer = copy.copy(self.base)
        model = _RowModel(fx)
        explainer.model = model
        try:
            result = explainer.explain(x, **self.kwargs)
        except _Deferred:
            assert model.batch is not None
            self.buffer.append(_Row(i, explainer, model))
            self.buffered += len(model.batch)
            if self.buffered >= self.batch_rows:
                self._flush()
            return
        phi[i] = np.reshape(result, phi.shape[1:])  # no coalitions needed (0 or 1 varying feature)

    def _flush(self) -> None:
        if not self.buffer:
            return
        rows, n = self.buffer, self.buffered
        self.buffer, self.buffered = [], 0
        batch = np.concatenate([row.model.batch for row in rows])  # type: ignore[misc]
        if self.model.submit is not None:
            self.pending.append((rows, self.model.start(batch), n))
        else:
            self.pending.append((rows, _Done(self.model(batch)), n))

    def _complete(self, phi: np.ndarray) -> None:
        rows, pending, n = self.pending.popleft()
        out = self.model.check(pending.result(), n)
        offset = 0
        for row in rows:
            size = len(row.model.batch)  # type: ignore[arg-type]
            row.model.out = out[offset : offset + size]
            offset += size
            phi[row.index] = _finish(row.explainer)
            row.explainer = None


@dataclass(frozen=True)
class _Done:
    value: np.ndarray

    def result(self) -> np.ndarray:
        return self.value


def _finish(explainer: Any) -> np.ndarray:
    """The tail of ``KernelExplainer.explain`` after the synthetic batch: ``run``, then ``solve``."""
    from shap import KernelExplainer

    KernelExplainer.run(explainer)
    phi = np.zeros((explainer.data.groups_size, explainer.D))
    for d in range(explainer.D):
        values, _ = explainer.solve(explainer.nsamples / explainer.max_samples, d)
        phi[explainer.varyingInds, d] = values
    return phi


def _label_names(labels: Sequence[str] | None, outputs: int) -> tuple[str, ...]:
    if labels is None:
        return tuple(f"label{i}" for i in range(outputs))
    if len(labels) != outputs:
        raise ValidationError(
            f"{len(labels)} label names {list(labels)} for a model with {outputs} output score(s)",
            field="predictor.label_headers",
        )
    return tuple(labels)


def _explained_columns(config: ShapConfig, names: tuple[str, ...]) -> list[int]:
    if config.features_to_explain is None:
        return list(range(len(names)))
    columns: list[int] = []
    for item in config.features_to_explain:
        if isinstance(item, int):
            if not 0 <= item < len(names):
                raise ValidationError(
                    f"feature index {item} is out of range", field=_field("features_to_explain")
                )
            columns.append(item)
        elif item in names:
            columns.append(names.index(item))
        else:
            raise ValidationError(f"unknown feature {item!r}", field=_field("features_to_explain"))
    return columns


def explain(
    predict: Predict,
    rows: Any,
    background: Background | np.ndarray,
    config: ShapConfig,
    *,
    feature_names: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    batch_rows: int | None = None,
    max_pending: int | None = None,
) -> Attributions:
    """Kernel SHAP values of ``rows`` (a 2-D numeric array) for the model ``predict``.

    ``predict`` maps an ``(n, features)`` array to ``n`` scores or an ``(n, outputs)`` array; a predictor
    with ``submit(rows) -> future`` is fed asynchronously, ``max_pending`` batches at a time. Synthetic rows
    are sent in batches of about ``batch_rows`` rows (defaults: the predictor's ``batch_rows`` /
    ``max_pending`` attributes, else 16,384 and 0). ``labels`` names the outputs (default ``label0``...).

    Raises :class:`~modelwatch.errors.DataError` when the model returns the wrong shape, a non-finite
    score, or (``use_logit``) a score outside (0, 1); whatever ``predict`` raises passes through.
    """
    shap = _require_shap()
    matrix = _as_matrix(rows)
    if not isinstance(background, Background):
        background = Background.uniform(_as_matrix(background))
    if background.rows.shape[1] != matrix.shape[1]:
        raise DataError(
            f"the background has {background.rows.shape[1]} features but the rows have {matrix.shape[1]}"
        )
    names = (
        tuple(feature_names)
        if feature_names is not None
        else tuple(f"feature_{j}" for j in range(matrix.shape[1]))
    )
    if len(names) != matrix.shape[1]:
        raise ValidationError(f"{len(names)} feature names for {matrix.shape[1]} columns", field="headers")
    model = _Model(predict, config.use_logit)
    batch = batch_rows if batch_rows is not None else int(getattr(predict, "batch_rows", _DEFAULT_BATCH_ROWS))
    pending = max_pending if max_pending is not None else int(getattr(predict, "max_pending", 0))
    with _seeded(config.seed):
        base = shap.KernelExplainer(
            model, background.to_shap(), link="logit" if config.use_logit else "identity"
        )
        outputs = int(base.D)
        label_names = _label_names(labels, outputs)
        fx = model(matrix)
        phi = np.zeros((len(matrix), matrix.shape[1], outputs))
        _Runner(base, model, _explain_kwargs(config), max(batch, 1), max(pending, 0)).run(matrix, fx, phi)
    columns = _explained_columns(config, names)
    local = np.transpose(phi, (2, 0, 1))[:, :, columns]  # (labels, rows, features)
    expected = np.atleast_1d(np.asarray(base.expected_value, dtype=np.float64))
    return Attributions(
        feature_names=tuple(names[j] for j in columns),
        labels=label_names,
        global_values=np.stack([aggregate(values, config.agg_method) for values in local]),
        expected_values=expected,
        local_values=local if config.save_local_shap_values else None,
        agg_method=config.agg_method,
        num_samples=config.num_samples,
        model_calls=model.calls,
        model_rows=model.rows,
        rows=len(matrix),
    )
