"""Feature attributions with Kernel SHAP (shap's ``KernelExplainer``), as SageMaker Clarify computes them.

* :class:`~modelwatch.analysis.shap_config.ShapConfig` says how (Clarify's ``methods.shap``), and
  :func:`~modelwatch.analysis.shap_config.resolve_background` gives the background set.
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
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from modelwatch.analysis.shap_config import (
    AggMethod,
    Background,
    ShapConfig,
    field_name,
    require_shap,
)
from modelwatch.errors import DataError, EmptyDatasetError, ValidationError

__all__ = [
    "Attributions",
    "Pending",
    "Predict",
    "aggregate",
    "explain",
]

_DEFAULT_BATCH_ROWS = 16_384

Predict = Callable[[np.ndarray], np.ndarray]


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
        batch = np.concatenate([row.model.batch for row in rows])
        if self.model.submit is not None:
            self.pending.append((rows, self.model.start(batch), n))
        else:
            self.pending.append((rows, _Done(self.model(batch)), n))

    def _complete(self, phi: np.ndarray) -> None:
        rows, pending, n = self.pending.popleft()
        out = self.model.check(pending.result(), n)
        offset = 0
        for row in rows:
            assert row.model.batch is not None  # set when the row was buffered (see _start)
            size = len(row.model.batch)
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
                    f"feature index {item} is out of range", field=field_name("features_to_explain")
                )
            columns.append(item)
        elif item in names:
            columns.append(names.index(item))
        else:
            raise ValidationError(f"unknown feature {item!r}", field=field_name("features_to_explain"))
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
    shap = require_shap()
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
