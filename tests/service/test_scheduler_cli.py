"""``modelwatch scheduler`` runs the loop as its own process and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from capture_data import credit_rows, write_capture
from modelwatch.service import endpoints, executions, schedules
from modelwatch.service.db import open_database
from modelwatch.service.schemas import EndpointSpec, ExecutionStatus, JobDefinition, ScheduleSpec


def test_the_scheduler_command_runs_a_now_schedule_and_stops_on_sigint(data_dir: Path) -> None:
    db = open_database()
    now = datetime.now(UTC)
    with db.session() as session:
        capture = Path(endpoints.create_endpoint(session, EndpointSpec(name="churn")).capture_uri)
    write_capture(
        capture, "churn", (now - timedelta(minutes=30)).replace(minute=0, second=0), credit_rows(count=30)
    )
    with db.session() as session:
        schedules.create_schedule(
            session,
            ScheduleSpec(
                name="once",
                schedule_expression="NOW",
                data_analysis_start_time="-PT2H",
                data_analysis_end_time="-PT0H",
                definition=JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "churn"}}),
            ),
        )
    process = subprocess.Popen(
        [sys.executable, "-m", "modelwatch.cli", "scheduler", "--interval", "0.2"],
        env={**os.environ, "MODELWATCH_DATA_DIR": str(data_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with db.session() as session:
                [view] = executions.list_executions(session).items
            if view.status == ExecutionStatus.COMPLETED:
                break
            assert not ExecutionStatus(view.status).finished, view.failure_reason
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert view.record_count == 30
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert b"scheduler: running on sqlite" in output
    db.dispose()
