"""The job runner end to end: real job subprocesses, real capture files, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
import sqlalchemy as sa
from service_runs import run_until
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from capture_data import credit_rows, write_capture
from modelwatch.capture import middleware as capture_middleware
from modelwatch.capture.config import DataCaptureConfig
from modelwatch.capture.middleware import CaptureMiddleware
from modelwatch.capture.writer import CaptureWriter
from modelwatch.monitors.data_quality import suggest_baseline
from modelwatch.service import endpoints, executions, schedules
from modelwatch.service.baselines import describe_baseline_job, start_baseline_job
from modelwatch.service.db import Database
from modelwatch.service.metrics import list_metric_names, query_metric
from modelwatch.service.models import Endpoint, Schedule
from modelwatch.service.runner import Runner, recover_orphans
from modelwatch.service.scheduler import Scheduler
from modelwatch.service.schemas import (
    BaselineJobSpec,
    EndpointSpec,
    ExecutionStatus,
    JobDefinition,
    JobStatus,
    ScheduleSpec,
)

HOUR = timedelta(hours=1)
H1 = datetime(2026, 6, 1, 10, tzinfo=UTC)  # normal traffic
H2 = H1 + HOUR  # drifted traffic


def predict(features: list[str]) -> str:
    """The "model": approve unless the credit score (third feature) is low."""
    return "1" if float(features[2]) < 640 else "0"


def predicted(rows: list[list[str]]) -> list[list[str]]:
    """Rows with the model's prediction in place of the label."""
    return [[predict(row[1:]), *row[1:]] for row in rows]


def model_app() -> Starlette:
    async def invocations(request: Request) -> Response:
        body = (await request.body()).decode()
        return Response(predict(body.split(",")), media_type="text/csv")

    return Starlette(routes=[Route("/invocations", invocations, methods=["POST"])])


class FrozenClock:
    """Stands in for ``time`` inside the middleware so requests can be sent "at" a chosen hour."""

    moment = H1

    @classmethod
    def time(cls) -> float:
        return cls.moment.timestamp()


def send_through_middleware(capture_root: Path, traffic: list[tuple[datetime, list[list[str]]]]) -> None:
    writer = CaptureWriter(
        DataCaptureConfig(destination_uri=str(capture_root), flush_seconds=0.1), endpoint="churn"
    )
    app = model_app()
    app.add_middleware(CaptureMiddleware, writer=writer)

    async def go() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:
            for hour, rows in traffic:
                for i, row in enumerate(rows):
                    FrozenClock.moment = hour + timedelta(seconds=i)
                    response = await client.post(
                        "/invocations", content=",".join(row[1:]), headers={"Content-Type": "text/csv"}
                    )
                    assert response.status_code == 200

    writer.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(capture_middleware, "time", FrozenClock)
            asyncio.run(go())
    finally:
        writer.close()
    assert writer.counters.dropped == 0


@pytest.fixture
def baseline(tmp_path: Path) -> tuple[str, str]:
    """A baseline of the credit data with the model's predictions in the first column."""
    rows = credit_rows(count=4000)
    names = [
        "prediction",
        "age",
        "income",
        "credit_score",
        "loan_amount",
        "utilisation",
        "employment",
        "region",
    ]
    columns = list(zip(*predicted(rows), strict=True))
    table = pa.table({name: list(values) for name, values in zip(names, columns, strict=True)})
    pcsv.write_csv(table, tmp_path / "train.csv")
    result = suggest_baseline(
        str(tmp_path / "train.csv"), str(tmp_path / "baseline"), format="csv", header=True
    )
    return result.statistics_uri, result.constraints_uri


@pytest.fixture
def endpoint(db: Database) -> Path:
    with db.session() as session:
        view = endpoints.create_endpoint(session, EndpointSpec(name="churn"))
    return Path(view.capture_uri)


