"""Data-quality monitoring: the baseline job and the monitoring (check) job.

* :func:`suggest_baseline` profiles training data and writes ``statistics.json`` and a suggested
  ``constraints.json`` (SageMaker's ``suggest_baseline``), in capture order (outputs first) when the
  dataset's output column is last (``output_columns_position=END``, see
  :mod:`modelwatch.monitors.column_order`).
* :func:`run_check` profiles current data and writes its ``statistics.json`` and ``constraints.json``,
  the ``constraint_violations.json`` of the baseline's constraints, and ``drift.json`` (per-feature drift
  scores, a modelwatch extension); when nearly every feature fails on type or drift, its
  ``column_order_hint`` says that the baseline's column order probably does not match the data's.
* :func:`check_batches` does the same for a stream of Arrow batches (a monitoring execution's window of
  capture records); its columns take the baseline's feature names by position.
* :func:`data_quality_metrics` lists the per-feature metrics of a result (spec 4.3).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from modelwatch.checks import (
    column_order_hint,
    drift_report,
    drift_report_to_dict,
    evaluate_constraints,
    suggest_constraints,
)
from modelwatch.checks.drift_report import DriftReport
from modelwatch.engines.local import ProfileRun, Progress, profile_batches, profile_dataset
from modelwatch.formats import (
    constraints_from_json,
    constraints_to_json,
    jackson,
    statistics_from_json,
    statistics_to_json,
    violations_to_json,
)
from modelwatch.formats.constraints import Constraints
from modelwatch.formats.statistics import Statistics
from modelwatch.formats.violations import Violations
from modelwatch.io.datasets import DatasetFormat, read_dataset
from modelwatch.io.storage import join_uri, read_text, write_text
from modelwatch.monitors.column_order import OutputColumnsPosition, in_capture_order

__all__ = [
    "BaselineResult",
    "CheckResult",
    "OutputColumnsPosition",
    "check_batches",
    "data_quality_metrics",
    "read_baseline",
    "run_check",
    "suggest_baseline",
]

log = logging.getLogger(__name__)

STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
VIOLATIONS_FILE = "constraint_violations.json"
DRIFT_FILE = "drift.json"


@dataclass(frozen=True)
class BaselineResult:
    statistics: Statistics  # as written: in capture order
    constraints: Constraints
    statistics_uri: str
    constraints_uri: str
    run: ProfileRun  # the profile in the dataset's own column order


@dataclass(frozen=True)
class CheckResult:
    statistics: Statistics
    violations: Violations
    drift: DriftReport
    statistics_uri: str
    constraints_uri: str
    violations_uri: str
    drift_uri: str
    run: ProfileRun
    column_order_hint: str | None = None  # nearly every feature fails on type or drift (checks.column_order)


def _profile(
    dataset_uri: str,
    format: DatasetFormat | str | None,
    header: bool,
    workers: int | None,
    progress: Progress | None,
) -> ProfileRun:
    dataset = read_dataset(dataset_uri, format, header=header)
    return profile_dataset(dataset, workers=workers, progress=progress)


def suggest_baseline(
    dataset_uri: str,
    output_uri: str,
    *,
    format: DatasetFormat | str | None = None,
    header: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    output_columns_position: OutputColumnsPosition = OutputColumnsPosition.START,
) -> BaselineResult:
    """Profile the baseline dataset and write statistics.json and constraints.json into ``output_uri``.

    ``output_columns_position`` says where the model's output (label) column is in the dataset; the files
    are written in capture order (outputs first), so ``END`` moves the last column to the front.
    """
    run = _profile(dataset_uri, format, header, workers, progress)
    statistics = in_capture_order(run.statistics, output_columns_position)
    constraints = suggest_constraints(statistics)
    statistics_uri = join_uri(output_uri, STATISTICS_FILE)
    constraints_uri = join_uri(output_uri, CONSTRAINTS_FILE)
    write_text(statistics_uri, statistics_to_json(statistics))
    write_text(constraints_uri, constraints_to_json(constraints))
    log.info("baseline of %s written to %s", dataset_uri, output_uri)
    return BaselineResult(statistics, constraints, statistics_uri, constraints_uri, run)


def read_baseline(statistics_uri: str, constraints_uri: str) -> tuple[Statistics, Constraints]:
    """Read a baseline's statistics.json and constraints.json (SageMaker's or ours, edited or not)."""
    statistics = statistics_from_json(read_text(statistics_uri), file=statistics_uri)
    constraints = constraints_from_json(read_text(constraints_uri), file=constraints_uri)
    return statistics, constraints


def run_check(
    dataset_uri: str,
    output_uri: str,
    *,
    baseline_statistics: str,
    baseline_constraints: str,
    format: DatasetFormat | str | None = None,
    header: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Profile current data, check it against the baseline, and write the results into ``output_uri``."""
    baseline, constraints = read_baseline(baseline_statistics, baseline_constraints)
    run = _profile(dataset_uri, format, header, workers, progress)
    return _check(run, baseline, constraints, output_uri, dataset_uri)


