"""`modelwatch proxy` and `modelwatch capture-batch` from the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from servers import ServerThread, free_port, read_records, wait_until_up
from typer.testing import CliRunner

from modelwatch.cli import EXIT_ERROR, EXIT_OK, app


def test_proxy_command_captures_and_drains_on_sigterm(tmp_path: Path, upstream: ServerThread) -> None:
    port = free_port()
    destination = tmp_path / "capture"
    command = [
        sys.executable,
        "-m",
        "modelwatch.cli",
        "proxy",
        "--endpoint",
        "churn",
        "--upstream",
        upstream.url,
        "--listen",
        f"127.0.0.1:{port}",
        "--capture-uri",
        str(destination),
        "--path",
        "/invocations",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for i in range(50):
                response = client.post(
                    "/invocations",
                    content=b"5.1,3.5,1.4,0.2",
                    headers={"Content-Type": "text/csv", "X-Amzn-SageMaker-Inference-Id": f"id-{i}"},
                )
                assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "captured=50" in out and "dropped=0" in out
    records = read_records(destination)
    assert sorted(r["eventMetadata"]["inferenceId"] for _, r in records) == sorted(
        f"id-{i}" for i in range(50)
    )
    assert all(path.relative_to(destination).parts[:2] == ("churn", "AllTraffic") for path, _ in records)


def test_proxy_refuses_an_unwritable_destination_at_start(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permissions: use a path under a regular file instead
            target = tmp_path / "a-file"
            target.write_text("x")
            destination = str(target / "capture")
        else:
            destination = str(locked / "capture")
        result = CliRunner().invoke(
            app,
            [
                "proxy",
                "--endpoint",
                "e",
                "--upstream",
                "http://127.0.0.1:9",
                "--capture-uri",
                destination,
                "--listen",
                f"127.0.0.1:{free_port()}",
            ],
        )
    finally:
        locked.chmod(0o700)
    assert result.exit_code == EXIT_ERROR, result.output
    assert "capture" in result.output and "Traceback" not in result.output


def test_capture_batch_command(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "in" / "part-0.csv").write_text("1,2\n3,4\n")
    (tmp_path / "out" / "part-0.csv.out").write_text("0.1\n0.9\n")
    result = CliRunner().invoke(
        app,
        [
            "capture-batch",
            "--input",
            str(tmp_path / "in"),
            "--output",
            str(tmp_path / "out"),
            "--capture-uri",
            str(tmp_path / "capture"),
            "--job",
            "nightly",
            "--generate-inference-id",
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    assert "2 records given inference ids" in " ".join(result.output.split())
    rows = (tmp_path / "out" / "part-0.csv.out").read_text().splitlines()
    assert all(len(row.split(",")) == 3 for row in rows)
    manifests = sorted((tmp_path / "capture").rglob("*.manifest"))
    assert [m.relative_to(tmp_path / "capture").parts[0] for m in manifests] == ["input", "output"]
    assert json.loads(manifests[1].read_text())[1:] == ["part-0.csv.out"]


def test_readme_three_lines_work(tmp_path: Path) -> None:
    from fastapi import FastAPI

    from modelwatch.capture import CaptureMiddleware, DataCaptureConfig

    model_app = FastAPI()

    @model_app.post("/invocations")
    def invocations() -> dict[str, float]:
        return {"score": 0.5}

    model_app.add_middleware(
        CaptureMiddleware, endpoint="churn", config=DataCaptureConfig(destination_uri=str(tmp_path))
    )
    with ServerThread(model_app) as server:
        assert httpx.post(f"{server.url}/invocations", json={"x": 1}).json() == {"score": 0.5}
    records = read_records(tmp_path)
    assert len(records) == 1
    assert records[0][1]["captureData"]["endpointInput"]["data"] == '{"x":1}'