def _schedule(db: Database, baseline: tuple[str, str], name: str = "dq", **extra: object) -> None:
    definition = JobDefinition.model_validate(
        {
            "endpoint_input": {"endpoint_name": "churn"},
            "baseline_statistics_uri": baseline[0],
            "baseline_constraints_uri": baseline[1],
            **extra,
        }
    )
    spec = ScheduleSpec(name=name, schedule_expression="cron(0 * ? * * *)", definition=definition)
    with db.session() as session:
        schedules.create_schedule(session, spec, now=H1 + timedelta(minutes=5))


def test_a_drifted_hour_completes_with_violations_and_a_normal_one_without(
    db: Database, endpoint: Path, baseline: tuple[str, str], data_dir: Path
) -> None:
    send_through_middleware(
        endpoint, [(H1, credit_rows(count=1000)), (H2, credit_rows(drifted=True, count=1000))]
    )
    _schedule(db, baseline)
    normal, drifted = run_until(db, H2 + HOUR)

    assert normal.status == ExecutionStatus.COMPLETED, normal.failure_reason
    assert (normal.window_start, normal.window_end) == (H1, H2)
    assert normal.record_count == 1000 and normal.violation_count == 0
    assert drifted.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS, drifted.failure_reason
    assert drifted.exit_message.startswith("CompletedWithViolations: Job completed successfully with")

    root = data_dir / "storage" / "monitoring" / "churn" / "dq"
    assert normal.output_uri == str(root / "2026/06/01/11")
    assert drifted.output_uri == str(root / "2026/06/01/12")
    for view in (normal, drifted):
        folder = Path(view.output_uri)
        for name in ("statistics.json", "constraints.json", "constraint_violations.json", "execution.log"):
            assert (folder / name).is_file(), name
        assert view.log_uri == str(folder / "execution.log")
    violations = json.loads((Path(drifted.output_uri) / "constraint_violations.json").read_text())[
        "violations"
    ]
    drifted_features = {
        v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"
    }
    assert {"income", "utilisation", "age"} <= drifted_features
    assert "credit_score" not in drifted_features  # unchanged by the drift
    statistics = json.loads((Path(drifted.output_uri) / "statistics.json").read_text())
    assert [f["name"] for f in statistics["features"]][:2] == ["prediction", "age"]  # baseline names

    metric_lines = (Path(drifted.output_uri) / "cloudwatch_metrics.jsonl").read_text().splitlines()
    first = json.loads(metric_lines[0])
    assert first["Timestamp"] == "2026-06-01T11:00:00Z"
    assert first["Dimensions"] == [
        {"Name": "Endpoint", "Value": "churn"},
        {"Name": "MonitoringSchedule", "Value": "dq"},
    ]
    with db.session() as session:
        names = list_metric_names(session, "dq")
        assert {"feature_baseline_drift_income", "feature_non_null_age", "feature_data_income"} <= set(names)
        series = query_metric(session, "dq", "feature_baseline_drift_income")
    assert [p.execution_id for p in series] == [normal.id, drifted.id]
    assert series[1].value > 0.1 > series[0].value


def test_an_empty_window_fails_with_sagemakers_reason(
    db: Database, endpoint: Path, baseline: tuple[str, str]
) -> None:
    _schedule(db, baseline)
    [view] = run_until(db, H2)
    assert view.status == ExecutionStatus.FAILED
    assert view.failure_reason.startswith("Job inputs had no data")


