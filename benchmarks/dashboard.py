"""The dashboard's speed: server-side render time of the overview and of an execution page.

Store (SQLite file ``.bench/dashboard/dashboard.db``, built once and reused; ``--rebuild`` to redo it):
500 endpoints, each with a DataQuality schedule and every other one also a ModelQuality schedule
(750 schedules), 100,000 executions spread over them (statuses mixed, a few running; bulk inserted),
and an ``auc`` point per ModelQuality execution for the sparklines.

Execution files: a ``statistics.json`` of 50 features (40 numeric over 20,000 rows, so their KLL sketches
have several levels, and 10 categorical), its baseline, suggested constraints, violations and
``drift.json``, made with modelwatch's own profiler and checks. One execution points at them.

Measured: ``GET /ui/`` (the first page of 50 endpoints, and all 500 on one page) and
``GET /ui/executions/{id}`` (50 features, 50 distribution charts), through the whole app in process
(``httpx.ASGITransport``: routing, authentication, queries, file reading, templates), one request at a
time after a warm-up. Target: p99 under 300 ms for each.

Run: ``python benchmarks/dashboard.py [--requests 40] [--rebuild]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1] / ".bench" / "dashboard"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ENDPOINTS = 500
EXECUTIONS = 100_000
FEATURES = 50


def write_results(folder: Path) -> dict[str, str]:
    """Baseline and current result files of 50 features; returns their paths by name."""
    from modelwatch.analysis.profile import profile_table
    from modelwatch.checks import (
        drift_report,
        drift_report_to_dict,
        evaluate_constraints,
        suggest_constraints,
    )
    from modelwatch.formats import constraints_to_json, dumps, statistics_to_json, violations_to_json

    rng = np.random.default_rng(7)

    def table(rows: int, shift: float) -> pa.Table:
        columns = {}
        for i in range(40):
            columns[f"num_{i:02d}"] = rng.normal(10 + (shift if i % 5 == 0 else 0), 2 + i % 3, rows)
        for i in range(10):
            values = np.array([f"cat_{j}" for j in range(12 + i)])
            weights = np.linspace(1, 2 + shift * (i % 2), len(values))
            columns[f"cat_{i:02d}"] = rng.choice(values, rows, p=weights / weights.sum())
        return pa.table(columns)

    baseline = profile_table(table(20_000, 0.0))
    current = profile_table(table(20_000, 1.5))
    constraints = suggest_constraints(baseline)
    files = {
        "baseline_statistics": folder / "baseline" / "statistics.json",
        "baseline_constraints": folder / "baseline" / "constraints.json",
        "statistics": folder / "execution" / "statistics.json",
        "constraint_violations": folder / "execution" / "constraint_violations.json",
        "drift": folder / "execution" / "drift.json",
    }
    files["baseline_statistics"].parent.mkdir(parents=True, exist_ok=True)
    files["statistics"].parent.mkdir(parents=True, exist_ok=True)
    files["baseline_statistics"].write_text(statistics_to_json(baseline))
    files["baseline_constraints"].write_text(constraints_to_json(constraints))
    files["statistics"].write_text(statistics_to_json(current))
    files["constraint_violations"].write_text(
        violations_to_json(evaluate_constraints(baseline, constraints, current))
    )
    files["drift"].write_text(dumps(drift_report_to_dict(drift_report(baseline, current))))
    return {name: str(path) for name, path in files.items()}


def fill(url: str, files: dict[str, str]) -> int:
    """The store described in the module docstring; returns the id of the execution with the files."""
    from modelwatch.service.db import open_database
    from modelwatch.service.models import Endpoint, Execution, Metric, Schedule

    db = open_database(url)
    rng = random.Random(0)
    definition = {
        "endpoint_input": {"endpoint_name": "x"},
        "baseline_statistics_uri": files["baseline_statistics"],
        "baseline_constraints_uri": files["baseline_constraints"],
    }
    with db.session() as session:
        session.execute(
            sa.insert(Endpoint),
            [
                {
                    "name": f"model-{i:04d}",
                    "variants": ["AllTraffic"],
                    "data_capture_config": {"EnableCapture": True, "InitialSamplingPercentage": 50},
                    "capture_uri": "/data/capture",
                    "status": "InService",
                    "created_at": T0,
                    "updated_at": T0,
                }
                for i in range(ENDPOINTS)
            ],
        )
        schedules = []
        for i in range(ENDPOINTS):
            for kind in ("DataQuality", "ModelQuality") if i % 2 == 0 else ("DataQuality",):
                schedules.append(
                    {
                        "name": f"model-{i:04d}-{'dq' if kind == 'DataQuality' else 'mq'}",
                        "monitoring_type": kind,
                        "schedule_expression": "cron(0 * ? * * *)",
                        "definition": {**definition, "endpoint_input": {"endpoint_name": f"model-{i:04d}"}},
                        "endpoint_name": f"model-{i:04d}",
                        "status": "Scheduled",
                        "created_at": T0,
                        "updated_at": T0,
                    }
                )
        session.execute(sa.insert(Schedule), schedules)
        rows = session.execute(
            sa.select(Schedule.id, Schedule.name, Schedule.endpoint_name, Schedule.monitoring_type)
        )
        owners = list(rows)
        per = EXECUTIONS // len(owners) + 1
        executions, count = [], 0
        statuses = ["Completed"] * 6 + ["CompletedWithViolations"] * 3 + ["Failed"]
        for sid, name, endpoint, kind in owners:
            for h in range(per):
                if count == EXECUTIONS:
                    break
                slot = T0 + timedelta(hours=h)
                status = "InProgress" if h == per - 1 and count % 97 == 0 else rng.choice(statuses)
                executions.append(
                    {
                        "schedule_id": sid,
                        "schedule_name": name,
                        "endpoint_name": endpoint,
                        "monitoring_type": kind,
                        "scheduled_time": slot,
                        "window_start": slot - timedelta(hours=1),
                        "window_end": slot,
                        "definition": definition,
                        "status": status,
                        "failure_reason": "ValueError: bad column" if status == "Failed" else None,
                        "output_uri": f"/data/monitoring/{endpoint}/{name}/{slot:%Y/%m/%d/%H}",
                        "stop_requested": False,
                        "violation_count": rng.randrange(1, 9) if status == "CompletedWithViolations" else 0,
                        "record_count": 1000,
                        "created_at": slot,
                        "started_at": slot,
                        "ended_at": None if status == "InProgress" else slot + timedelta(seconds=40),
                        "updated_at": slot,
                    }
                )
                count += 1
        for start in range(0, len(executions), 20_000):
            session.execute(sa.insert(Execution), executions[start : start + 20_000])
        target = session.scalar(sa.select(sa.func.max(Execution.id)))
        session.execute(
            sa.update(Execution)
            .where(Execution.id == target)
            .values(output_uri=str(Path(files["statistics"]).parent), status="CompletedWithViolations")
        )
        mq = session.execute(
            sa.select(
                Execution.id, Execution.schedule_name, Execution.endpoint_name, Execution.scheduled_time
            ).where(Execution.monitoring_type == "ModelQuality")
        ).all()
        session.execute(
            sa.insert(Metric),
            [
                {
                    "execution_id": e.id,
                    "schedule_name": e.schedule_name,
                    "endpoint_name": e.endpoint_name,
                    "name": "auc",
                    "timestamp": e.scheduled_time,
                    "value": 0.8 + rng.random() / 10,
                }
                for e in mq
            ],
        )
    db.dispose()
    return int(target)


async def measure(app: object, path: str, requests: int, *, cold: bool = False) -> list[float]:
    """Timings of ``requests`` GETs of ``path``; ``cold``: the dashboard's cache of parsed files is
    emptied before each, so every request reads and parses the result files again."""
    from modelwatch.ui import files

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for _ in range(3):
            answer = await http.get(path)
            if answer.status_code != 200:
                raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
        times = []
        for _ in range(requests):
            if cold:
                files._CACHE.clear()
            began = time.perf_counter()
            answer = await http.get(path)
            times.append(time.perf_counter() - began)
            assert answer.status_code == 200
    return times


def percentile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--rebuild", action="store_true", help="build the store again")
    args = parser.parse_args()
    os.environ["MODELWATCH_DATA_DIR"] = str(ROOT)
    database = ROOT / "dashboard.db"
    marker = ROOT / "execution-id"
    if args.rebuild or not marker.exists():
        for path in (database, ROOT / "dashboard.db-wal", ROOT / "dashboard.db-shm", marker):
            path.unlink(missing_ok=True)
        ROOT.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        files = write_results(ROOT / "files")
        target = fill(f"sqlite:///{database}", files)
        marker.write_text(str(target))
        took = time.perf_counter() - began
        print(f"built {database}: {ENDPOINTS} endpoints, {EXECUTIONS:,} executions in {took:.1f} s")
    target = int(marker.read_text())

    from modelwatch.server import create_app
    from modelwatch.service.db import open_database

    db = open_database(f"sqlite:///{database}")
    app = create_app(db)
    pages = {
        "overview (50 of 500 endpoints)": ("/ui/", False),
        "overview (all 500 on one page)": ("/ui/?per_page=500", False),
        "overview sorted by last run": ("/ui/?sort=last_run&order=desc", False),
        f"execution page ({FEATURES} features)": (f"/ui/executions/{target}", False),
        f"execution page ({FEATURES}, files re-read)": (f"/ui/executions/{target}", True),
    }
    print(f"{'page':<38} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8}  (target < 300 ms)")
    for label, (path, cold) in pages.items():
        times = asyncio.run(measure(app, path, args.requests, cold=cold))
        print(f"{label:<38} {len(times):>8} {percentile(times, 0.5):>8.1f} {percentile(times, 0.99):>8.1f}")
    db.dispose()


if __name__ == "__main__":
    main()
