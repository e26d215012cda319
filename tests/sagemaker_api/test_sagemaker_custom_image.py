"""Custom monitoring containers through a real boto3 client: a schedule with an inline
``MonitoringJobDefinition`` of one's own image (what the SDK's base ``ModelMonitor(image_uri=...)``
sends) runs through the ``process`` runtime, its violations raising the schedule's alert; a typed job
definition with a custom image is kept and described with its container; bad container members are
``ValidationException``s naming the member."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sagemaker_bodies import data_quality, inline_definition, schedule_config

from capture_data import credit_rows, write_capture
from modelwatch.jobs.definitions import JobDefinition
from modelwatch.service.db import Database
from modelwatch.service.job_definitions import get_job_definition
from modelwatch.service.layout import capture_root

SCRIPT = Path(__file__).parents[1] / "jobs" / "custom_monitor_script.py"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-monitor:1"
FINAL = {"Completed", "CompletedWithViolations", "Failed", "Stopped"}


@pytest.fixture(autouse=True)
def process_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test machines have no container engine: ECR images run as their entrypoint, locally."""
    monkeypatch.setenv("MODELWATCH_CONTAINER_RUNTIME", "process")


def _custom_inline(output_uri: str, environment: dict[str, str], **app: Any) -> dict[str, Any]:
    """An inline definition as ``ModelMonitor(image_uri=..., entrypoint=..., env=...)`` sends it."""
    return inline_definition(
        "churn",
        output_uri,
        MonitoringAppSpecification={
            "ImageUri": IMAGE,
            "ContainerEntrypoint": [sys.executable, str(SCRIPT)],
            **app,
        },
        Environment=environment,
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )


def _wait_for_final(client: Any, schedule: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        summaries = client.list_monitoring_executions(MonitoringScheduleName=schedule)[
            "MonitoringExecutionSummaries"
        ]
        if summaries and summaries[0]["MonitoringExecutionStatus"] in FINAL:
            return summaries[0]
        assert time.monotonic() < deadline, summaries
        time.sleep(0.2)


def test_an_inline_custom_container_runs_and_its_violations_raise_the_alert(
    sagemaker_client: Any, tmp_path: Path
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_capture(Path(capture_root()), "churn", hour, credit_rows(count=300))
    client = sagemaker_client()
    inline = _custom_inline(str(tmp_path / "out"), {"max_positive_share": "0.01"})
    client.create_monitoring_schedule(
        MonitoringScheduleName="custom-now",
        MonitoringScheduleConfig=schedule_config("NOW", inline=inline, start="-PT2H", end="PT0H"),
    )
    described = client.describe_monitoring_schedule(MonitoringScheduleName="custom-now")
    app = described["MonitoringScheduleConfig"]["MonitoringJobDefinition"]["MonitoringAppSpecification"]
    assert app["ImageUri"] == IMAGE and app["ContainerEntrypoint"] == [sys.executable, str(SCRIPT)]

    summary = _wait_for_final(client, "custom-now")
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary.get("FailureReason")
    [alert] = client.list_monitoring_alerts(MonitoringScheduleName="custom-now")["MonitoringAlertSummaries"]
    assert alert["AlertStatus"] == "InAlert"
    assert list((tmp_path / "out").rglob("summary.json"))  # the container's own output file was copied


def test_an_inline_custom_container_that_fails_gives_its_message_as_the_reason(
    sagemaker_client: Any, tmp_path: Path
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_capture(Path(capture_root()), "churn", hour, credit_rows(count=50))
    client = sagemaker_client()
    inline = _custom_inline(str(tmp_path / "out"), {"mode": "crash"})
    client.create_monitoring_schedule(
        MonitoringScheduleName="custom-crash",
        MonitoringScheduleConfig=schedule_config("NOW", inline=inline, start="-PT2H", end="PT0H"),
    )
    summary = _wait_for_final(client, "custom-crash")
    assert summary["MonitoringExecutionStatus"] == "Failed"
    assert summary["FailureReason"] == "AlgorithmError: Failed: the custom monitor found no model output"


def test_a_job_definition_with_a_custom_image_is_kept_with_its_container(
    sagemaker_client: Any, db: Database
) -> None:
    client = sagemaker_client()
    request = data_quality("custom-dq", "churn", "s3://bucket/out")
    request["DataQualityAppSpecification"] = {
        "ImageUri": IMAGE,
        "ContainerEntrypoint": ["python3", "/opt/program/monitor.py"],
        "ContainerArguments": ["--threshold", "0.1"],
    }
    request["JobResources"]["ClusterConfig"]["InstanceType"] = "ml.c5.xlarge"
    request["NetworkConfig"] = {"EnableNetworkIsolation": False}
    client.create_data_quality_job_definition(**request)
    described = client.describe_data_quality_job_definition(JobDefinitionName="custom-dq")
    assert described["DataQualityAppSpecification"]["ContainerArguments"] == ["--threshold", "0.1"]
    with db.session() as session:
        container = JobDefinition.model_validate(
            get_job_definition(session, "custom-dq").definition
        ).container
    assert container is not None
    assert (container.image_uri, container.entrypoint, container.arguments) == (
        IMAGE,
        ["python3", "/opt/program/monitor.py"],
        ["--threshold", "0.1"],
    )
    assert (container.instance_type, container.network_enabled) == ("ml.c5.xlarge", True)

    isolated = data_quality("custom-isolated", "churn", "s3://bucket/out")
    isolated["DataQualityAppSpecification"] = {"ImageUri": IMAGE}
    client.create_data_quality_job_definition(**isolated)
    with db.session() as session:
        kept = JobDefinition.model_validate(
            get_job_definition(session, "custom-isolated").definition
        ).container
    assert kept is not None and kept.network_enabled is False  # no NetworkConfig: the network stays off


def test_bad_container_members_are_named(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    request = data_quality("custom-dq", "churn", "s3://bucket/out")
    request["DataQualityAppSpecification"] = {
        "ImageUri": IMAGE,
        "ContainerEntrypoint": ["x" * 300],
    }  # over 256
    with pytest.raises(ClientError) as caught:
        client.create_data_quality_job_definition(**request)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "DataQualityAppSpecification.ContainerEntrypoint" in error["Message"]