def check_batches(
    batches: Callable[[], Iterator[pa.RecordBatch]],
    output_uri: str,
    *,
    baseline: tuple[Statistics, Constraints] | None,
    source: str,
    progress: Progress | None = None,
) -> CheckResult:
    """Profile a stream of batches and check it against ``baseline`` (statistics, constraints).

    Without a baseline only ``statistics.json`` and a suggested ``constraints.json`` are written and
    there are no violations. ``batches()`` may be called twice (see :func:`profile_batches`).
    """
    names = [feature.name for feature in baseline[0].features] if baseline else None
    run = profile_batches(batches, names=names, progress=progress, source=source)
    if baseline is None:
        statistics_uri = join_uri(output_uri, STATISTICS_FILE)
        constraints_uri = join_uri(output_uri, CONSTRAINTS_FILE)
        write_text(statistics_uri, statistics_to_json(run.statistics))
        write_text(constraints_uri, constraints_to_json(suggest_constraints(run.statistics)))
        return CheckResult(
            run.statistics, Violations(), DriftReport(()), statistics_uri, constraints_uri, "", "", run
        )
    return _check(run, *baseline, output_uri, source)


def _check(
    run: ProfileRun, baseline: Statistics, constraints: Constraints, output_uri: str, source: str
) -> CheckResult:
    violations = evaluate_constraints(baseline, constraints, run.statistics)
    drift = drift_report(baseline, run.statistics)
    uris = {
        name: join_uri(output_uri, name)
        for name in (STATISTICS_FILE, CONSTRAINTS_FILE, VIOLATIONS_FILE, DRIFT_FILE)
    }
    write_text(uris[STATISTICS_FILE], statistics_to_json(run.statistics))
    write_text(uris[CONSTRAINTS_FILE], constraints_to_json(suggest_constraints(run.statistics)))
    write_text(uris[VIOLATIONS_FILE], violations_to_json(violations))
    write_text(uris[DRIFT_FILE], jackson.dumps(drift_report_to_dict(drift)))
    log.info("check of %s: %d violations, results in %s", source, len(violations.violations), output_uri)
    hint = column_order_hint(violations, len(constraints.features))
    if hint:
        log.warning("check of %s: %s", source, hint)
    return CheckResult(
        run.statistics,
        violations,
        drift,
        uris[STATISTICS_FILE],
        uris[CONSTRAINTS_FILE],
        uris[VIOLATIONS_FILE],
        uris[DRIFT_FILE],
        run,
        hint,
    )


def data_quality_metrics(result: CheckResult) -> list[dict[str, Any]]:
    """The per-feature metrics of a check as (name, value or statistic values) dicts (spec 4.3).

    * ``feature_data_{f}``: ``StatisticValues`` (SampleCount, Sum, Minimum, Maximum) of numeric features;
    * ``feature_non_null_{f}`` / ``feature_null_{f}``: the fraction of present / missing values;
    * ``feature_estimated_unique_values_{f}``: the distinct count of string features;
    * ``feature_baseline_drift_{f}``: the L-infinity distance the default drift check uses (robust for
      numeric, simple for categorical features), when the baseline allows one.
    """
    metrics: list[dict[str, Any]] = []
    total = max(result.statistics.item_count, 1)
    for feature in result.statistics.features:
        name = feature.name
        stats = feature.numerical or feature.string
        if stats is None:
            continue
        metrics.append({"MetricName": f"feature_non_null_{name}", "Value": stats.num_present / total})
        metrics.append({"MetricName": f"feature_null_{name}", "Value": stats.num_missing / total})
        if feature.numerical is not None and feature.numerical.num_present > 0:
            n = feature.numerical
            metrics.append(
                {
                    "MetricName": f"feature_data_{name}",
                    "StatisticValues": {
                        "SampleCount": float(n.num_present),
                        "Sum": n.sum,
                        "Minimum": n.min,
                        "Maximum": n.max,
                    },
                }
            )
        if feature.string is not None:
            metrics.append(
                {
                    "MetricName": f"feature_estimated_unique_values_{name}",
                    "Value": feature.string.distinct_count,
                }
            )
    for drift in result.drift.features:
        distance = drift.linf_robust if drift.kind.value == "numeric" else drift.linf_simple
        if not math.isnan(distance):
            metrics.append({"MetricName": f"feature_baseline_drift_{drift.name}", "Value": distance})
    return metrics
