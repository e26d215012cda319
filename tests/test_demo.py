"""The README's first command: the demo finds the drift, end to end through the CLI, the API and the
scheduler, on the embedded defaults."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelwatch.cli import app
from modelwatch.demo import DRIFTED_FEATURES, ENDPOINT, QUALITY_SCHEDULE, SCHEDULE
from modelwatch.service.db import open_database
from modelwatch.service.executions import list_executions
from modelwatch.settings import get_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_demo_detects_drift_in_the_drifted_window_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELWATCH_DATA_DIR", str(tmp_path / "elsewhere"))  # the demo uses its own folder
    folder = tmp_path / "demo"
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--no-wait",
            "--folder",
            str(folder),
            "--port",
            str(_free_port()),
            "--model-port",
            str(_free_port()),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "CompletedWithViolations" in result.output.replace("\n", "")

    get_settings.cache_clear()
    monkeypatch.setenv("MODELWATCH_DATA_DIR", str(folder))
    db = open_database()
    with db.session() as session:
        views = list_executions(
            session, schedule_name=SCHEDULE, sort_by="ScheduledTime", sort_order="Ascending"
        ).items
        quality = list_executions(
            session, schedule_name=QUALITY_SCHEDULE, sort_by="ScheduledTime", sort_order="Ascending"
        ).items
    db.dispose()
    get_settings.cache_clear()
    normal, drifted = views
    assert normal.status == "Completed" and normal.violation_count == 0
    assert normal.record_count == drifted.record_count == 569  # the training rows
    assert drifted.status == "CompletedWithViolations"
    violations = json.loads((Path(drifted.output_uri) / "constraint_violations.json").read_text())[
        "violations"
    ]
    drifting = {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"}
    assert set(DRIFTED_FEATURES) <= drifting
    assert drifting <= {*DRIFTED_FEATURES, "prediction", "probability"}  # the output may follow its inputs
    assert (folder / "storage" / "capture" / ENDPOINT / "AllTraffic").is_dir()
    assert (Path(drifted.output_uri) / "execution.log").is_file()

    same, worse = quality  # the model's quality on the same rows, then on the drifted ones
    assert same.status == "Completed" and same.violation_count == 0, same.failure_reason
    assert worse.status == "CompletedWithViolations", worse.failure_reason
    dropped = json.loads((Path(worse.output_uri) / "constraint_violations.json").read_text())["violations"]
    assert "accuracy" in {v["metric_name"] for v in dropped}
    assert (Path(worse.output_uri) / "report.html").is_file()


@pytest.mark.parametrize(
    ("stop_at", "exit_code"),
    [
        ("normal requests", 128 + signal.SIGTERM),  # mid-run: the capture sink is running
        ("press Ctrl-C", 0),  # while it keeps running: a normal end, as Ctrl-C
    ],
)
def test_sigterm_stops_the_demo_cleanly(tmp_path: Path, stop_at: str, exit_code: int) -> None:
    folder = tmp_path / "demo"
    command = [sys.executable, "-m", "modelwatch.cli", "demo", "--wait", "--folder", str(folder)]
    command += ["--port", str(_free_port()), "--model-port", str(_free_port())]
    env = dict(os.environ, MODELWATCH_DATA_DIR=str(tmp_path / "elsewhere"))
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as demo:
        assert demo.stdout is not None and demo.stderr is not None
        seen = []
        for line in demo.stdout:
            seen.append(line.decode())
            if stop_at in seen[-1]:
                break
        else:
            pytest.fail(f"the demo ended (exit code {demo.wait()}) before {stop_at!r}: {''.join(seen)}")
        demo.send_signal(signal.SIGTERM)
        output = demo.stdout.read().decode()
        errors = demo.stderr.read().decode()  # its end: the demo and its capture sink have exited
        assert demo.wait(60) == exit_code, errors
    assert "Traceback" not in errors and "Error" not in errors, errors
    assert ("stopping" if exit_code == 0 else "stopped by SIGTERM") in output
    assert list((folder / "storage" / "capture" / ENDPOINT).rglob("*.jsonl"))  # the sink wrote its records
