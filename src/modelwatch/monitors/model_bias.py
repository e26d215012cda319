"""Model-bias monitoring (SageMaker Clarify's bias analysis and bias-drift check, spec clarify.md §1-7).

* :func:`bias_report` computes the pre- and post-training bias metrics of a stream of Arrow batches
  for an analysis config, exactly as smclarify 0.5 (Clarify's library) does, and returns the
  ``analysis.json`` content (:class:`~modelwatch.formats.clarify.BiasReport`).
* :func:`suggest_bias_baseline` reads a dataset and writes the baseline ``analysis.json`` (for Clarify
  monitors the baseline ``analysis.json`` *is* the constraints file).
* :func:`check_bias_drift` compares a window's report with the baseline report (``bias_drift_check``).
* :func:`bias_metrics` / :func:`bias_metric_points` list the ``bias_metric_<NAME>`` metrics.

Default drift rule (:class:`BiasDriftRule`, our documented choice: Clarify's is not public):

1. a metric is a candidate when its current value is farther from the metric's no-bias value (1 for
   DI, 0 for the others) than the baseline value is, by more than ``tolerance``:
   ``|cur − ideal| > |base − ideal| + tolerance``. Equal values never violate (the SDK's ClarifyCheck
   test data), the docs' example holds (baseline DPPL 0.2: 0.1 passes, −0.3 violates);
2. when the window has at least ``bootstrap_min_rows`` rows, a candidate is a violation only if the
   normal bootstrap interval of the current value, ``cur ± z·σ̂`` (σ̂ from ``resamples`` multinomial
   resamples of the window's group counts, confidence ``confidence``), is disjoint from the allowed
   range ``[ideal − r, ideal + r]`` with ``r = |base − ideal| + tolerance`` (the docs' "C and A
   disjoint"). FT is not resampled (it would refit kNN each time): its σ̂ is the conservative bound
   ``√((1 − FT²) / n_d)``;
3. ``thresholds`` (a modelwatch extension; Clarify's constraints file has none) replace the baseline
   comparison for a metric by a fixed allowed range ``(low, high)``;
4. metrics that errored or are missing on either side are not checked; a current ±inf violates a
   finite baseline; an infinite baseline allows anything.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.analysis.bias import BiasAnalysisError, entry_layouts, stage_report
from modelwatch.analysis.bias_counts import BiasColumns, BiasCounts, BiasTally
from modelwatch.analysis.bias_metrics import IDEAL, POST_TRAINING, PRE_TRAINING, compute_metric
from modelwatch.errors import EmptyDatasetError, ValidationError
from modelwatch.formats.clarify import (
    POST_TRAINING_KEY,
    PRE_TRAINING_KEY,
    BiasReport,
    BiasStage,
    BiasViolation,
    FacetBias,
    bias_report_from_json,
    bias_report_to_json,
    bias_violations_to_json,
)
from modelwatch.io.datasets import read_dataset
from modelwatch.io.storage import join_uri, read_text, write_text
from modelwatch.monitors.clarify_config import AnalysisConfig

__all__ = [
    "ANALYSIS_FILE",
    "INF_METRIC_VALUE",
    "VIOLATIONS_FILE",
    "BiasBaselineResult",
    "BiasDriftRule",
    "bias_counts",
    "bias_metric_points",
    "bias_metrics",
    "bias_report",
    "bias_spec",
    "check_bias_drift",
    "read_bias_report",
    "report_from_counts",
    "suggest_bias_baseline",
    "write_bias_violations",
]

log = logging.getLogger(__name__)

ANALYSIS_FILE = "analysis.json"
VIOLATIONS_FILE = "constraint_violations.json"
PREDICTED_FROM_SCORE = "__predicted_label"
INF_METRIC_VALUE = 2.348543e108  # CloudWatch's stand-in for ±inf (spec §7)
_STAGE_DIMENSION = {PRE_TRAINING_KEY: "Pre-training", POST_TRAINING_KEY: "Post-Training"}


@dataclass(frozen=True)
class BiasBaselineResult:
    """What :func:`suggest_bias_baseline` wrote."""

    report: BiasReport
    analysis_uri: str
    rows: int


@dataclass(frozen=True)
class BiasDriftRule:
    """How :func:`check_bias_drift` decides (see the module docstring)."""

    tolerance: float = 0.0
    bootstrap_min_rows: int = 1000
    resamples: int = 300
    confidence: float = 0.99
    seed: int = 0
    thresholds: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    metrics: tuple[str, ...] | None = None  # None: every metric in both reports

    def __post_init__(self) -> None:
        if self.tolerance < 0 or not math.isfinite(self.tolerance):
            raise ValidationError(f"must be a finite number >= 0, got {self.tolerance}", field="tolerance")
        if not 0 < self.confidence < 1:
            raise ValidationError(f"must be between 0 and 1, got {self.confidence}", field="confidence")
        if self.resamples < 2:
            raise ValidationError(f"must be at least 2, got {self.resamples}", field="resamples")


# ---- configuration → columns


def _column_name(ref: str | int | None, names: list[str], what: str) -> str | None:
    if ref is None:
        return None
    if isinstance(ref, int):
        if ref >= len(names):
            raise ValidationError(
                f"column index {ref} is out of range: the data has {len(names)} columns", field=what
            )
        return names[ref]
    return ref


def _rename(names: list[str], config: AnalysisConfig) -> list[str]:
    if config.headers is None or list(config.headers) == names:
        return names
    if len(config.headers) != len(names):
        raise ValidationError(
            f"lists {len(config.headers)} columns but the data has {len(names)} ({', '.join(names)})",
            field="headers",
        )
    return list(config.headers)


def bias_spec(
    config: AnalysisConfig,
    column_names: list[str],
    *,
    label: str | int | None = None,
    predicted_label: str | int | None = None,
    ft_max_rows: int = 200_000,
) -> BiasColumns:
    """The roles of the columns (after ``headers`` renaming) for ``config``; keyword arguments override it."""
    names = _rename(column_names, config)
    label_name = _column_name(label if label is not None else config.label, names, "label")
    if label_name is None:
        raise ValidationError("is required for bias analysis (the column of observed labels)", field="label")
    if not config.label_values_or_threshold:
        raise ValidationError("is required for bias analysis", field="label_values_or_threshold")
    if not config.facet:
        raise ValidationError("is required for bias analysis", field="facet")
    predicted = _column_name(
        predicted_label if predicted_label is not None else config.predicted_label, names, "predicted_label"
    )
    facets = tuple(
        (str(_column_name(f.name_or_index, names, f"facet[{i}].name_or_index")), f.value_or_threshold)
        for i, f in enumerate(config.facet)
    )
    group = _column_name(config.group_variable, names, "group_variable")
    excluded = {_column_name(c, names, "excluded_columns") for c in config.excluded_columns}
    ft = tuple(c for c in names if c not in {label_name, predicted} | excluded and c != PREDICTED_FROM_SCORE)
    return BiasColumns(
        label=label_name,
        label_values=tuple(config.label_values_or_threshold),
        facets=facets,
        predicted_label=predicted,
        group=group,
        ft_features=ft,
        ft_max_rows=ft_max_rows,
    )


def _stage_methods(config: AnalysisConfig, methods: str | Sequence[str], predicted: bool) -> tuple[Any, Any]:
    """(pre-training names or None, post-training names or None) to compute."""
    if methods == "all":
        if config.methods is not None and (
            config.methods.pre_training_bias or config.methods.post_training_bias
        ):
            pre = config.methods.pre_training_bias
            post = config.methods.post_training_bias
            if post is not None and not predicted:
                raise ValidationError(
                    "post-training metrics need predicted labels: set predicted_label (or pass one)",
                    field="methods.post_training_bias",
                )
            return (
                pre.resolve(tuple(PRE_TRAINING)) if pre else None,
                post.resolve(tuple(POST_TRAINING)) if post else None,
            )
        return tuple(sorted(PRE_TRAINING)), tuple(sorted(POST_TRAINING)) if predicted else None
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in PRE_TRAINING and m not in POST_TRAINING]
    if unknown:
        raise ValidationError(f"unknown bias metrics {unknown}", field="methods")
    pre_names = tuple(sorted(m for m in methods if m in PRE_TRAINING))
    post_names = tuple(sorted(m for m in methods if m in POST_TRAINING))
    if post_names and not predicted:
        raise ValidationError("post-training metrics need predicted labels", field="methods")
    return pre_names or None, post_names or None


def _with_scores(batch: pa.RecordBatch, score: str, threshold: float) -> pa.RecordBatch:
    values = pc.cast(batch.column(score), pa.float64())
    predicted = pc.cast(pc.greater(values, threshold), pa.int64())
    return batch.append_column(PREDICTED_FROM_SCORE, predicted)


def _renamed(batch: pa.RecordBatch | pa.Table, names: list[str]) -> pa.RecordBatch | pa.Table:
    return batch if batch.schema.names == names else batch.rename_columns(names)


def bias_counts(
    config: AnalysisConfig,
    batches: Iterable[pa.RecordBatch] | pa.Table,
    *,
    label: str | int | None = None,
    predicted_label: str | int | None = None,
    probability: str | int | None = None,
    ft: bool = True,
    ft_max_rows: int = 200_000,
) -> BiasCounts:
    """Scan ``batches`` once into a :class:`BiasCounts` aggregate (see :func:`bias_report`)."""
    stream = batches.to_batches() if isinstance(batches, pa.Table) else batches
    counts: BiasCounts | None = None
    names: list[str] = []
    score: str | None = None
    for batch in stream:
        if counts is None:
            names = _rename(list(batch.schema.names), config)
            score = _column_name(probability, names, "probability")
            pred = predicted_label
            if score is not None and pred is None and config.predicted_label is None:
                pred = PREDICTED_FROM_SCORE
            spec = bias_spec(
                config,
                names + ([PREDICTED_FROM_SCORE] if pred == PREDICTED_FROM_SCORE else []),
                label=label,
                predicted_label=pred,
                ft_max_rows=ft_max_rows,
            )
            if score is not None and spec.ft_features:
                spec = BiasColumns(
                    **{**spec.__dict__, "ft_features": tuple(c for c in spec.ft_features if c != score)}
                )
            if not ft:
                spec = BiasColumns(**{**spec.__dict__, "ft_features": None})
            counts = BiasCounts.zero(spec)
        batch = _renamed(batch, names)
        if score is not None and counts.spec.predicted_label == PREDICTED_FROM_SCORE:
            batch = _with_scores(batch, score, config.threshold())
        counts.update(batch)
    if counts is None or counts.rows == 0:
        raise EmptyDatasetError("the bias analysis got no data rows")
    return counts


def report_from_counts(
    counts: BiasCounts | BiasTally, config: AnalysisConfig, *, methods: str | Sequence[str] = "all"
) -> BiasReport:
    """The analysis.json content of a finished aggregate (checks read results, never data)."""
    tally = counts.finalize() if isinstance(counts, BiasCounts) else counts
    pre, post = _stage_methods(config, methods, tally.spec.predicted_label is not None)
    return BiasReport(
        pre_training=stage_report(tally, "pre_training", pre) if pre else None,
        post_training=stage_report(tally, "post_training", post) if post else None,
        tally=tally,
    )


def bias_report(
    config: AnalysisConfig,
    batches: Iterable[pa.RecordBatch] | pa.Table,
    *,
    methods: str | Sequence[str] = "all",
    label: str | int | None = None,
    predicted_label: str | int | None = None,
    probability: str | int | None = None,
    ft_max_rows: int = 200_000,
) -> BiasReport:
    """The bias ``analysis.json`` content of ``batches`` for ``config``.

    Args:
        config: the analysis config; ``headers`` (if given) rename the batches' columns by position.
        batches: Arrow batches (CSV strings are typed as pandas would read them) or a table.
        methods: ``"all"`` computes what ``config.methods`` asks for, or every metric of both stages when
            the config has no bias methods (a monitor's config); a list names the metrics to compute.
            Post-training metrics are left out when there is no predicted label.
        label, predicted_label: columns overriding the config's ``label`` / ``predicted_label``.
        probability: a column of scores; without a predicted-label column, the predicted label is
            ``1 if score > probability_threshold else 0`` (default threshold 0.5).
        ft_max_rows: FT keeps the feature rows in memory up to this many rows, else it reports an error.

    Raises:
        ValidationError: the config names a column that cannot be resolved, or asks for unknown metrics.
        DataError: a label / predicted-label / group column is missing from the data.
        BiasAnalysisError: smclarify would fail a facet's whole report (facet column missing, …).
        EmptyDatasetError: there are no rows.
    """
    _, post = _stage_methods(config, methods, True)
    counts = bias_counts(
        config,
        batches,
        label=label,
        predicted_label=predicted_label,
        probability=probability,
        ft="FT" in (post or ()),
        ft_max_rows=ft_max_rows,
    )
    return report_from_counts(counts, config, methods=methods)


def suggest_bias_baseline(
    dataset_uri: str | list[str],
    config: AnalysisConfig,
    output_uri: str,
    *,
    dataset_format: str = "csv",
    header: bool = True,
    methods: str | Sequence[str] = "all",
    probability: str | int | None = None,
) -> BiasBaselineResult:
    """Compute the bias report of a dataset and write it to ``<output_uri>/analysis.json``."""
    dataset = read_dataset(dataset_uri, dataset_format, header=header)
    report = bias_report(config, dataset.batches(), methods=methods, probability=probability)
    uri = join_uri(output_uri, ANALYSIS_FILE)
    write_text(uri, bias_report_to_json(report))
    rows = report.tally.rows if report.tally is not None else 0
    log.info("bias baseline of %s (%d rows) written to %s", dataset_uri, rows, uri)
    return BiasBaselineResult(report, uri, rows)


def read_bias_report(uri: str) -> BiasReport:
    """Read an ``analysis.json`` (Clarify's or ours) as a baseline."""
    return bias_report_from_json(read_text(uri), file=uri)


def write_bias_violations(violations: Sequence[BiasViolation], output_uri: str) -> str:
    """Write ``<output_uri>/constraint_violations.json``; returns its URI."""
    uri = join_uri(output_uri, VIOLATIONS_FILE)
    write_text(uri, bias_violations_to_json(list(violations)))
    return uri


# ---- the drift check


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _config_values(tally: BiasTally | None, facet: str, fallback: str) -> str:
    """``facet_value`` as the config wrote it (the docs' example writes "40", not the interval)."""
    if tally is not None:
        for name, values in tally.spec.facets:
            if name == facet and values is not None:
                return ",".join(str(v) for v in values)
    return fallback


def _bootstrap_sigma(
    tally: BiasTally, stage: str, facet: str, entry_index: int, metric: str, value: float, rule: BiasDriftRule
) -> float | None:
    """σ̂ of ``metric`` for one facet entry from multinomial resamples of the window's counts."""
    names = [name for name, _ in tally.spec.facets]
    if facet not in names:
        return None
    index = names.index(facet)
    table = tally.facets[index]
    if table is None or table.count.sum() == 0:
        return None
    try:
        layouts, _, _ = entry_layouts(
            tally, index, "pre_training" if stage == PRE_TRAINING_KEY else "post_training"
        )
    except BiasAnalysisError:
        return None
    if entry_index >= len(layouts):
        return None
    layout = layouts[entry_index]
    n = int(table.count.sum())
    if metric == "FT":
        n_d = int(layout.counts(table.count).n(d=True))
        return math.sqrt(max(0.0, 1.0 - value * value) / n_d) if n_d else None
    rng = np.random.default_rng(rule.seed)
    draws = rng.multinomial(n, table.count / n, size=rule.resamples)
    values = []
    for draw in draws:
        counts = layout.whole(draw) if metric == "GE" else layout.counts(draw)
        result, error = compute_metric(metric, counts)
        if error is None and _finite(result):
            values.append(float(result))
    if len(values) < 2:
        return None
    return float(np.std(values, ddof=1))


def _violates(
    metric: str,
    base: Any,
    cur: Any,
    rule: BiasDriftRule,
    sigma: Any,
) -> bool:
    """The decision for one metric; ``sigma`` is a callable giving σ̂ (or None) when it is needed."""
    if metric in rule.thresholds:
        low, high = rule.thresholds[metric]
        if not isinstance(cur, int | float) or isinstance(cur, bool) or math.isnan(cur):
            return False
        return (low is not None and cur < low) or (high is not None and cur > high)
    if not isinstance(base, int | float) or not isinstance(cur, int | float):
        return False
    if math.isnan(base) or math.isnan(cur) or math.isinf(base):
        return False
    ideal = IDEAL.get(metric, 0.0)
    allowed = abs(base - ideal) + rule.tolerance
    if math.isinf(cur):
        return True
    if not abs(cur - ideal) > allowed:
        return False
    s = sigma()
    if s is None:
        return True
    z = NormalDist().inv_cdf(0.5 + rule.confidence / 2)
    low, high = cur - z * s, cur + z * s
    return high < ideal - allowed or low > ideal + allowed


def _entry_violations(
    key: str,
    facet: str,
    entry_index: int,
    entry: FacetBias,
    base_entry: FacetBias,
    rule: BiasDriftRule,
    tally: BiasTally | None,
) -> list[BiasViolation]:
    big_enough = tally is not None and tally.rows >= rule.bootstrap_min_rows
    out = []
    for metric in entry.metrics:
        if rule.metrics is not None and metric.name not in rule.metrics:
            continue
        base_metric = base_entry.metric(metric.name)
        if base_metric is None or metric.value is None or base_metric.value is None:
            continue

        def sigma(name: str = metric.name, value: Any = metric.value) -> float | None:
            if not big_enough or tally is None:
                return None
            return _bootstrap_sigma(tally, key, facet, entry_index, name, float(value), rule)

        if _violates(metric.name, base_metric.value, metric.value, rule, sigma):
            out.append(
                BiasViolation(
                    facet=facet,
                    facet_value=_config_values(tally, facet, entry.value_or_threshold),
                    metric_name=metric.name,
                    description=f"Value {metric.value!r} does not meet the constraint requirement",
                    stage=key,
                    baseline=base_metric.value,
                    current=metric.value,
                )
            )
    return out


def check_bias_drift(
    baseline: BiasReport, current: BiasReport, *, rule: BiasDriftRule | None = None
) -> list[BiasViolation]:
    """``bias_drift_check`` violations of ``current`` against ``baseline`` (spec §7), per (stage, facet,
    facet value, metric) present in both; see the module docstring for the rule.

    The bootstrap needs ``current.tally`` (set by :func:`bias_report`); a report read from a file has
    none, and then the deterministic comparison alone decides.
    """
    rule = rule or BiasDriftRule()
    violations: list[BiasViolation] = []
    base_stages = dict(baseline.stages())
    for key, stage in current.stages():
        base_stage: BiasStage | None = base_stages.get(key)
        if base_stage is None:
            continue
        for facet, entries in stage.facets.items():
            base_entries = {e.value_or_threshold: e for e in base_stage.facets.get(facet, ())}
            for index, entry in enumerate(entries):
                if entry.value_or_threshold in base_entries:
                    base_entry = base_entries[entry.value_or_threshold]
                    violations += _entry_violations(key, facet, index, entry, base_entry, rule, current.tally)
    return violations


# ---- metrics


def bias_metric_points(report: BiasReport) -> list[dict[str, Any]]:
    """PutMetricData-shaped points (spec §7): ``MetricName`` ``bias_metric_<NAME>``, ``Value`` (±inf as
    ±2.348543e108), ``Dimensions`` BiasStage (``Pre-training`` / ``Post-Training``), Label, LabelValue,
    Facet, FacetValue. Metrics without a value (errors) are left out."""
    points = []
    for key, stage in report.stages():
        for facet, entries in stage.facets.items():
            for entry in entries:
                for metric in entry.metrics:
                    value = metric.value
                    if value is None or (isinstance(value, float) and math.isnan(value)):
                        continue
                    number = float(value)
                    if math.isinf(number):
                        number = math.copysign(INF_METRIC_VALUE, number)
                    points.append(
                        {
                            "MetricName": f"bias_metric_{metric.name}",
                            "Value": number,
                            "Dimensions": [
                                {"Name": "BiasStage", "Value": _STAGE_DIMENSION[key]},
                                {"Name": "Label", "Value": stage.label},
                                {"Name": "LabelValue", "Value": stage.label_value_or_threshold},
                                {"Name": "Facet", "Value": facet},
                                {"Name": "FacetValue", "Value": entry.value_or_threshold},
                            ],
                        }
                    )
    return points


def bias_metrics(report: BiasReport) -> list[tuple[str, float]]:
    """(name, value) pairs for a metric store that keys series by name alone.

    The name is ``bias_metric_<NAME>/<facet>/<facet value>`` (e.g. ``bias_metric_DPPL/sex/F``) so that
    several facets and one-vs-rest values stay apart; :func:`bias_metric_points` gives the CloudWatch form
    with ``bias_metric_<NAME>`` and dimensions instead.
    """
    out = []
    for point in bias_metric_points(report):
        dims = {d["Name"]: d["Value"] for d in point["Dimensions"]}
        out.append((f"{point['MetricName']}/{dims['Facet']}/{dims['FacetValue']}", point["Value"]))
    return out
