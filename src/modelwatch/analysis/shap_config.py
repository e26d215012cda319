"""Clarify's ``methods.shap`` settings and the background set of Kernel SHAP.

* :class:`ShapConfig` is Clarify's ``methods.shap`` object (spec 2, 8), validated; errors name the key
  (``methods.shap.agg_method``).
* :func:`resolve_background` turns its ``baseline`` (rows or a URI) or ``num_clusters`` into the
  background set; :func:`summarize_background` is ``shap.kmeans``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from modelwatch.errors import ConfigurationError, DataError, EmptyDatasetError, ValidationError
from modelwatch.io.storage import read_text

__all__ = [
    "AggMethod",
    "Background",
    "ShapConfig",
    "auto_num_clusters",
    "field_name",
    "require_shap",
    "resolve_background",
    "summarize_background",
]

PREFIX = "methods.shap"
MAX_AUTO_CLUSTERS = 12  # Clarify: "optimal between 1 and 12" clusters when num_clusters is not given
_AUTO_SAMPLE_ROWS = 2000  # rows used to pick the number of clusters


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


def field_name(key: str) -> str:
    return f"{PREFIX}.{key}"


def _int(value: Any, key: str, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"must be an integer, got {value!r}", field=field_name(key))
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValidationError(f"must be >= {minimum}{upper}, got {value}", field=field_name(key))
    return value


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"must be true or false, got {value!r}", field=field_name(key))
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
    where = f"{field_name('baseline')}[{index}]"
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
                "must be a URI or a list of rows, got an empty string", field=field_name("baseline")
            )
        return value
    if isinstance(value, Mapping) and isinstance(value.get("features"), list):
        value = value["features"]  # {"features": [[...], ...]}
    if not isinstance(value, (list, tuple)) or not value:
        raise ValidationError(
            f"must be a URI or a non-empty list of rows, got {value!r}", field=field_name("baseline")
        )
    rows = tuple(_baseline_row(row, i) for i, row in enumerate(value))
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise ValidationError(f"rows have different lengths {sorted(widths)}", field=field_name("baseline"))
    return rows


def _features_to_explain(value: Any) -> tuple[int | str, ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValidationError(
            f"must be a non-empty list of feature names or indices, got {value!r}",
            field=field_name("features_to_explain"),
        )
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise ValidationError(
                f"items must be feature names or indices, got {item!r}",
                field=field_name("features_to_explain"),
            )
    return tuple(value)


def _l1_reg(value: Any) -> str | float | bool:
    if value is False or value is None:
        return False
    if isinstance(value, bool):
        raise ValidationError(
            "must be false, 'aic', 'bic', 'num_features(N)' or a number", field=field_name("l1_reg")
        )
    if isinstance(value, (int, float)) and value > 0:
        return float(value)
    if isinstance(value, str) and (
        value in ("aic", "bic") or (value.startswith("num_features(") and value[13:-1].isdigit())
    ):
        return value
    raise ValidationError(
        f"must be false, 'aic', 'bic', 'num_features(N)' or a positive number, got {value!r}",
        field=field_name("l1_reg"),
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
                field=field_name("num_clusters"),
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
                f"must be one of {allowed}, got {self.agg_method!r}", field=field_name("agg_method")
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
                raise ValidationError("text and image explanations are not supported", field=field_name(key))
            if key not in _KEYS:
                raise ValidationError(
                    f"unknown key; expected one of {', '.join(_KEYS)}", field=field_name(key)
                )
        baseline = obj.get("baseline")
        agg = obj.get("agg_method")
        if agg is not None and not isinstance(agg, str):
            raise ValidationError(f"must be a string, got {agg!r}", field=field_name("agg_method"))
        return cls(
            baseline=None if baseline is None else _baseline(baseline),
            num_clusters=_opt_int(obj, "num_clusters", 1),
            num_samples=_opt_int(obj, "num_samples", 1),
            agg_method=AggMethod.MEAN_ABS if agg is None else agg,  # type: ignore[arg-type]  # __post_init__ converts and checks it
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


def require_shap() -> Any:
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
    shap = require_shap()
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
                field=field_name("baseline"),
            )
        return Background.uniform(rows)
    if data is None or len(data) == 0:
        raise EmptyDatasetError("no rows to build the SHAP background from (give methods.shap.baseline)")
    k = config.num_clusters if config.num_clusters is not None else auto_num_clusters(data, config.seed)
    return summarize_background(data, k)