def test_a_script_that_hangs_is_stopped_and_the_next_slot_still_runs(
    db: Database, endpoint: Path, baseline: tuple[str, str], tmp_path: Path
) -> None:
    write_capture(endpoint, "churn", H1, predicted(credit_rows(count=50)))
    write_capture(endpoint, "churn", H2, predicted(credit_rows(count=50)))
    script = tmp_path / "pre.py"
    script.write_text(
        "import time\n"
        "def preprocess_handler(record):\n"
        "    if record.event_metadata.event_time.startswith('2026-06-01T10'):\n"
        "        while True:\n"
        "            time.sleep(0.1)\n"
        "    return {f'c{i}': v for i, v in enumerate((record.endpoint_output.data.strip() + ','\n"
        "            + record.endpoint_input.data).split(','))}\n"
    )
    _schedule(db, baseline, record_preprocessor_script=str(script), max_runtime_seconds=6)
    hung, next_one = run_until(db, H2 + HOUR, capacity=1)
    assert hung.status == ExecutionStatus.STOPPED
    assert "MaxRuntimeInSeconds (6 s)" in hung.failure_reason
    assert next_one.status == ExecutionStatus.COMPLETED, next_one.failure_reason
    assert next_one.record_count == 50


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("def preprocess_handler(record):\n    return 1 / 0\n", r"pre\.py, line 2: .*ZeroDivisionError"),
        ("def preprocess_handler(record):\n    return 'text'\n", r"returned str; expected a flat dict"),
        ("x = 1\n", r"defines no preprocess_handler"),
    ],
)
def test_a_failing_script_fails_the_execution_with_its_line(
    db: Database, endpoint: Path, baseline: tuple[str, str], tmp_path: Path, body: str, expected: str
) -> None:
    write_capture(endpoint, "churn", H1, predicted(credit_rows(count=5)))
    script = tmp_path / "pre.py"
    script.write_text(body)
    _schedule(db, baseline, record_preprocessor_script=str(script))
    [view] = run_until(db, H2)
    assert view.status == ExecutionStatus.FAILED
    assert re.search(expected, view.failure_reason or ""), view.failure_reason


def test_garbage_lines_fail_the_execution_naming_file_and_line(
    db: Database, endpoint: Path, baseline: tuple[str, str], data_dir: Path
) -> None:
    path = write_capture(endpoint, "churn", H1, predicted(credit_rows(count=5)))
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines[:2], "this is not json\n", *lines[2:]]))
    _schedule(db, baseline)
    [view] = run_until(db, H2)
    assert view.status == ExecutionStatus.FAILED
    assert f"{path}, line 3" in (view.failure_reason or "")
    assert Path(view.log_uri or "").is_file()
    assert not any((data_dir / "work").iterdir())  # a failed job's work folder goes too


def test_postprocessing_runs_after_a_successful_analysis(
    db: Database, endpoint: Path, baseline: tuple[str, str], tmp_path: Path
) -> None:
    write_capture(endpoint, "churn", H1, predicted(credit_rows(count=20)))
    marker = tmp_path / "post-ran"
    script = tmp_path / "post.py"
    script.write_text(
        "import os\n"
        "def postprocess_handler():\n"
        f"    open({str(marker)!r}, 'w').write(os.environ['start_time'])\n"
    )
    _schedule(db, baseline, post_analytics_processor_script=str(script))
    [view] = run_until(db, H2)
    assert view.status == ExecutionStatus.COMPLETED, view.failure_reason
    assert marker.read_text() == "2026-06-01T10:00:00Z"


def _start_a_hanging_execution(
    db: Database, endpoint: Path, baseline: tuple[str, str], tmp_path: Path
) -> Runner:
    """Capture, a schedule whose preprocessing script sleeps for ten minutes, and a runner running it."""
    write_capture(endpoint, "churn", H1, predicted(credit_rows(count=5)))
    script = tmp_path / "pre.py"
    script.write_text("import time\ndef preprocess_handler(record):\n    time.sleep(600)\n")
    _schedule(db, baseline, record_preprocessor_script=str(script))
    runner = Runner(db, capacity=1, poll_seconds=0.05)
    Scheduler(db, runner, clock=lambda: H2).tick()
    return runner


def test_a_running_execution_can_be_stopped(
    db: Database, endpoint: Path, baseline: tuple[str, str], tmp_path: Path
) -> None:
    runner = _start_a_hanging_execution(db, endpoint, baseline, tmp_path)
    with db.session() as session:
        [view] = executions.list_executions(session).items
        assert view.status == ExecutionStatus.IN_PROGRESS
        assert executions.stop_execution(session, view.id).status == ExecutionStatus.STOPPING
    assert runner.wait_idle(30)
    with db.session() as session:
        stopped = executions.describe_execution(session, view.id)
    assert stopped.status == ExecutionStatus.STOPPED
    assert stopped.failure_reason == "Stopped by request"


