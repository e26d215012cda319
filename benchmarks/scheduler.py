"""The service core's speed: planning and starting 1,000 due executions, the delay from a slot's time to
its execution's start, and one data-quality execution over an hour of 1,000,000 captured CSV records.

1. **Plan and start.** ``--schedules`` hourly schedules; the clock is set one second past a slot, then
   one scheduler tick plans the slot's executions (one multi-row insert) and starts them: each is claimed
   (``Pending`` → ``InProgress``, one compare-and-set each) and handed to the runner. The runner here
   only records the hand-over (``--schedules`` job processes at once would measure the machine's fork
   rate, not the scheduler); the cost of a real job process is measured separately (3).
2. **Delay.** The same schedules as 5-field crons ``* * * * *`` run by the real scheduler loop on the
   real clock for ``--minutes`` minutes: the delay between each slot's time and the moment its execution
   is handed to the runner (p50, p99, max).
3. **Job process overhead.** One real execution of an empty window (fails with "Job inputs had no
   data"): the time from claim to the recorded outcome, i.e. the fixed cost of a job subprocess.
4. **Data quality over captured traffic.** ``--records`` captured CSV records (one hour, cached under
   ``.bench/`` by ``benchmarks/capture_read.py``'s generator), profiled by the job process
   (``python -m modelwatch.jobs``) against the baseline job (``modelwatch baseline``) over the
   same rows as a plain CSV file, both as subprocesses, best of ``--repeat``; the target is within 2x.

Run: ``python benchmarks/scheduler.py [--schedules 1000] [--postgres-url postgresql+psycopg://...]``
(a PostgreSQL server URL without database name; a fresh database is created in it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capture_read import ENDPOINT, HOUR, generate

from modelwatch.jobs.spec import JOB_FILE, JobKind, JobSpec
from modelwatch.service import endpoints, schedules
from modelwatch.service.db import Database, open_database, redacted_url
from modelwatch.service.models import Execution
from modelwatch.service.runner import Runner
from modelwatch.service.scheduler import Scheduler
from modelwatch.service.schemas import EndpointSpec, JobDefinition, ScheduleSpec


class HandOverRunner(Runner):
    """A runner that claims executions but starts no process: it records when each was handed over."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, capacity=1_000_000)
        self.handed: list[tuple[int, float]] = []

    def _launch(self, kind: str, key: str, spec: JobSpec, max_runtime: float) -> bool:
        self.handed.append((int(key), time.time()))
        return True


def _fresh_database(kind: str, postgres_url: str | None, folder: Path) -> Database:
    if kind == "sqlite":
        return open_database(f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}")
    assert postgres_url
    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(f"{postgres_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return open_database(f"{postgres_url}/{name}")


def _create(db: Database, count: int, expression: str, now: datetime) -> None:
    definition = JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "bench"}})
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="bench"))
        for i in range(count):
            spec = ScheduleSpec(name=f"s{i:05d}", schedule_expression=expression, definition=definition)
            schedules.create_schedule(session, spec, now=now)


def plan_and_start(db: Database, count: int) -> None:
    start = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    _create(db, count, "cron(0 * ? * * *)", start)
    runner = HandOverRunner(db)
    slot = datetime(2026, 1, 1, 1, tzinfo=UTC)
    scheduler = Scheduler(db, runner, clock=lambda: slot + timedelta(seconds=1))
    began = time.perf_counter()
    planned, _ = scheduler.plan(slot + timedelta(seconds=1))
    middle = time.perf_counter()
    started = scheduler.dispatch(slot + timedelta(seconds=1))
    ended = time.perf_counter()
    print(
        f"  plan {planned} executions: {middle - began:6.2f} s;  start {started}: {ended - middle:6.2f} s;  "
        f"total {ended - began:6.2f} s"
    )


def delay(db: Database, count: int, minutes: int) -> None:
    _create(db, count, "* * * * *", datetime.now(UTC))
    runner = HandOverRunner(db)
    scheduler = Scheduler(db, runner, interval=5.0)
    thread = threading.Thread(target=scheduler.run_forever, daemon=True)
    thread.start()
    now = datetime.now(UTC)
    first = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = first + timedelta(minutes=minutes - 1, seconds=55)
    time.sleep(max((end - now).total_seconds(), 0))
    scheduler.stop()
    thread.join()
    with db.session() as session:
        slots = dict(session.execute(sa.select(Execution.id, Execution.scheduled_time)).all())
    delays = sorted(handed - slots[key].timestamp() for key, handed in runner.handed)
    if not delays:
        print("  no slot fell due")
        return
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"  {len(delays)} executions, {minutes} minutes: delay p50 {statistics.median(delays):.2f} s, "
        f"p99 {p99:.2f} s, max {delays[-1]:.2f} s"
    )


