"""Running the scheduler and the runner in a test until the work is done (real job subprocesses)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from modelwatch.service import executions
from modelwatch.service.baselines import describe_baseline_job, start_baseline_job
from modelwatch.service.db import Database
from modelwatch.service.runner import Runner
from modelwatch.service.scheduler import Scheduler
from modelwatch.service.schemas import BaselineJobSpec, BaselineJobView, ExecutionStatus, ExecutionView


def run_until(
    db: Database,
    until: datetime,
    *,
    capacity: int = 2,
    catch_up: timedelta = timedelta(days=3),
    timeout: float = 180,
) -> list[ExecutionView]:
    """Tick a scheduler whose clock says ``until`` until every execution has ended; all executions,
    oldest slot first."""
    runner = Runner(db, capacity=capacity, poll_seconds=0.05)
    scheduler = Scheduler(db, runner, clock=lambda: until, catch_up=catch_up)
    deadline = time.monotonic() + timeout
    while True:
        scheduler.tick()
        with db.session() as session:
            views = executions.list_executions(
                session, sort_by="ScheduledTime", sort_order="Ascending", max_results=100
            ).items
        if views and all(ExecutionStatus(v.status).finished for v in views) and runner.wait_idle(0.1):
            return views
        assert time.monotonic() < deadline, [v.status for v in views]
        time.sleep(0.1)


def run_baseline_job(db: Database, spec: BaselineJobSpec, timeout: float = 120) -> BaselineJobView:
    """Start a baselining job and run it to its end."""
    with db.session() as session:
        start_baseline_job(session, spec)
    runner = Runner(db, capacity=1, poll_seconds=0.05)
    Scheduler(db, runner).tick()
    assert runner.wait_idle(timeout)
    with db.session() as session:
        return describe_baseline_job(session, spec.name)