def test_baselining_jobs_run_in_the_runner(db: Database, data_dir: Path, tmp_path: Path) -> None:
    rows = credit_rows(count=200)
    (tmp_path / "train.csv").write_text("\n".join(",".join(r) for r in rows) + "\n")
    with db.session() as session:
        start_baseline_job(
            session,
            BaselineJobSpec(
                name="b1", dataset_uri=str(tmp_path / "train.csv"), dataset_format={"csv": {"header": False}}
            ),
        )
        start_baseline_job(session, BaselineJobSpec(name="b2", dataset_uri=str(tmp_path / "missing.csv")))
    runner = Runner(db, capacity=2, poll_seconds=0.05)
    Scheduler(db, runner).tick()
    assert runner.wait_idle(60)
    with db.session() as session:
        good, bad = describe_baseline_job(session, "b1"), describe_baseline_job(session, "b2")
    assert good.status == JobStatus.COMPLETED, good.failure_reason
    assert good.statistics_uri == str(data_dir / "storage" / "baselines" / "b1" / "statistics.json")
    assert json.loads(Path(good.statistics_uri).read_text())["dataset"]["item_count"] == 200
    assert bad.status == JobStatus.FAILED
    assert "missing.csv" in (bad.failure_reason or "")
    assert Path(bad.log_uri or "").is_file()
    assert not any((data_dir / "work").iterdir())  # work folders go, the results and logs stay


def test_shutdown_stops_executions_that_do_not_finish_in_time(
    db: Database, endpoint: Path, baseline: tuple[str, str], tmp_path: Path
) -> None:
    runner = _start_a_hanging_execution(db, endpoint, baseline, tmp_path)
    runner.shutdown(timeout=0.5)
    with db.session() as session:
        [view] = executions.list_executions(session).items
    assert view.status == ExecutionStatus.STOPPED
    assert view.failure_reason == "Stopped: the service shut down before the job ended"
    assert not runner.start_execution(view.id)  # a runner that shut down starts nothing


SERVER = """
import sys, time
from datetime import datetime
from modelwatch.service.db import open_database
from modelwatch.service.runner import Runner
from modelwatch.service.scheduler import Scheduler

db = open_database(sys.argv[1])
runner = Runner(db, capacity=1, poll_seconds=0.05)
Scheduler(db, runner, clock=lambda: datetime.fromisoformat(sys.argv[2])).tick()
print("started", flush=True)
time.sleep(600)
"""


def _job_processes(server: psutil.Process) -> list[psutil.Process]:
    jobs = []
    for process in server.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if "modelwatch.jobs" in process.cmdline():
                jobs.append(process)
    return jobs


def test_a_server_killed_with_sigkill_takes_its_jobs_along_and_its_restart_settles_them(
    db: Database, database_url: str, endpoint: Path, baseline: tuple[str, str], tmp_path: Path, data_dir: Path
) -> None:
    # the job writes its results, then its postprocessing script hangs: the server dies meanwhile
    write_capture(endpoint, "churn", H1, predicted(credit_rows(count=20)))
    script = tmp_path / "post.py"
    script.write_text("import time\ndef postprocess_handler():\n    time.sleep(600)\n")
    _schedule(db, baseline, post_analytics_processor_script=str(script))
    output = data_dir / "storage" / "monitoring" / "churn" / "dq" / "2026" / "06" / "01" / "11"
    with subprocess.Popen(
        [sys.executable, "-c", SERVER, database_url, H2.isoformat()], stdout=subprocess.PIPE
    ) as server:
        assert server.stdout is not None and server.stdout.readline() == b"started\n"
        deadline = time.monotonic() + 120
        while not (jobs := _job_processes(psutil.Process(server.pid))):  # its watcher thread starts it
            assert time.monotonic() < deadline
            time.sleep(0.05)
        [job] = jobs
        while not (output / "statistics.json").exists():  # partial results, then the hanging script
            assert job.is_running() and time.monotonic() < deadline
            time.sleep(0.05)
        server.kill()
        server.wait()
    _, alive = psutil.wait_procs([job], timeout=30)
    for process in alive:
        process.kill()  # (not to leave it behind when the test fails)
    assert not alive  # no job runs without its server

    assert recover_orphans(db) == 1  # the restarted server settles the execution
    with db.session() as session:
        [view] = executions.list_executions(session).items
    assert view.status == ExecutionStatus.FAILED
    assert "server process running this execution ended before it did" in (view.failure_reason or "")
    assert not (output / "statistics.json").exists()  # no partial results
    assert view.log_uri == str(output / "execution.log")  # the log of what it did before
    assert "capture files of churn" in (output / "execution.log").read_text()
    assert not any((data_dir / "work").iterdir())