def job_overhead(db: Database) -> None:
    definition = JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "bench"}})
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="bench"))
        schedules.create_schedule(
            session,
            ScheduleSpec(
                name="once",
                schedule_expression="NOW",
                data_analysis_start_time="-PT1H",
                data_analysis_end_time="-PT0H",
                definition=definition,
            ),
        )
    runner = Runner(db, capacity=1, poll_seconds=0.01)
    began = time.perf_counter()
    Scheduler(db, runner).dispatch(datetime.now(UTC))
    runner.wait_idle(60)
    print(f"  one job process (empty window, Failed as expected): {time.perf_counter() - began:.2f} s")


def _timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - began


def data_quality(records: int, columns: int, repeat: int, folder: Path) -> None:
    capture, plain = generate(records, columns, 10)
    env = {**os.environ, "MODELWATCH_DATA_DIR": str(folder)}
    job_times, baseline_times, baseline_one = [], [], []
    for _ in range(repeat):
        work = folder / f"job-{uuid.uuid4().hex[:8]}"
        work.mkdir()
        spec = JobSpec(
            kind=JobKind.MONITORING,
            name="bench",
            output_uri=str(work / "out"),
            definition=JobDefinition.model_validate({"endpoint_input": {"endpoint_name": ENDPOINT}}),
            endpoint_name=ENDPOINT,
            variants=["AllTraffic"],
            capture_uri=str(capture),
            window_start=f"{HOUR:%Y-%m-%dT%H:%M:%SZ}",
            window_end=f"{HOUR + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
        )
        (work / JOB_FILE).write_text(spec.to_json())
        job_times.append(_timed([sys.executable, "-m", "modelwatch.jobs", str(work)], env))
        assert json.loads((work / "result.json").read_text())["records"] == records
        base = [
            sys.executable,
            "-m",
            "modelwatch.cli",
            "baseline",
            "-d",
            str(plain),
            "-f",
            "csv",
            "--no-header",
        ]
        baseline_times.append(_timed([*base, "-o", str(work / "baseline"), "-q"], env))
        baseline_one.append(_timed([*base, "-o", str(work / "baseline1"), "-q", "-w", "1"], env))
    job, default, single = min(job_times), min(baseline_times), min(baseline_one)
    size = sum(p.stat().st_size for p in capture.rglob("*.jsonl")) / 1e6
    print(f"  {records:,} captured records ({size:,.0f} MB of capture files), {columns} input columns:")
    print(f"  data-quality execution (job):         {job:7.2f} s  {records / job:>12,.0f} rec/s")
    print(f"  baseline job, plain CSV (all cores): {default:7.2f} s  -> ratio {job / default:.2f}x")
    print(f"  baseline job, plain CSV (1 worker):  {single:7.2f} s  -> ratio {job / single:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=2, help="real-clock minutes of the delay test")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--postgres-url", help="PostgreSQL server URL (no database name) to test as well")
    parser.add_argument("--skip", nargs="*", default=[], choices=["plan", "delay", "overhead", "dq"])
    args = parser.parse_args(argv)
    kinds = ["sqlite"] + (["postgresql"] if args.postgres_url else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["MODELWATCH_DATA_DIR"] = str(folder)
        print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
        for kind in kinds:
            print(f"[{kind}]")
            if "plan" not in args.skip:
                db = _fresh_database(kind, args.postgres_url, folder)
                print(f"1. plan and start, {args.schedules} hourly schedules ({redacted_url(db.url)})")
                plan_and_start(db, args.schedules)
                db.dispose()
            if "delay" not in args.skip:
                db = _fresh_database(kind, args.postgres_url, folder)
                print(f"2. delay from slot to start, {args.schedules} schedules every minute, real clock")
                delay(db, args.schedules, args.minutes)
                db.dispose()
            if "overhead" not in args.skip:
                db = _fresh_database(kind, args.postgres_url, folder)
                print("3. job process overhead")
                job_overhead(db)
                db.dispose()
        if "dq" not in args.skip:
            print("4. data quality over one hour of captured traffic vs the baseline job on plain CSV")
            data_quality(args.records, args.columns, args.repeat, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
