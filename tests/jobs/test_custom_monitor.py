"""Custom monitoring containers: the command lines of each runtime, and a monitor written against
SageMaker's container contract run through the ``process`` runtime from a schedule of the REST API,
its violations raising the schedule's alert, its metrics stored; failures end ``Failed`` with the reason.

No container engine works on the test machines, so docker's and podman's exact command lines are the
check of those runtimes (``test_docker_command_line_*``)."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from capture_data import credit_rows, write_capture
from modelwatch.cli import app
from modelwatch.client import Client
from modelwatch.errors import ConfigurationError, DataError
from modelwatch.jobs.containers import Launch, choose_runtime, container_command, process_command
from modelwatch.jobs.containers.runtime import process_environment
from modelwatch.jobs.custom import read_metrics, read_violations
from modelwatch.service.layout import capture_root
from modelwatch.service.schemas import EndpointSpec, ExecutionView, ScheduleSpec

SCRIPT = Path(__file__).with_name("custom_monitor_script.py")
FINAL = {"Completed", "CompletedWithViolations", "Failed", "Stopped"}


def _launch(tmp_path: Path, **changes: Any) -> Launch:
    fields: dict[str, Any] = {
        "name": "modelwatch-hourly-7",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-monitor:1",
        "root": tmp_path / "opt-ml",
        "environment": {"dataset_source": "/opt/ml/processing/input/endpoint", "threshold": "0.5"},
        "arguments": ["--output", "/opt/ml/processing/output"],
    }
    return Launch(**(fields | changes))


def test_docker_command_line_has_network_off_mounts_and_the_environment(tmp_path: Path) -> None:
    root = tmp_path / "opt-ml"
    assert container_command("docker", _launch(tmp_path)) == [
        "docker", "run", "--rm", "--name", "modelwatch-hourly-7", "--network", "none",
        "-v", f"{root}/processing:/opt/ml/processing",
        "-v", f"{root}/output:/opt/ml/output",
        "-v", f"{root}/config:/opt/ml/config:ro",
        "-e", "dataset_source=/opt/ml/processing/input/endpoint",
        "-e", "threshold=0.5",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-monitor:1",
        "--output", "/opt/ml/processing/output",
    ]  # fmt: skip


def test_docker_command_line_with_limits_network_and_an_entrypoint(tmp_path: Path) -> None:
    launch = _launch(
        tmp_path,
        network=True,
        instance_type="ml.m5.xlarge",
        entrypoint=["python3", "/opt/program/monitor.py"],
        environment={},
    )
    argv = container_command("podman", launch)
    assert argv[:5] == ["podman", "run", "--rm", "--name", "modelwatch-hourly-7"]
    assert "--network" not in argv
    assert argv[5:9] == ["--cpus", "4", "--memory", "16g"]
    assert argv[-6:] == [
        "--entrypoint", "python3", launch.image,
        "/opt/program/monitor.py", "--output", "/opt/ml/processing/output",
    ]  # fmt: skip
    unknown = container_command("docker", _launch(tmp_path, instance_type="ml.x99.huge"))
    assert "--cpus" not in unknown and "--memory" not in unknown  # an unknown type runs without limits


def test_process_command_rewrites_container_paths_and_runs_modules(tmp_path: Path) -> None:
    root = tmp_path / "opt-ml"
    launch = _launch(tmp_path, entrypoint=["/usr/bin/env", "python3", "/opt/ml/code/monitor.py"])
    assert process_command(launch) == [
        "/usr/bin/env", "python3", f"{root}/code/monitor.py", "--output", f"{root}/processing/output"
    ]  # fmt: skip
    env = process_environment(launch, {"PATH": "/bin"})
    assert env == {"PATH": "/bin", "dataset_source": f"{root}/processing/input/endpoint", "threshold": "0.5"}
    module = _launch(tmp_path, image="process:my_monitors.drift", arguments=[])
    assert process_command(module, python="/venv/bin/python") == [
        "/venv/bin/python",
        "-m",
        "my_monitors.drift",
    ]
    with pytest.raises(ConfigurationError, match="without a ContainerEntrypoint"):
        process_command(_launch(tmp_path))
    with pytest.raises(ConfigurationError, match=r"process:package\.module"):
        process_command(_launch(tmp_path, image="process:not a module"))


def test_auto_picks_a_working_engine_on_path_and_else_the_process_runtime() -> None:
    on_path = {"docker": "/usr/bin/docker", "podman": "/usr/bin/podman"}
    assert choose_runtime("auto", which=lambda name: None, works=lambda name: True) == "process"
    assert choose_runtime("auto", which=on_path.get, works=lambda name: True) == "docker"
    assert choose_runtime("auto", which=on_path.get, works=lambda name: name == "podman") == "podman"
    assert choose_runtime("auto", which=on_path.get, works=lambda name: False) == "process"  # no daemon
    assert choose_runtime("docker", which=on_path.get, works=lambda name: False) == "docker"  # as asked
    with pytest.raises(ConfigurationError, match="'docker' is not on PATH"):
        choose_runtime("docker", which=lambda name: None)


def test_malformed_violations_and_metrics_are_data_errors_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "constraint_violations.json"
    bad.write_text('{"violations": [')
    with pytest.raises(DataError, match=r"^constraint_violations.json: not valid JSON: Expecting value"):
        read_violations(bad)
    bad.write_text('{"violations": [{"feature_name": "x"}]}')
    with pytest.raises(DataError, match=r"violations\[0\].constraint_check_type must be a string"):
        read_violations(bad)
    assert read_violations(tmp_path / "missing.json") == []
    (tmp_path / "m.jsonl").write_text('{"MetricName": "a", "Value": 1}\n{"MetricName": "b"}\n')
    with pytest.raises(
        DataError, match=r"^m.jsonl, line 2: a metric needs a number Value or StatisticValues"
    ):
        read_metrics(tmp_path)


# -- through the REST API and the job runner --------------------------------------------------------


def _schedule(client: Client, name: str, **container: Any) -> None:
    if not client.list_endpoints().items:
        client.create_endpoint(EndpointSpec(name="churn"))
    definition: dict[str, Any] = {
        "endpoint_input": {"endpoint_name": "churn"},
        "environment": container.pop("environment", {}),
        "container": {"image_uri": "my-monitor:1", "runtime": "process"} | container,
    }
    if "max_runtime_seconds" in definition["container"]:
        definition["max_runtime_seconds"] = definition["container"].pop("max_runtime_seconds")
    spec = {"name": name, "schedule_expression": "cron(0 * ? * * *)", "definition": definition}
    client.create_schedule(ScheduleSpec.model_validate(spec))


def _run(client: Client, schedule: str, hour: datetime, timeout: float = 120) -> ExecutionView:
    execution = client.run_now(schedule, hour, hour + timedelta(hours=1))
    deadline = time.monotonic() + timeout
    while execution.status not in FINAL:
        assert time.monotonic() < deadline, execution
        time.sleep(0.1)
        execution = client.execution(execution.id)
    return execution


@pytest.fixture
def hour() -> datetime:
    """An hour of captured traffic of endpoint ``churn`` (400 credit rows)."""
    moment = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    write_capture(Path(capture_root()), "churn", moment, credit_rows(count=400))
    return moment


def test_a_custom_monitor_runs_from_a_schedule_and_its_violations_raise_the_alert(
    server: str, hour: datetime, tmp_path: Path
) -> None:
    constraints = tmp_path / "constraints.json"
    constraints.write_text('{"version": 0.0, "features": []}')
    entrypoint = [sys.executable, str(SCRIPT)]
    with Client(server) as client:
        _schedule(client, "calm", entrypoint=entrypoint, environment={"max_positive_share": "0.99"})
        definition = {
            "endpoint_input": {"endpoint_name": "churn"},
            "baseline_constraints_uri": str(constraints),
        }
        client.create_schedule(
            ScheduleSpec.model_validate(
                {
                    "name": "strict",
                    "schedule_expression": "cron(0 * ? * * *)",
                    "definition": definition
                    | {
                        "environment": {"max_positive_share": "0.01"},
                        "container": {
                            "image_uri": "my-monitor:1",
                            "runtime": "process",
                            "entrypoint": entrypoint,
                        },
                    },
                }
            )
        )
        calm = _run(client, "calm", hour)
        assert calm.status == "Completed", calm.failure_reason
        summary = json.loads(Path(calm.output_uri, "summary.json").read_text())  # every output file is copied
        assert summary["records"] == 400
        assert summary["endpoint"] == "churn"
        assert summary["window"] == [
            f"{hour:%Y-%m-%dT%H}:00:00Z",
            f"{hour + timedelta(hours=1):%Y-%m-%dT%H}:00:00Z",
        ]
        assert summary["baseline_constraints_readable"] is False
        assert client.describe_alert("calm").alert_status == "OK"

        strict = _run(client, "strict", hour)
        assert strict.status == "CompletedWithViolations", strict.failure_reason
        violations = json.loads(client.execution_file(strict.id, "constraint_violations.json"))["violations"]
        assert [v["constraint_check_type"] for v in violations] == ["positive_share_check"]
        assert json.loads(Path(strict.output_uri, "summary.json").read_text())[
            "baseline_constraints_readable"
        ]
        assert client.describe_alert("strict").alert_status == "InAlert"
        assert set(client.metric_names("strict")) >= {"positive_share", "records"}


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("crash", "AlgorithmError: Failed: the custom monitor found no model output"),
        (
            "crash-quiet",
            "AlgorithmError: the container exited with code 2: loading...\nValueError: bad capture record",
        ),
        (
            "malformed",
            "constraint_violations.json: not valid JSON: "
            "Unterminated string starting at: line 2 column 2 (char 3)",
        ),
    ],
)
def test_a_failing_custom_monitor_ends_failed_with_the_reason(
    server: str, hour: datetime, mode: str, reason: str
) -> None:
    with Client(server) as client:
        _schedule(client, "broken", entrypoint=[sys.executable, str(SCRIPT)], environment={"mode": mode})
        execution = _run(client, "broken", hour)
    assert execution.status == "Failed"
    assert execution.failure_reason == reason


def test_a_custom_monitor_past_its_max_runtime_is_stopped(server: str, hour: datetime) -> None:
    with Client(server) as client:
        _schedule(
            client,
            "slow",
            entrypoint=[sys.executable, str(SCRIPT)],
            environment={"mode": "sleep"},
            max_runtime_seconds=2,
        )
        execution = _run(client, "slow", hour)
    assert execution.status == "Stopped"
    assert execution.failure_reason == "Stopped: the job ran past MaxRuntimeInSeconds (2 s)"


def test_an_image_process_module_runs_the_module(
    server: str, hour: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(SCRIPT.parent))
    with Client(server) as client:
        _schedule(
            client,
            "module",
            image_uri="process:custom_monitor_script",
            environment={"max_positive_share": "0.01"},
        )
        execution = _run(client, "module", hour)
    assert execution.status == "CompletedWithViolations", execution.failure_reason
    assert execution.violation_count == 1


def test_the_cli_creates_a_custom_schedule_from_a_file_and_runs_it(
    server: str, hour: datetime, tmp_path: Path
) -> None:
    with Client(server) as client:
        client.create_endpoint(EndpointSpec(name="churn"))
    spec = {
        "name": "cli-custom",
        "schedule_expression": "cron(0 * ? * * *)",
        "definition": {
            "endpoint_input": {"endpoint_name": "churn"},
            "environment": {"max_positive_share": "0.01"},
            "container": {
                "image_uri": "my-monitor:1",
                "runtime": "process",
                "entrypoint": [sys.executable, str(SCRIPT)],
            },
        },
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    runner = CliRunner()
    created = runner.invoke(
        app, ["schedules", "create", "--file", str(tmp_path / "spec.json"), "--url", server]
    )
    assert created.exit_code == 0, created.output
    window = ["--start", hour.isoformat(), "--end", (hour + timedelta(hours=1)).isoformat()]
    ran = runner.invoke(app, ["schedules", "run", "cli-custom", *window, "--wait", "--json", "--url", server])
    assert ran.exit_code == 0, ran.output
    view = json.loads(ran.stdout)
    assert (view["status"], view["violation_count"]) == ("CompletedWithViolations", 1)


FAKE_ENGINE = """#!{python}
# a stand-in for the docker CLI: records its command line and what the mounted folders hold, then fails
# as docker does when an image cannot be pulled
import json, os, sys
from pathlib import Path
mounts = {{}}
argv = sys.argv[1:]
for flag, value in zip(argv, argv[1:]):
    if flag == "-v":
        source, target = value.split(":")[:2]
        mounts[target] = sorted(str(p.relative_to(source)) for p in Path(source).rglob("*") if p.is_file())
