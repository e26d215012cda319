"""Demo-like data for the dashboard tests: a baseline profiled from real numbers, an endpoint with an
hourly data-quality schedule, a finished execution whose result files come from modelwatch's own
profiler and checks (and whose feature and violation texts try to break out of the HTML), a running
execution, and metric points."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from modelwatch.analysis.profile import profile_table
from modelwatch.checks import drift_report, drift_report_to_dict, evaluate_constraints, suggest_constraints
from modelwatch.formats import (
    Violation,
    Violations,
    constraints_to_json,
    dumps,
    statistics_to_json,
    violations_to_json,
)
from modelwatch.service import endpoints, schedules
from modelwatch.service.db import Database
from modelwatch.service.executions import claim_executions, finish_execution
from modelwatch.service.metrics import record_metrics
from modelwatch.service.models import Execution
from modelwatch.service.schemas import EndpointSpec, ExecutionStatus, ScheduleSpec

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
EVIL_FEATURE = "</script><script>alert('feature')</script>"
EVIL_DESCRIPTION = "<img src=x onerror=alert('violation')> exceeds"
ENDPOINT = "churn"
SCHEDULE = "churn-dq"


@dataclass(frozen=True)
class Demo:
    baseline_statistics: Path
    baseline_constraints: Path
    done_id: int  # CompletedWithViolations, with result files and a log
    running_id: int  # InProgress
    baseline_data: dict[str, np.ndarray]
    current_data: dict[str, np.ndarray]
    output: Path


def tables(rows: int = 600) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Baseline and current columns: ``age`` drifts, ``income`` does not, ``plan`` changes its mix,
    the oddly named column drifts too."""
    rng = np.random.default_rng(3)
    baseline = {
        "age": rng.integers(18, 70, rows).astype(np.int64),
        "income": np.round(rng.normal(50_000, 8_000, rows), 2),
        "plan": rng.choice(np.array(["basic", "plus", "pro"]), rows, p=[0.6, 0.3, 0.1]),
        EVIL_FEATURE: rng.normal(0.0, 1.0, rows),
    }
    current = {
        "age": rng.integers(40, 90, rows).astype(np.int64),
        "income": np.round(rng.normal(50_000, 8_000, rows), 2),
        "plan": rng.choice(np.array(["basic", "plus", "pro", "enterprise"]), rows, p=[0.2, 0.3, 0.3, 0.2]),
        EVIL_FEATURE: rng.normal(3.0, 1.0, rows),
    }
    return baseline, current


def write_execution_files(output: Path, baseline_data: dict, current_data: dict) -> tuple[Path, Path, int]:
    """Profile both tables, write the baseline under ``output/../baseline`` and the results (with an
    extra violation whose description holds HTML) into ``output``; returns the baseline paths and the
    number of violations."""
    baseline = profile_table(pa.table(baseline_data))
    current = profile_table(pa.table(current_data))
    constraints = suggest_constraints(baseline)
    folder = output.parent / "baseline"
    folder.mkdir(parents=True, exist_ok=True)
    output.mkdir(parents=True, exist_ok=True)
    statistics_path, constraints_path = folder / "statistics.json", folder / "constraints.json"
    statistics_path.write_text(statistics_to_json(baseline))
    constraints_path.write_text(constraints_to_json(constraints))
    found = evaluate_constraints(baseline, constraints, current).violations
    violations = (*found, Violation("income", "data_type_check", EVIL_DESCRIPTION))
    (output / "statistics.json").write_text(statistics_to_json(current))
    (output / "constraints.json").write_text(constraints_to_json(suggest_constraints(current)))
    (output / "constraint_violations.json").write_text(violations_to_json(Violations(violations)))
    (output / "drift.json").write_text(dumps(drift_report_to_dict(drift_report(baseline, current))))
    return statistics_path, constraints_path, len(violations)


def build(db: Database, root: Path) -> Demo:
    """Everything in the module docstring, in ``db`` with files under ``root``."""
    baseline_data, current_data = tables()
    output = root / "results" / "execution"
    statistics_path, constraints_path, count = write_execution_files(output, baseline_data, current_data)
    log = output / "execution.log"
    log.write_text("2026-03-01 12:00:01 INFO modelwatch.job: <b>profiled</b> 600 rows\n")
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name=ENDPOINT, variants=["AllTraffic", "Canary"]))
        spec = {
            "name": SCHEDULE,
            "schedule_expression": "cron(0 * ? * * *)",
            "definition": {
                "endpoint_input": {"endpoint_name": ENDPOINT},
                "baseline_statistics_uri": str(statistics_path),
                "baseline_constraints_uri": str(constraints_path),
            },
        }
        schedules.create_schedule(session, ScheduleSpec.model_validate(spec), now=T0)
        done = schedules.run_now(
            session,
            SCHEDULE,
            window_start=T0,
            window_end=T0 + timedelta(hours=1),
            now=T0 + timedelta(hours=1),
        )
        running = schedules.run_now(
            session,
            SCHEDULE,
            window_start=T0 + timedelta(hours=1),
            window_end=T0 + timedelta(hours=2),
            now=T0 + timedelta(hours=2),
        )
        claim_executions(session, [done.id, running.id], "test", now=T0 + timedelta(hours=1, seconds=1))
        session.execute(
            Execution.__table__.update().where(Execution.id == done.id).values(output_uri=str(output))
        )
        finish_execution(
            session,
            done.id,
            ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
            exit_message=f"CompletedWithViolations: Job completed successfully with {count} violations.",
            log_uri=str(log),
            violation_count=count,
            record_count=600,
            now=T0 + timedelta(hours=1, seconds=41),
        )
        row = session.get(Execution, done.id)
        assert row is not None
        record_metrics(
            session,
            row,
            [("feature_baseline_drift_age", T0 + timedelta(hours=h), 0.05 * h) for h in range(1, 5)]
            + [("feature_non_null_age", T0 + timedelta(hours=h), 1.0) for h in range(1, 5)],
        )
    return Demo(statistics_path, constraints_path, done.id, running.id, baseline_data, current_data, output)


def figures(html: str) -> dict[str, dict]:
    """The chart figures embedded in a page, by element id."""
    found = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, flags=re.S)
    return {ident: json.loads(body) for ident, body in found}


def csrf_of(html: str) -> str:
    """The CSRF token that a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)