def test_a_job_that_ended_while_its_server_was_down_is_adopted(
    db: Database, endpoint: Path, baseline: tuple[str, str], data_dir: Path
) -> None:
    _schedule(db, baseline)
    with subprocess.Popen([sys.executable, "-c", "pass"]) as gone:  # the pid of a dead server
        gone.wait()
    with db.session() as session:
        schedule = session.scalars(sa.select(Schedule)).one()
        created = executions.create_execution(session, schedule, H2, (H1, H2), str(data_dir / "out"))
        executions.claim_executions(session, [created.id], f"{socket.gethostname()}:{gone.pid}")
    work = data_dir / "work" / f"execution-{created.id}-1"
    work.mkdir(parents=True)
    (work / "execution.log").write_text("the job's log\n")
    (work / "result.json").write_text(json.dumps({"records": 20, "violations": 2}))
    metric = {
        "MetricName": "feature_baseline_drift_income",
        "Value": 0.4,
        "Timestamp": "2026-06-01T10:00:00Z",
    }
    (work / "cloudwatch_metrics.jsonl").write_text(json.dumps(metric) + "\n")
    (work / "message").write_text("CompletedWithViolations: Job completed successfully with 2 violations.")

    assert recover_orphans(db) == 1
    with db.session() as session:
        view = executions.describe_execution(session, created.id)
        series = query_metric(session, "dq", "feature_baseline_drift_income")
    assert view.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS, view.failure_reason
    assert (view.record_count, view.violation_count) == (20, 2)
    assert [(p.execution_id, p.value) for p in series] == [(created.id, 0.4)]
    assert Path(view.log_uri or "").read_text() == "the job's log\n"
    assert not work.exists()


def test_skipped_records_are_counted_in_the_execution_and_its_log(
    db: Database, endpoint: Path, baseline: tuple[str, str]
) -> None:
    path = write_capture(endpoint, "churn", H1, predicted(credit_rows(count=151)))
    lines = path.read_text().splitlines(keepends=True)
    record = json.loads(lines[57])
    record["captureData"]["endpointInput"] |= {"encoding": "BASE64", "data": "not base64!"}
    lines[57] = json.dumps(record) + "\n"
    path.write_text("".join(lines))
    _schedule(db, baseline)
    [view] = run_until(db, H2)
    assert view.status in (ExecutionStatus.COMPLETED, ExecutionStatus.COMPLETED_WITH_VIOLATIONS)
    assert view.record_count == 150
    where = f"first at {path}, line 58"
    assert f"Skipped 1 record: 1 not tabular (BASE64, invalid JSON or missing payload), {where}." in (
        view.exit_message or ""
    )
    log_text = Path(view.log_uri or "").read_text()
    assert f"skipped line 58 of {path}: the endpointInput payload is BASE64" in log_text
    assert where in log_text


def test_an_endpoint_stored_with_a_variant_twice_reads_its_capture_once(
    db: Database, endpoint: Path, baseline: tuple[str, str]
) -> None:
    """Duplicate variants are refused on create and update; one stored before that counts each record once."""
    write_capture(endpoint, "churn", H1, predicted(credit_rows(count=40)))
    with db.session() as session:
        session.execute(sa.update(Endpoint).values(variants=["AllTraffic", "AllTraffic"]))
    _schedule(db, baseline)
    [view] = run_until(db, H2)
    assert view.record_count == 40