Path(os.environ["FAKE_ENGINE_LOG"]).write_text(json.dumps({{"argv": argv, "mounts": mounts}}))
print("Unable to find image 'my-monitor:1' locally", file=sys.stderr)
print("docker: Error response from daemon: pull access denied for my-monitor.", file=sys.stderr)
sys.exit(125)
"""


def test_the_docker_runtime_runs_the_engine_with_the_contract_and_passes_on_its_failure(
    server: str, hour: datetime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    engine = bin_dir / "docker"
    engine.write_text(FAKE_ENGINE.format(python=sys.executable))
    engine.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_ENGINE_LOG", str(tmp_path / "engine.json"))
    with Client(server) as client:
        _schedule(
            client,
            "dockerized",
            runtime="docker",
            instance_type="ml.m5.xlarge",
            arguments=["--threshold", "0.1"],
            environment={"max_positive_share": "0.5"},
        )
        execution = _run(client, "dockerized", hour)
    assert execution.status == "Failed"
    assert execution.failure_reason == (
        "AlgorithmError: the container exited with code 125: Unable to find image 'my-monitor:1' locally\n"
        "docker: Error response from daemon: pull access denied for my-monitor."
    )
    seen = json.loads((tmp_path / "engine.json").read_text())
    argv = seen["argv"]
    assert argv[:10] == [
        "run", "--rm", "--name", f"modelwatch-dockerized-{execution.id}", "--network", "none",
        "--cpus", "4", "--memory", "16g",
    ]  # fmt: skip
    volumes = [argv[i + 1].split(":", 1)[1] for i, flag in enumerate(argv) if flag == "-v"]
    assert volumes == ["/opt/ml/processing", "/opt/ml/output", "/opt/ml/config:ro"]
    variables = dict(argv[i + 1].split("=", 1) for i, flag in enumerate(argv) if flag == "-e")
    assert variables["dataset_source"] == "/opt/ml/processing/input/endpoint"
    assert variables["output_path"] == "/opt/ml/processing/output"
    assert variables["sagemaker_endpoint_name"] == "churn"
    assert variables["start_time"] == f"{hour:%Y-%m-%dT%H}:00:00Z"
    assert variables["max_positive_share"] == "0.5"
    assert argv[-3:] == ["my-monitor:1", "--threshold", "0.1"]
    [capture] = seen["mounts"]["/opt/ml/processing"]
    assert capture.startswith(f"input/endpoint/churn/AllTraffic/{hour:%Y/%m/%d/%H}/") and capture.endswith(
        ".jsonl"
    )


def test_the_cli_flags_make_a_custom_schedule(server: str, hour: datetime) -> None:
    with Client(server) as client:
        client.create_endpoint(EndpointSpec(name="churn"))
    runner = CliRunner()
    flags = [
        "--name",
        "flagged",
        "--endpoint",
        "churn",
        "--image-uri",
        "my-monitor:1",
        "--runtime",
        "process",
    ]
    command = ["--entrypoint", sys.executable, "--entrypoint", str(SCRIPT), "--json", "--url", server]
    created = runner.invoke(app, ["schedules", "create", *flags, *command])
    assert created.exit_code == 0, created.output
    container = json.loads(created.stdout)["definition"]["container"]
    assert (container["entrypoint"], container["runtime"]) == ([sys.executable, str(SCRIPT)], "process")
    window = ["--start", hour.isoformat(), "--end", (hour + timedelta(hours=1)).isoformat()]
    ran = runner.invoke(app, ["schedules", "run", "flagged", *window, "--wait", "--json", "--url", server])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["status"] == "Completed"  # no max_positive_share: no violation

    orphan = runner.invoke(
        app, ["schedules", "create", "--name", "x", "--endpoint", "churn", "--runtime", "docker"]
    )
    assert orphan.exit_code != 0 and "--image-uri" in orphan.output
