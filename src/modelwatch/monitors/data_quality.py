"""Data-quality monitoring: the baseline job and the monitoring (check) job.

* :func:`suggest_baseline` profiles training data and writes ``statistics.json`` and a suggested
  ``constraints.json`` (SageMaker's ``suggest_baseline``).
* :func:`run_check` profiles current data and writes its ``statistics.json`` and ``constraints.json``,
  the ``constraint_violations.json`` of the baseline's constraints, and ``drift.json`` (per-feature drift
  scores, a modelwatch extension).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from modelwatch.checks import drift_report, drift_report_to_dict, evaluate_constraints, suggest_constraints
from modelwatch.checks.drift_report import DriftReport
from modelwatch.engines.local import ProfileRun, Progress, profile_dataset
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

__all__ = [
    "BaselineResult",
    "CheckResult",
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
    statistics: Statistics
    constraints: Constraints
    statistics_uri: str
    constraints_uri: str
    run: ProfileRun


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
) -> BaselineResult:
    """Profile the baseline dataset and write statistics.json and constraints.json into ``output_uri``."""
    run = _profile(dataset_uri, format, header, workers, progress)
    constraints = suggest_constraints(run.statistics)
    statistics_uri = join_uri(output_uri, STATISTICS_FILE)
    constraints_uri = join_uri(output_uri, CONSTRAINTS_FILE)
    write_text(statistics_uri, statistics_to_json(run.statistics))
    write_text(constraints_uri, constraints_to_json(constraints))
    log.info("baseline of %s written to %s", dataset_uri, output_uri)
    return BaselineResult(run.statistics, constraints, statistics_uri, constraints_uri, run)


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
    log.info("check of %s: %d violations, results in %s", dataset_uri, len(violations.violations), output_uri)
    return CheckResult(
        run.statistics,
        violations,
        drift,
        uris[STATISTICS_FILE],
        uris[CONSTRAINTS_FILE],
        uris[VIOLATIONS_FILE],
        uris[DRIFT_FILE],
        run,
    )
